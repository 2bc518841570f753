"""Handlers (承办人): the named officer of every record and the history of handlers (issue 19; being built)."""
from __future__ import annotations
