"""Reading exports: the one loader of an export for pages and API, and an account's exports at a unit."""
from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from reporting.exports.models import Export
from reporting.exports.registry import EXPORTERS, Exporter
from tenants.access import Action, can, deny
from tenants.models import Unit
from tenants.scoping import load_scoped


def load_own(export_id, unit: Unit, account) -> tuple[Export, Exporter]:
    """An export of ``unit`` asked for by ``account``, which must still be allowed to read its list; else 404."""
    export = load_scoped(Export, export_id, unit=unit, account=account, action=Action.WORKSPACE_ENTER, own=True)
    exporter = EXPORTERS.get(export.kind)
    if export.requested_by_id != account.id or exporter is None or not can(account, exporter.action, unit, target=unit):
        deny("exports.read", unit=unit, object_type="exports", object_id=export.id)
    return export, exporter


def own_exports(unit: Unit, account, limit: int = 50) -> list[Export]:
    """The account's exports at the unit, newest first (their files not loaded)."""
    return list(db.session.scalars(select(Export).where(Export.unit_id == unit.id,
                                                        Export.requested_by_id == account.id)
                                   .order_by(Export.id.desc()).limit(limit)))


def may_export_any(account, unit: Unit) -> bool:
    return any(can(account, e.action, unit, target=unit) for e in EXPORTERS.values())
