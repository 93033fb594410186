"""Notifications service: emails about orders, each sent once, with a delivery log."""
