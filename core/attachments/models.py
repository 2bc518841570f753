"""Attachments (附件): files of any record, sealed outside the database rows (issue 19; being built)."""
from __future__ import annotations
