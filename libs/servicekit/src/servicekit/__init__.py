"""Shared runtime of the orders CRM services."""
