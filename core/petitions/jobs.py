"""Periodic job of petitions: each unit's overdue figure (handling past its deadline), recounted."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from core import calendar
from core.extensions import db
from core.jobs import Periodic, across_units, job
from core.petitions.models import Petition
from core.petitions.workflow import OPEN
from tenants import operations as tenancy_ops
from tenants.models import Unit, UnitStat


def recount_overdue(today: date) -> dict[str, int]:
    """Set ``petitions.overdue`` of every unit with overdue petitions, and zero it where none remain."""
    counts = dict(db.session.execute(
        select(Petition.unit_id, func.count(Petition.id))
        .where(Petition.state.in_(OPEN), Petition.due_on < today).group_by(Petition.unit_id)).all())
    for unit_id in db.session.scalars(select(UnitStat.unit_id).where(
            UnitStat.metric == "petitions.overdue", UnitStat.period == "", UnitStat.value != 0)):
        counts.setdefault(unit_id, 0)
    for unit_id, n in counts.items():
        tenancy_ops.set_stat(db.session.get(Unit, unit_id), "petitions.overdue", n)
    return {"units": len(counts), "overdue": sum(counts.values())}


def refresh_overdue(unit: Unit, today: date) -> None:
    """One unit's ``petitions.overdue``, recounted (the reporting refresh of units that moved)."""
    n = db.session.scalar(select(func.count(Petition.id)).where(
        Petition.unit_id == unit.id, Petition.state.in_(OPEN), Petition.due_on < today))
    tenancy_ops.set_stat(unit, "petitions.overdue", n)


@job("maintenance", timeout=1800)
def scan_petition_deadlines() -> dict:
    return across_units(lambda: recount_overdue(calendar.today()))


PERIODIC = [Periodic(scan_petition_deadlines, "*/10 * * * *")]
