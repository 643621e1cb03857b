"""The cart and wishlist operations take plain arguments (ids and quantities)."""
