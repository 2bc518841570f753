"""The audit trail: append-only, hash-chained per unit with SM3 (DESIGN.md §5)."""
