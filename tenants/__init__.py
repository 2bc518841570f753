"""Tenancy: the unit tree, memberships and roles, access decisions, scoping, shares, stats rows."""
