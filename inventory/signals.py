"""Notices inventory sends to the apps on its right (marketplaces push stock with it)."""

from django.dispatch import Signal

# Sent after commit whenever a level's available quantity may have changed:
# kwargs sku (str), warehouse (warehouse code, str), available (int).
stock_changed = Signal()
