"""Notices inventory sends to the apps on its right (marketplaces push stock with it; analytics
counts what it writes in bulk)."""

from django.dispatch import Signal

# Sent after commit whenever a level's available quantity may have changed:
# kwargs sku (str), warehouse (warehouse code, str), available (int).
stock_changed = Signal()

# Sent in the transaction of the daily low-stock check, which writes its alerts in bulk (no post_save):
# kwargs day (date).
reorder_checked = Signal()
