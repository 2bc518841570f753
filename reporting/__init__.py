"""Reporting: subtree sums of the per-unit stats rows (numbers only, never records)."""
