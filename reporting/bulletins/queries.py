"""Reading bulletins: who reads a unit's bulletins, the one loader of a bulletin for pages and API, and a list
filtered to what its reader may read."""
from __future__ import annotations

from flask import g
from flask_login import current_user

from reporting.bulletins.models import Bulletin
from tenants.access import Action, can, deny
from tenants.models import Unit
from tenants.scoping import load_scoped


def reads_bulletins_of(account, unit: Unit, about: Unit) -> bool:
    """May ``account``, at ``unit``, read the bulletins of ``about`` (published to ``about`` and its parent)?
    A bulletin ranks ``about``'s children, so its readers are those who read roll-ups below ``about`` from
    there: leaders and analysts (tenants.access: ROLLUPS_BREAKDOWN)."""
    return unit.id in (about.id, about.parent_id) and can(account, Action.ROLLUPS_BREAKDOWN, unit, about)


def load_bulletin(bulletin_id: int, unit: Unit | None = None) -> Bulletin:
    """A bulletin published to the acting unit (its own, or a child's), for its leaders and analysts; else 404."""
    unit = unit or g.unit
    bulletin = load_scoped(Bulletin, bulletin_id, unit=unit, account=current_user, action=Action.ROLLUPS_READ)
    if not reads_bulletins_of(current_user, unit, bulletin.unit):
        deny(Action.ROLLUPS_READ, unit=unit, object_type="bulletins", object_id=bulletin_id)
    return bulletin


def readable(items: list[Bulletin], unit: Unit) -> list[Bulletin]:
    """The bulletins of ``items`` the account may read at ``unit`` (one verdict per unit reported on)."""
    verdicts: dict[int, bool] = {}
    for item in items:
        if item.unit_id not in verdicts:
            verdicts[item.unit_id] = reads_bulletins_of(current_user, unit, item.unit)
    return [item for item in items if verdicts[item.unit_id]]
