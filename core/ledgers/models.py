"""The ledgers area's records."""
from __future__ import annotations
