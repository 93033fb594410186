"""Offers service: what a school sells, and the checkouts that open an order."""
