"""Products, warehouses, the stock ledger and reservations."""
