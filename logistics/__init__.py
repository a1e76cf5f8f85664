"""Carriers, freight quotes, shipments, tracking and returns."""
