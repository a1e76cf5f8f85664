"""Provider accounts, webhook inbox, payments, receivables, cash flow and reconciliation."""
