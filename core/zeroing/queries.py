"""Reading the zeroing ledger: the loaders of a campaign and a case (pages and API), the unit's backlog cases
with filters, its phase, its return periods."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from flask import abort, g, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from core.directives.models import Directive
from core.directives.queries import phase_on
from core.extensions import db
from core.handlers.queries import resolved_handler, where_handler
from core.petitions.models import Petition
from core.zeroing.models import CLOSEOUT_BASES, PURPOSE, RECHECK_RESULTS, BacklogCase, CampaignBulletin
from core.zeroing.workflow import BACKLOG_FLOW, STEP_ACTIONS
from tenants.access import Action, can
from tenants.models import Unit
from tenants.scoping import load_scoped
from tenants.workbench import PANEL_ROWS, Row, flag_of, window


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


# Still the handler's work (承办人's workload): proposed for the ledger, or being resolved.
HANDLER_OPEN = ("proposed", "open")


@dataclass
class LedgerFilter:
    state: str = ""  # proposed | open | closed_out | declined | "" (all but declined)
    overdue: bool = False
    sampled: bool = False
    handler: str = ""  # 承办人: an account id, "none" (nobody's yet), or "" (anyone's); "me" arrives as one's id
    open: bool = False  # proposed or being resolved (HANDLER_OPEN)

    @classmethod
    def from_args(cls, args) -> LedgerFilter:
        return cls(state=args.get("state", ""), overdue=args.get("overdue") == "1", sampled=args.get("sampled") == "1",
                   handler=resolved_handler(args), open=args.get("open") == "1")


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
    if f.open:
        stmt = stmt.where(BacklogCase.state.in_(HANDLER_OPEN))
    stmt = where_handler(stmt, BacklogCase, f.handler)
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


def cases_by_id(campaign: Directive, unit: Unit, ids: list[int]) -> dict[int, BacklogCase | None]:
    """id -> the unit's own case of this campaign (None for an id naming none of them), in the order given."""
    ids = list(dict.fromkeys(ids))
    found = {c.id: c for c in db.session.scalars(select(BacklogCase).options(selectinload(BacklogCase.petition)).where(
        BacklogCase.id.in_(ids), BacklogCase.directive_id == campaign.id, BacklogCase.unit_id == unit.id))} if ids else {}
    return {i: found.get(i) for i in ids}


def handled_list_args(unit: Unit) -> dict | None:
    """Where the workload page lists a handler's backlog cases: the ledger of the unit's latest campaign with
    cases (None: the unit has no ledger)."""
    campaign_id = db.session.scalar(select(BacklogCase.directive_id).where(BacklogCase.unit_id == unit.id)
                                    .order_by(BacklogCase.directive_id.desc()).limit(1))
    return {"campaign_id": campaign_id} if campaign_id else None


def bulletins(campaign: Directive, unit: Unit) -> list[CampaignBulletin]:
    return list(db.session.scalars(select(CampaignBulletin).where(
        CampaignBulletin.directive_id == campaign.id, CampaignBulletin.unit_id == unit.id)
        .order_by(CampaignBulletin.period.desc())))


def current_phase_name(campaign: Directive, today: date) -> str:
    phase = phase_on(campaign, today)
    return phase.name if phase else ""


# ---------------------------------------------------------------- the workbench's panels (tenants.workbench)

NEXT_STEPS = {"proposed": "adopt", "open": "close_out"}


def workbench_mine(unit: Unit, account) -> list[Row]:
    """我承办的积案: proposed for the ledger, or open with the target date within 3 working days, past, or new."""
    w = window()
    rows = db.session.execute(
        select(BacklogCase.id, BacklogCase.directive_id, BacklogCase.state, BacklogCase.target_on,
               BacklogCase.created_at, Petition.number, Petition.summary)
        .join(Petition, Petition.id == BacklogCase.petition_id)
        .where(BacklogCase.unit_id == unit.id, BacklogCase.handler_id == account.id,
               or_(BacklogCase.state == "proposed",
                   and_(BacklogCase.state == "open",
                        or_(BacklogCase.target_on <= w.horizon, BacklogCase.created_at >= w.since))))
        .order_by(BacklogCase.target_on.is_(None), BacklogCase.target_on, BacklogCase.id).limit(PANEL_ROWS))
    may = can(account, STEP_ACTIONS["adopt"], unit)
    out = []
    for r in rows:
        href = url_for("zeroing.case", unit_id=unit.id, campaign_id=r.directive_id, backlog_case_id=r.id)
        step = NEXT_STEPS.get(r.state)
        out.append(Row(label=r.number, href=href, text=r.summary, state=BACKLOG_FLOW.label(r.state),
                       due_on=r.target_on if r.state == "open" else None,
                       flag=flag_of(r.target_on if r.state == "open" else None, r.created_at, w),
                       step=(BACKLOG_FLOW.step_label(step), f"{href}#step-{step}") if step and may else None,
                       key=("backlog_cases", r.id)))
    return out
