"""Vouchers: discount codes staff create and customers apply to their cart."""
