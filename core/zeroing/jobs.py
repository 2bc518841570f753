"""Jobs of the zeroing campaign: proposals across the tree, the overdue recount, monthly bulletins."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import calendar
from core.directives.models import Directive, DirectiveReceipt
from core.extensions import db
from core.jobs import Periodic, across_units, job
from core.zeroing import operations as ops
from core.zeroing.models import PURPOSE
from tenants.models import Unit, UnitLevel


def _active_campaigns() -> list[Directive]:
    return list(db.session.scalars(select(Directive).where(Directive.purpose == PURPOSE, Directive.state == "sent")))


def _receivers(campaign: Directive) -> list[Unit]:
    ids = select(DirectiveReceipt.unit_id).where(DirectiveReceipt.directive_id == campaign.id)
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(ids) | (Unit.id == campaign.unit_id))
                                   .order_by(Unit.path)))


@job("maintenance", timeout=3600)
def propose_backlog(campaign_id: int | None = None) -> dict:
    """Propose every unit's unresolved 三多 petitions for its ledger (at the start, then every 10 minutes
    for petitions that gained a flag since)."""
    def work():
        proposed = 0
        for campaign in _active_campaigns():
            if campaign_id is None or campaign.id == campaign_id:
                proposed += sum(ops.propose_for_unit(campaign, unit) for unit in _receivers(campaign))
        return {"proposed": proposed}
    return across_units(work)


@job("maintenance", timeout=1800)
def scan_backlog_overdue() -> dict:
    return across_units(lambda: ops.scan_overdue(calendar.today()))


@job("maintenance", timeout=3600)
def build_monthly_bulletins() -> dict:
    """On the 1st: last month's bulletin for the sender and every receiving unit above township."""
    today = calendar.today()
    month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")

    def work():
        built = 0
        for campaign in _active_campaigns():
            if campaign.sent_on.strftime("%Y-%m") > month:
                continue
            for unit in _receivers(campaign):
                if unit.level not in (UnitLevel.TOWNSHIP, UnitLevel.STATIONED):
                    ops.build_bulletin(campaign, unit, month)
                    built += 1
        return {"month": month, "bulletins": built}
    return across_units(work)


PERIODIC = [Periodic(propose_backlog, "*/10 * * * *"), Periodic(scan_backlog_overdue, "*/10 * * * *"),
            Periodic(build_monthly_bulletins, "15 1 1 * *")]
