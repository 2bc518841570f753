"""Reading the zeroing ledger: the loaders of a campaign and a case (pages and API), the unit's backlog cases
with filters, its phase, its return periods."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from flask import abort, g
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.directives.models import Directive
from core.directives.queries import phase_on
from core.extensions import db
from core.zeroing.models import CLOSEOUT_BASES, PURPOSE, RECHECK_RESULTS, BacklogCase, CampaignBulletin
from tenants.access import Action
from tenants.models import Unit
from tenants.scoping import load_scoped


def load_campaign(campaign_id: int, action: Action = Action.ZEROING_READ) -> Directive:
    """The campaign as the unit sees it: sent by it or received through its receipt; else 404."""
    campaign = load_scoped(Directive, campaign_id, unit=g.unit, account=current_user, action=action)
    if campaign.purpose != PURPOSE:
        abort(404)
    return campaign


def load_case(campaign: Directive, case_id: int, action: Action = Action.ZEROING_READ) -> BacklogCase:
    """A case of the unit's own ledger in this campaign (never a lower unit's: its figures only); else 404."""
    case = load_scoped(BacklogCase, case_id, unit=g.unit, account=current_user, action=action, own=True)
    if case.directive_id != campaign.id:
        abort(404)
    return case


def load_bulletin(campaign: Directive, bulletin_id: int) -> CampaignBulletin:
    """A monthly bulletin of this campaign as the unit sees it; else 404."""
    bulletin = load_scoped(CampaignBulletin, bulletin_id, unit=g.unit, account=current_user,
                           action=Action.ZEROING_READ)
    if bulletin.directive_id != campaign.id:
        abort(404)
    return bulletin


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


def ledger_header() -> list[str]:
    """The columns of 积案台账: the matter and its handling, never the informant."""
    return [_("信访编号"), _("被反映人"), _("反映问题"), _("标记"), _("状态"), _("包案领导"), _("职务"), _("工作专班"),
            _("化解方案"), _("化解时限"), _("是否逾期"), _("下访/接访次数"), _("销号日期"), _("销号依据"), _("回头看"),
            _("重新化解次数")]


def ledger_rows(campaign: Directive, unit: Unit, f: LedgerFilter, today: date) -> Iterator[list]:
    """The ledger's rows for the page's filter, streamed (the page's ledger.xlsx and reporting's exports)."""
    yes = _("是")
    for case in db.session.scalars(ledger_query(campaign, unit, f, today).execution_options(yield_per=500)):
        p = case.petition
        yield [p.number, p.accused_name, p.summary, "、".join(p.flag_labels), case.state_label, case.owner_name or "",
               case.owner_position or "", case.task_force or "", case.plan or "", case.target_on,
               yes if case.overdue(today) else "", len(case.visits), case.closed_out_on,
               str(CLOSEOUT_BASES[case.closeout["basis"]]) if case.closeout else "",
               "；".join(f"{r['checked_on']} {RECHECK_RESULTS[r['result']]}" for r in case.rechecks),
               case.reopened_count]


def bulletins(campaign: Directive, unit: Unit) -> list[CampaignBulletin]:
    return list(db.session.scalars(select(CampaignBulletin).where(
        CampaignBulletin.directive_id == campaign.id, CampaignBulletin.unit_id == unit.id)
        .order_by(CampaignBulletin.period.desc())))


def current_phase_name(campaign: Directive, today: date) -> str:
    phase = phase_on(campaign, today)
    return phase.name if phase else ""
