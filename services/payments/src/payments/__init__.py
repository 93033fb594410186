"""Payments service: the payments of each order, their links, and the providers' confirmations."""
