"""Marketplace accounts, listings and order/stock/tracking sync."""
