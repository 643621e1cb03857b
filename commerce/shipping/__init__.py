"""Shipping methods: flat prices, free above a subtotal, per-country availability."""
