"""Rollups, site-access events, dashboards and goals."""
