"""Dashboards: one page per unit and level (/u/<unit>/reporting), with charts and the same numbers in
tables, drilling down child by child to the townships. Numbers only: never a lower unit's records."""
