"""Customers, orders and the order pipeline up to the post-sale survey."""
