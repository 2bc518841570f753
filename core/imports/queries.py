"""Reads of imports for the pages and the API: the one loader of an import for a request."""
from __future__ import annotations

from core.imports.models import ImportJob
from tenants.access import Action
from tenants.models import Unit
from tenants.scoping import load_scoped


def load_import(import_id, unit: Unit, account) -> ImportJob:
    """An import of ``unit``, for an account that may register petitions there; else 404."""
    return load_scoped(ImportJob, import_id, unit=unit, account=account, action=Action.PETITIONS_REGISTER)
