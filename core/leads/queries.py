"""Reads of leads for the pages and the API: the loaders of a lead (the unit's own only: a lead is read through no
share yet), the petition a unit converts, the filtered registry and the lead a petition became."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import exists, or_, select

from core import calendar
from core.crypto import name_key
from core.extensions import db
from core.handlers.queries import resolved_handler, where_handler
from core.leads.models import SOURCE_LABELS, Lead, LeadPerson, LeadReport, LeadTrackDecision
from core.leads.workflow import LEAD_FLOW, OPEN, REPORT_SHARE, SHARE_STEPS, STEP_ACTIONS, TRACKS, WAYS
from core.petitions.models import Petition
from core.petitions.queries import load_own as load_own_petition
from tenants.access import Action, can, deny, ensure
from tenants.models import Share, Unit, UnitLevel
from tenants.queries import active_shares
from tenants.scoping import active_shares_clause, load_scoped, may_open
from tenants.workbench import PANEL_ROWS, Row, flag_of, window

# Still the handler's work (承办人's workload): waiting for a disposal, or shelved until its review date.
HANDLER_OPEN = OPEN


def load_lead(lead_id, action: Action, unit: Unit, account, *, own: bool = True) -> Lead:
    """A lead of the acting unit itself; else 404 (a sibling township, the county above, the province's analyst).
    ``own=False``: also one shared to the unit or account (月报备, 县领办's assistance, 县镇合办's staff)."""
    lead = load_scoped(Lead, lead_id, unit=unit, account=account, action=action, own=own)
    if lead.unit_id != unit.id and not may_read_through_shares(lead, unit, account):
        deny(action, unit=unit, object_type="leads", object_id=lead.id)
    return lead


# Reading another unit's lead through a share asks what the share's purpose asks: a reported lead (月报备) is the
# county's case admin's and leader's (its funnel), not every county officer's; the named steps' shares, LEADS_READ.
READ_THROUGH = {REPORT_SHARE: Action.LEADS_FUNNEL}


def shares_here(lead: Lead, unit: Unit) -> list[Share]:
    """The lead's active shares that count at the acting unit. A share named to an account (县镇合办's county staff)
    counts only where that account acts for the county above the lead's township: the same person acting at
    another unit they belong to (a sibling township) gets nothing through it, and it ends with their membership."""
    shares = active_shares("leads", lead.id)
    if any(share.grantee_account_id is not None for share in shares):
        owner = db.session.get(Unit, lead.unit_id)
        shares = [s for s in shares if s.grantee_account_id is None or unit.id == owner.parent_id]
    return shares


def may_read_through_shares(lead: Lead, unit: Unit, account) -> bool:
    return any(can(account, READ_THROUGH.get(share.purpose, Action.LEADS_READ), unit, target=unit)
               for share in shares_here(lead, unit))


def may_open_lead(account, unit: Unit, lead: Lead) -> bool:
    """Would the lead's page open here (the loader's decision without its 404): for links."""
    return may_open(account, Action.LEADS_READ, unit, lead) and (
        lead.unit_id == unit.id or may_read_through_shares(lead, unit, account))


def steps_through_shares(lead: Lead, unit: Unit, account) -> dict[str, Share]:
    """The steps ``account`` may take at ``unit`` on another unit's lead through its active shares, whatever the
    lead's state, each with the share it goes through (views and API decide it here)."""
    steps: dict[str, Share] = {}
    if lead.unit_id == unit.id:
        return steps
    for share in shares_here(lead, unit):
        names, action = SHARE_STEPS.get(share.purpose, ((), None))
        if action is None or not can(account, action, unit):
            continue
        for name in names:
            if name in share.allowed_transitions:
                steps.setdefault(name, share)
    return steps


def allowed_steps(lead: Lead, unit: Unit, account) -> list[str]:
    """The ways the account may dispose of the lead now: by role at the owner, by a share's named steps elsewhere."""
    available = {t.name for t in LEAD_FLOW.available(lead)}
    if lead.unit_id == unit.id:
        return [w for w in WAYS if w in available and can(account, STEP_ACTIONS[w], unit)]
    through = steps_through_shares(lead, unit, account)
    return [w for w in WAYS if w in available and w in through]


def load_for_step(lead_id, step: str, unit: Unit, account) -> tuple[Lead, Share | None]:
    """A lead the account may dispose of in ``step`` (予以了结: a leader of its own unit; a share's named steps);
    else 404. Returns the share the step goes through (None at the owner)."""
    lead = load_lead(lead_id, Action.LEADS_READ, unit, account, own=False)
    if lead.unit_id == unit.id:
        if not can(account, STEP_ACTIONS.get(step, Action.LEADS_DISPOSE), unit):
            deny(STEP_ACTIONS.get(step, Action.LEADS_DISPOSE), unit=unit, object_type="leads", object_id=lead.id)
        return lead, None
    share = steps_through_shares(lead, unit, account).get(step)
    if share is None:
        deny(Action.LEADS_DISPOSE, unit=unit, object_type="leads", object_id=lead.id)
    return lead, share


def load_report(report_id, unit: Unit, account, action: Action = Action.LEAD_REPORTS_READ) -> LeadReport:
    """A township's own report, or (its county) one of its townships' reports; else 404."""
    return load_scoped(LeadReport, report_id, unit=unit, account=account, action=action)


def load_decision(decision_id, unit: Unit, account, action: Action) -> LeadTrackDecision:
    """A track decision of the county (its own only); else 404."""
    return load_scoped(LeadTrackDecision, decision_id, unit=unit, account=account, action=action, own=True)


def load_for_funnel(lead_id, unit: Unit, account, action: Action = Action.LEADS_FUNNEL) -> Lead:
    """A lead a township of the county reported (shared by its monthly report) or the county's own; else 404."""
    lead = load_scoped(Lead, lead_id, unit=unit, account=account, action=action)
    if lead.unit_id != unit.id and not any(s.purpose == REPORT_SHARE and s.grantee_unit_id == unit.id
                                           for s in active_shares("leads", lead.id)):
        deny(action, unit=unit, object_type="leads", object_id=lead.id)
    return lead


def townships_of(county: Unit) -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.parent_id == county.id, Unit.level == UnitLevel.TOWNSHIP,
                                                      Unit.archived_at.is_(None)).order_by(Unit.code)))


def reports_of_township(unit: Unit) -> list[LeadReport]:
    return list(db.session.scalars(select(LeadReport).where(LeadReport.unit_id == unit.id)
                                   .order_by(LeadReport.period.desc())))


def reports_of_county(county: Unit, periods: list[str]) -> dict[tuple[int, str], LeadReport]:
    rows = db.session.scalars(select(LeadReport).where(LeadReport.county_id == county.id,
                                                       LeadReport.period.in_(periods)))
    return {(r.unit_id, r.period): r for r in rows}


def decisions_of(lead: Lead) -> list[LeadTrackDecision]:
    """The funnel's decisions on a lead (its township's, or the county lead's origin), oldest first."""
    lead_id = lead.origin_id or lead.id
    return list(db.session.scalars(select(LeadTrackDecision).where(LeadTrackDecision.lead_id == lead_id)
                                   .order_by(LeadTrackDecision.decided_at, LeadTrackDecision.id)))


def pending_decisions(county: Unit) -> list[LeadTrackDecision]:
    return list(db.session.scalars(select(LeadTrackDecision).where(
        LeadTrackDecision.unit_id == county.id, LeadTrackDecision.status == "pending")
        .order_by(LeadTrackDecision.decided_at)))


@dataclass
class FunnelFilter:
    track: str = ""
    state: str = ""
    overdue: bool = False
    unit: int | None = None

    @classmethod
    def from_args(cls, args) -> FunnelFilter:
        track, state = args.get("track", ""), args.get("state", "")
        return cls(track=track if track in TRACKS else "", state=state if state in LEAD_FLOW.states else "",
                   overdue=args.get("overdue") in ("1", "true", "on"), unit=args.get("unit", type=int))

    def as_args(self) -> dict:
        return {k: v for k, v in (("track", self.track), ("state", self.state), ("overdue", "1" if self.overdue
                                                                                    else ""),
                                  ("unit", self.unit)) if v}


def funnel_query(county: Unit, f: FunnelFilter, account, today: date | None = None):
    """Every lead of the county's funnel: its own registry and what its townships' reports shared with it."""
    from core import context

    today = today or calendar.today()
    reported = select(Share.object_id).where(Share.purpose == REPORT_SHARE,
                                             active_shares_clause("leads", context.current()))
    stmt = select(Lead).where(or_(Lead.unit_id == county.id, Lead.id.in_(reported)))
    if f.track:
        stmt = stmt.where(Lead.track == f.track)
    if f.state:
        stmt = stmt.where(Lead.state == f.state)
    if f.overdue:
        stmt = stmt.where(Lead.state.in_(OPEN), Lead.due_on < today)
    if f.unit:
        stmt = stmt.where(Lead.unit_id == f.unit)
    return stmt.order_by(Lead.received_on.desc(), Lead.id.desc())


def load_petition_to_convert(petition_id, unit: Unit, account) -> Petition:
    """One of the unit's own petitions, for an account that registers leads and reads petitions; else 404."""
    ensure(account, Action.LEADS_REGISTER, unit, target=unit)
    return load_own_petition(petition_id, Action.PETITIONS_READ, unit, account)


def lead_of_petition(petition: Petition) -> Lead | None:
    return db.session.scalar(select(Lead).where(Lead.unit_id == petition.unit_id, Lead.petition_id == petition.id))


def petition_of(lead: Lead) -> Petition | None:
    """The petition a lead was converted from (its own unit's), for the link back."""
    if lead.petition_id is None:
        return None
    return db.session.scalar(select(Petition).where(Petition.id == lead.petition_id, Petition.unit_id == lead.unit_id))


@dataclass
class LeadFilter:
    state: str = ""  # a LEAD_FLOW state, or "" for all
    source: str = ""  # a Source value
    overdue: bool = False  # open and past its deadline (or review date)
    q: str = ""  # part of the number, or a person's full name
    handler: str = ""  # 承办人: an account id, "none", or ""; "me" arrives as one's id
    open: bool = False

    @classmethod
    def from_args(cls, args) -> LeadFilter:
        state, source = args.get("state", ""), args.get("source", "")
        return cls(state=state if state in LEAD_FLOW.states else "",
                   source=source if source in SOURCE_LABELS else "",
                   overdue=args.get("overdue") in ("1", "true", "on"), q=(args.get("q") or "").strip()[:50],
                   handler=resolved_handler(args), open=args.get("open") in ("1", "true", "on"))

    def as_args(self) -> dict:
        return {k: v for k, v in (("state", self.state), ("source", self.source),
                                  ("overdue", "1" if self.overdue else ""), ("q", self.q), ("handler", self.handler),
                                  ("open", "1" if self.open else "")) if v}


def list_query(unit: Unit, f: LeadFilter, today: date | None = None):
    """The unit's own leads, newest first."""
    today = today or calendar.today()
    stmt = select(Lead).where(Lead.unit_id == unit.id)
    if f.state:
        stmt = stmt.where(Lead.state == f.state)
    if f.source:
        stmt = stmt.where(Lead.source == f.source)
    if f.overdue:
        stmt = stmt.where(Lead.state.in_(OPEN), Lead.due_on < today)
    if f.open:
        stmt = stmt.where(Lead.state.in_(HANDLER_OPEN))
    stmt = where_handler(stmt, Lead, f.handler)
    if f.q:
        # The persons' names are sealed: found by the keyed hash of the exact name.
        named = exists().where(LeadPerson.lead_id == Lead.id, LeadPerson.name_key == name_key(f.q))
        stmt = stmt.where(or_(Lead.number.contains(f.q, autoescape=True), named))
    return stmt.order_by(Lead.year.desc(), Lead.seq.desc())


# ---------------------------------------------------------------- the ledger (问题线索处置台账: the list's rows in xlsx)


def ledger_header() -> list[str]:
    """The columns of 问题线索处置台账. A lead has no informant: there is no such column to leave out."""
    return [_("线索编号"), _("线索来源"), _("来源说明"), _("收到日期"), _("被反映人"), _("职务"), _("级别"), _("是否党员"),
            _("问题线索摘要"), _("办理方式"), _("状态"), _("处置方式"), _("处置日期"), _("四种形态"), _("处置期限"),
            _("是否逾期")]


def ledger_rows(unit: Unit, f: LeadFilter, today: date | None = None):
    """The ledger's rows for the list's filter, streamed (the export registry's 问题线索处置台账)."""
    today = today or calendar.today()
    yes, no = _("是"), _("否")
    for lead in db.session.scalars(list_query(unit, f, today).execution_options(yield_per=500)):
        persons = lead.persons
        open_ = lead.state in OPEN
        yield [lead.number, lead.source_label, lead.source_note, lead.received_on,
               "、".join(p.person_name for p in persons), "、".join(p.person_position or "" for p in persons),
               "、".join(p.level_label for p in persons),
               "、".join("" if p.party_member is None else (yes if p.party_member else no) for p in persons),
               lead.summary, lead.track_label, lead.state_label, lead.way_label, lead.disposed_on, lead.form_label,
               lead.due_on if open_ else None, yes if open_ and lead.due_on and lead.due_on < today else ""]


# ---------------------------------------------------------------- the county's workbench: the funnel's work waiting


def workbench_to_assign(unit: Unit, account) -> list[Row]:
    """待分派的问题线索: leads the townships reported to the county, still open, with no track decided yet (oldest
    first: the funnel decides who handles them)."""
    from core import context

    reported = select(Share.object_id).where(Share.purpose == REPORT_SHARE,
                                             active_shares_clause("leads", context.current()))
    decided = exists().where(LeadTrackDecision.lead_id == Lead.id)
    items = db.session.execute(
        select(Lead.id, Lead.number, Unit.name, Lead.summary, Lead.state, Lead.due_on, Lead.created_at)
        .join(Unit, Unit.id == Lead.unit_id)
        .where(Lead.id.in_(reported), Lead.state.in_(OPEN), ~decided)
        .order_by(Lead.received_on, Lead.id).limit(PANEL_ROWS)).all()
    w = window()
    return [Row(label=number, href=url_for("leads.funnel_lead", unit_id=unit.id, lead_id=lead_id),
                text=f"{township} · {summary}", state=LEAD_FLOW.label(state), due_on=due_on,
                flag=flag_of(due_on, created_at, w),
                step=(str(_("分派")), url_for("leads.funnel_lead", unit_id=unit.id, lead_id=lead_id)),
                key=("leads", lead_id))
            for lead_id, number, township, summary, state, due_on, created_at in items]


def workbench_to_approve(unit: Unit, account) -> list[Row]:
    """待审批的分派: 县领办 and 县镇合办 decisions waiting for the county leader."""
    w = window()
    rows = []
    for d in pending_decisions(unit)[:PANEL_ROWS]:
        href = url_for("leads.funnel_lead", unit_id=unit.id, lead_id=d.lead_id)
        rows.append(Row(label=d.lead_number, href=href, text=f"{d.from_track_label} → {d.track_label} · {d.reason}",
                        state=str(_("待审批")), flag=flag_of(None, d.decided_at, w),
                        step=(str(_("审批")), href), key=("leads", d.lead_id)))
    return rows
