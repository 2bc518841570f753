"""Reads of petitions for the pages and the API: the loaders of a petition for a request (its own, one handled
here, one of its links), the filtered list, a petition's own links, where a routed petition went (through the
tracking share) and where a routed copy came from (its 交办件)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import defer

from core import calendar
from core.crypto import name_key
from core.extensions import db
from core.handlers.queries import resolved_handler, where_handler
from core.petitions.models import ROUTING_LABELS, Flag, Petition, PetitionLink, ReplyTemplate, RoutingMode
from core.petitions.workflow import CROSS_HANDLE_STEPS, OPEN, PETITION_FLOW
from core.supervision.models import SupervisionItem
from tenants.access import Action, can, deny
from tenants.models import Share, Unit, descendants_query
from tenants.queries import active_shares
from tenants.scoping import load_scoped
from tenants.workbench import PANEL_ROWS, Row, flag_of, window


# ---------------------------------------------------------------- loaders (the pages and the API alike)


def load_own(petition_id, action: Action, unit: Unit, account) -> Petition:
    """A petition of the acting unit itself (a record read through a share is never acted on); else 404."""
    return load_scoped(Petition, petition_id, unit=unit, account=account, action=action, own=True)


def steps_through_shares(petition: Petition, unit: Unit, account) -> dict[str, Share]:
    """The steps ``account`` may take at ``unit`` on another township's petition through its active shares,
    whatever the petition's state, each with the share it goes through: a cross-handler's named steps (交叉办案),
    never routing, feedback to the informant or the reveal (the one place views and API decide it)."""
    if not can(account, Action.PETITIONS_HANDLE, unit):
        return {}
    steps: dict[str, Share] = {}
    for share in active_shares("petitions", petition.id):
        if share.purpose == "cross_handle":
            for name in CROSS_HANDLE_STEPS:
                if name in share.allowed_transitions:
                    steps.setdefault(name, share)
    return steps


def load_handled(petition_id, unit: Unit, account) -> Petition:
    """A petition the account may handle here: the unit's own (by role), or another township's through a share
    naming steps (交叉办案); else 404 (a supervising or routing unit reads, never handles)."""
    petition = load_scoped(Petition, petition_id, unit=unit, account=account, action=Action.PETITIONS_HANDLE)
    if petition.unit_id != unit.id and not steps_through_shares(petition, unit, account):
        deny(Action.PETITIONS_HANDLE, unit=unit, object_type="petitions", object_id=petition.id)
    return petition


def share_for_step(petition: Petition, step: str, unit: Unit, account) -> Share | None:
    """The share a step on another township's petition goes through (None for the unit's own); 404 for a
    step no share names."""
    if petition.unit_id == unit.id:
        return None
    share = steps_through_shares(petition, unit, account).get(step)
    if share is None:
        deny(Action.PETITIONS_HANDLE, unit=unit, object_type="petitions", object_id=petition.id)
    return share


def load_own_link(petition: Petition, link_id, unit: Unit, account) -> PetitionLink:
    """One of the petition's repeat links, the unit's own row of it (never the other unit's side); else 404."""
    link = load_scoped(PetitionLink, link_id, unit=unit, account=account, action=Action.PETITIONS_LINKS, own=True)
    if link.petition_id != petition.id:
        deny(Action.PETITIONS_LINKS, unit=unit, object_type="petition_links", object_id=link.id)
    return link


# ---------------------------------------------------------------- the list and the ledger

# Still the handler's work (承办人's workload): registered, being verified, or concluded awaiting feedback.
HANDLER_OPEN = ("registered", "handling", "concluded")


@dataclass
class PetitionFilter:
    state: str = ""  # a PETITION_FLOW state, or "" for all
    flag: str = ""  # a Flag value
    overdue: bool = False  # open (registered/handling) and past the handling deadline
    q: str = ""  # part of the number, or the accused person's full name
    handler: str = ""  # 承办人: an account id, "none" (nobody's yet), or "" (anyone's); "me" arrives as one's id
    open: bool = False  # still to be handled: registered, being verified or awaiting feedback (HANDLER_OPEN)

    @classmethod
    def from_args(cls, args) -> PetitionFilter:
        state, flag = args.get("state", ""), args.get("flag", "")
        return cls(state=state if state in PETITION_FLOW.states else "",
                   flag=flag if flag in Flag.__members__.values() else "",
                   overdue=args.get("overdue") in ("1", "true", "on"), q=(args.get("q") or "").strip()[:50],
                   handler=resolved_handler(args), open=args.get("open") in ("1", "true", "on"))

    def as_args(self) -> dict:
        """The filter as query arguments (for the ledger link and the pages)."""
        return {k: v for k, v in (("state", self.state), ("flag", self.flag), ("overdue", "1" if self.overdue else ""),
                                  ("q", self.q), ("handler", self.handler), ("open", "1" if self.open else "")) if v}


def list_query(unit: Unit, f: PetitionFilter, today: date | None = None):
    """The unit's own petitions, newest first."""
    today = today or calendar.today()
    stmt = select(Petition).where(Petition.unit_id == unit.id)
    if f.state:
        stmt = stmt.where(Petition.state == f.state)
    if f.flag:
        # JSON list of flags; a LIKE on its text form works the same on SQLite and PostgreSQL.
        stmt = stmt.where(cast(Petition.flags, String).like(f'%"{f.flag}"%'))
    if f.overdue:
        stmt = stmt.where(Petition.state.in_(OPEN), Petition.due_on < today)
    if f.open:
        stmt = stmt.where(Petition.state.in_(HANDLER_OPEN))
    stmt = where_handler(stmt, Petition, f.handler)
    if f.q:
        # The accused person's name is sealed: found by the keyed hash of the exact name (core.crypto.match_key).
        stmt = stmt.where(or_(Petition.number.contains(f.q, autoescape=True),
                              Petition.accused_name_key == name_key(f.q)))
    return stmt.order_by(Petition.year.desc(), Petition.seq.desc())


def ledger_header() -> list[str]:
    """The columns of 信访举报登记台账. No informant field at all, not even masked."""
    return [_("受理编号"), _("受理方式"), _("受理日期"), _("被反映人"), _("职务"), _("单位"), _("级别"), _("是否党员"),
            _("问题类别"), _("反映问题摘要"), _("重复/三多"), _("状态"), _("办理期限"), _("转交情况"), _("核查结论"),
            _("办结日期"), _("反馈日期"), _("举报人是否满意")]


def ledger_rows(unit: Unit, f: PetitionFilter) -> Iterator[list]:
    """The ledger's rows for the list's filter, streamed (the page's ledger.xlsx and reporting's exports).
    The informant's (encrypted) columns are not even read."""
    satisfied = {"yes": _("满意"), "no": _("不满意"), "unknown": _("未表态")}
    yes, no = _("是"), _("否")
    labels: dict = {}  # each label translated once, not once per row (a third of a 100,000-row export)

    def label(p: Petition, name: str, key):
        if (name, key) not in labels:
            labels[name, key] = getattr(p, name)
        return labels[name, key]

    stmt = list_query(unit, f).options(
        defer(Petition.informant_name), defer(Petition.informant_id_number), defer(Petition.informant_phone),
        defer(Petition.informant_address), defer(Petition.content), defer(Petition.findings))
    for p in db.session.scalars(stmt.execution_options(yield_per=1000)):
        routing = p.routing or {}
        yield [
            p.number, label(p, "channel_label", p.channel), p.received_on, p.accused_name, p.accused_position,
            p.accused_work_unit, label(p, "accused_level_label", p.accused_level),
            "" if p.accused_party_member is None else (yes if p.accused_party_member else no),
            p.category, p.summary, "、".join(label(p, "flag_labels", tuple(p.flags))),
            label(p, "state_label", p.state), p.due_on if p.state in OPEN else None,
            f"{ROUTING_LABELS[RoutingMode(routing['mode'])]} {routing['to_unit_name']} {routing['number']}"
            if routing else "",
            label(p, "outcome_label", p.outcome), p.concluded_on, (p.feedback or {}).get("given_on", ""),
            satisfied.get((p.feedback or {}).get("satisfied"), ""),
        ]


def own_links(petition: Petition) -> list[PetitionLink]:
    """The petition's side of its repeat links: rows of its own unit only, never the other record."""
    return list(db.session.scalars(select(PetitionLink).where(
        PetitionLink.petition_id == petition.id, PetitionLink.unit_id == petition.unit_id)
        .order_by(PetitionLink.state != "proposed", PetitionLink.other_received_on.desc(), PetitionLink.id)))


def routed_copy(petition: Petition) -> Petition | None:
    """The receiver's record of a petition routed down, read through the tracking share (None once the
    share is gone): the acting unit's filter and RLS admit it exactly as the share allows."""
    copy_id = (petition.routing or {}).get("petition_id")
    if not copy_id:
        return None
    return db.session.scalar(select(Petition).where(Petition.id == copy_id))


def routing_item(petition: Petition):
    """The 交办件 a routed copy was handed down with (issued by the origin unit, received by this one)."""
    return db.session.scalar(select(SupervisionItem).where(
        SupervisionItem.kind == "assigned", SupervisionItem.subject_type == "petitions",
        SupervisionItem.subject_id == petition.id))


def reply_templates(unit: Unit) -> list[ReplyTemplate]:
    """The unit's reply templates in force (its own: a unit's standard texts are not inherited)."""
    return list(db.session.scalars(select(ReplyTemplate).where(
        ReplyTemplate.unit_id == unit.id, ReplyTemplate.archived.is_(False)).order_by(ReplyTemplate.id)))


def routing_targets(unit: Unit) -> list[Unit]:
    """The units a petition may be routed to: the unit's active descendants, in tree order."""
    return list(db.session.scalars(descendants_query(unit)))


# ---------------------------------------------------------------- the workbench's panels (tenants.workbench)

# The step after each state, on the petition's page (the button opens the page at its form).
NEXT_STEPS = {"registered": "start", "handling": "conclude", "concluded": "feedback"}


def _petition_row(r, w, account, unit: Unit, *, text: str = "") -> Row:
    href = url_for("petitions.show", unit_id=unit.id, petition_id=r.id)
    step = NEXT_STEPS.get(r.state)
    return Row(label=r.number, href=href, text=text or r.summary, state=PETITION_FLOW.label(r.state),
               due_on=r.due_on if r.state in OPEN else None,
               flag=flag_of(r.due_on if r.state in OPEN else None, r.created_at, w), key=("petitions", r.id),
               step=(PETITION_FLOW.step_label(step), f"{href}#step-{step}")
               if step and can(account, Action.PETITIONS_HANDLE, unit) else None)


def workbench_mine(unit: Unit, account) -> list[Row]:
    """我承办的信访件: open or awaiting feedback, due within 3 working days, overdue, or new (one query)."""
    w = window()
    rows = db.session.execute(
        select(Petition.id, Petition.number, Petition.summary, Petition.state, Petition.due_on, Petition.created_at)
        .where(Petition.unit_id == unit.id, Petition.handler_id == account.id,
               Petition.state.in_((*OPEN, "concluded")),
               or_(Petition.due_on <= w.horizon, Petition.created_at >= w.since, Petition.state == "concluded"))
        .order_by(Petition.due_on.is_(None), Petition.due_on, Petition.id).limit(PANEL_ROWS))
    return [_petition_row(r, w, account, unit) for r in rows]


def workbench_registered_today(unit: Unit, account) -> list[Row]:
    """今日登记: what intake registered today (received today or entered today), with the routing to follow."""
    w = window()
    start = datetime.combine(w.today, time.min, tzinfo=calendar.CHINA)
    rows = db.session.execute(
        select(Petition.id, Petition.number, Petition.summary, Petition.state, Petition.due_on, Petition.created_at)
        .where(Petition.unit_id == unit.id, or_(Petition.received_on == w.today, Petition.created_at >= start))
        .order_by(Petition.id.desc()).limit(PANEL_ROWS))
    may_route = can(account, Action.PETITIONS_ROUTE, unit)
    out = []
    for r in rows:
        row = _petition_row(r, w, account, unit)
        route = (PETITION_FLOW.step_label("route"), f"{row.href}#route") if may_route and r.state == "registered" \
            else row.step
        out.append(replace(row, step=route, flag="new"))
    return out


def workbench_routed(unit: Unit, account) -> list[Row]:
    """转办跟踪: petitions routed down and not yet reported back, oldest first."""
    rows = db.session.execute(
        select(Petition.id, Petition.number, Petition.summary, Petition.state, Petition.due_on, Petition.created_at,
               Petition.routing)
        .where(Petition.unit_id == unit.id, Petition.state == "routed").order_by(Petition.id).limit(PANEL_ROWS))
    return [Row(label=r.number, href=url_for("petitions.show", unit_id=unit.id, petition_id=r.id),
                text=_("%(mode)s %(unit)s", mode=ROUTING_LABELS[RoutingMode(r.routing["mode"])],
                       unit=r.routing.get("to_unit_name", "")) if r.routing else r.summary,
                state=PETITION_FLOW.label(r.state), key=("petitions", r.id)) for r in rows]
