"""Fiscal profile, tax rules, NF-e issue and the fiscal books."""
