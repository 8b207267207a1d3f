"""Filón: credit origination and servicing for Mexican mining development finance."""

__version__ = "0.1.0"
