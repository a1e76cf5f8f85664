"""Benchmarks, run by hand against PostgreSQL (see each module's docstring)."""
