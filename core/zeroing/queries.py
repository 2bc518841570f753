"""Reading the zeroing ledger: the unit's backlog cases with filters, its phase, its return periods."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.directives.models import Directive
from core.directives.queries import phase_on
from core.extensions import db
from core.zeroing.models import BacklogCase, CampaignBulletin
from tenants.models import Unit


@dataclass
class LedgerFilter:
    state: str = ""  # proposed | open | closed_out | declined | "" (all but declined)
    overdue: bool = False
    sampled: bool = False

    @classmethod
    def from_args(cls, args) -> LedgerFilter:
        return cls(state=args.get("state", ""), overdue=args.get("overdue") == "1", sampled=args.get("sampled") == "1")


def ledger_query(campaign: Directive, unit: Unit, f: LedgerFilter, today: date):
    stmt = (select(BacklogCase).options(selectinload(BacklogCase.petition), selectinload(BacklogCase.visits))
            .where(BacklogCase.directive_id == campaign.id, BacklogCase.unit_id == unit.id))
    if f.state:
        stmt = stmt.where(BacklogCase.state == f.state)
    else:
        stmt = stmt.where(BacklogCase.state != "declined")
    if f.overdue:
        stmt = stmt.where(BacklogCase.state == "open", BacklogCase.target_on < today)
    if f.sampled:
        stmt = stmt.where(BacklogCase.sampled.is_(True))
    return stmt.order_by(BacklogCase.target_on.is_(None), BacklogCase.target_on, BacklogCase.id)


def bulletins(campaign: Directive, unit: Unit) -> list[CampaignBulletin]:
    return list(db.session.scalars(select(CampaignBulletin).where(
        CampaignBulletin.directive_id == campaign.id, CampaignBulletin.unit_id == unit.id)
        .order_by(CampaignBulletin.period.desc())))


def current_phase_name(campaign: Directive, today: date) -> str:
    phase = phase_on(campaign, today)
    return phase.name if phase else ""
