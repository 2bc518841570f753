"""The guidance area's records."""
from __future__ import annotations
