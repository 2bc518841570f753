"""Periodic jobs of collaboration zones: the convener rota and the grants' start days."""
from sqlalchemy import select

from core import calendar
from core.extensions import db
from core.jobs import Periodic, across_units, job
from core.zones import operations as ops
from tenants.models import Unit, UnitLevel


def _counties():
    return db.session.scalars(select(Unit).where(Unit.level == UnitLevel.COUNTY, Unit.archived_at.is_(None),
                                                 Unit.federated.is_(False)))


@job("maintenance", timeout=1800)
def advance_zone_rotas() -> dict:
    """Just after midnight: terms that ended yesterday hand over, their conveners are asked to report, and
    the inbox entries of grants that ended close."""
    today = calendar.today()
    return across_units(lambda: {"terms_started": sum(ops.advance_rotas(c, today) for c in _counties()),
                                 "ended_grants_closed": sum(ops.close_ended_grants(c, today) for c in _counties())})


@job("maintenance", timeout=600)
def activate_cross_grants() -> dict:
    """Grants whose start day has come make their shares (ends need no job: the shares expire)."""
    today = calendar.today()
    return across_units(lambda: {"grants_started": sum(ops.activate_due_grants(c, today) for c in _counties())})


PERIODIC = [Periodic(advance_zone_rotas, "5 0 * * *"), Periodic(activate_cross_grants, "*/5 * * * *")]
