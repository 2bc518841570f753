"""Reading directives: the loaders of a directive for a request (the sender's view or a receiver's, with its
receipt; an attachment), the sender's tracking table, late units, and the roll-up of returns."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask import url_for
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from core.directives.models import CampaignPhase, Directive, DirectiveAttachment, DirectiveReceipt, DirectiveReturn
from core.directives.operations import Period, current_period, owes_returns, return_periods
from core.directives.workflow import RECEIPT_FLOW
from core.extensions import db
from tenants.access import Action, can, deny, ensure
from tenants.models import Unit
from tenants.scoping import load_scoped
from tenants.workbench import PANEL_ROWS, Row, flag_of, window


# ---------------------------------------------------------------- loaders (the pages and the API alike)


def load_directive(directive_id, unit: Unit, account) -> tuple[Directive, DirectiveReceipt | None]:
    """The directive as its sender sees it (receipt None) or as a receiver sees it (its receipt); else 404."""
    directive = load_scoped(Directive, directive_id, unit=unit, account=account, action=Action.WORKSPACE_ENTER)
    if directive.unit_id == unit.id:
        ensure(account, Action.DIRECTIVES_TRACK, unit, object_type="directives", object_id=directive_id)
        return directive, None
    ensure(account, Action.DIRECTIVES_RECEIVE, unit, object_type="directives", object_id=directive_id)
    receipt = db.session.scalar(select(DirectiveReceipt).where(DirectiveReceipt.directive_id == directive.id,
                                                               DirectiveReceipt.unit_id == unit.id))
    return directive, receipt


def load_received(directive_id, unit: Unit, account) -> tuple[Directive, DirectiveReceipt]:
    """A directive the unit received, with its receipt (to acknowledge, return, forward); 404 at the sender."""
    directive, receipt = load_directive(directive_id, unit, account)
    if receipt is None:
        deny(Action.DIRECTIVES_RECEIVE, unit=unit, object_type="directives", object_id=directive_id)
    return directive, receipt


def load_attachment(directive: Directive, attachment_id, unit: Unit, account) -> DirectiveAttachment:
    """One of the directive's attachments; 404 for any other."""
    file = load_scoped(DirectiveAttachment, attachment_id, unit=unit, account=account, action=Action.WORKSPACE_ENTER)
    if file.directive_id != directive.id:
        deny(Action.WORKSPACE_ENTER, unit=unit, object_type="directive_attachments", object_id=attachment_id)
    return file


# ---------------------------------------------------------------- the sender's tracking


@dataclass
class TrackingRow:
    receipt: DirectiveReceipt
    returns: dict[str, DirectiveReturn] = field(default_factory=dict)

    def status(self, period: Period, today: date) -> str:
        """returned | late_returned | late | pending | exempt (this receiver's level files no returns)."""
        if not owes_returns(self.receipt.directive, self.receipt.unit):
            return "exempt"
        filed = self.returns.get(period.key)
        if filed:
            return "late_returned" if filed.submitted_at.date() > period.due_on else "returned"
        return "late" if today > period.due_on else "pending"


def receipts(directive: Directive) -> list[DirectiveReceipt]:
    return list(db.session.scalars(
        select(DirectiveReceipt).options(joinedload(DirectiveReceipt.unit))
        .where(DirectiveReceipt.directive_id == directive.id)
        .join(Unit, Unit.id == DirectiveReceipt.unit_id).order_by(Unit.path)))


def tracking(directive: Directive) -> list[TrackingRow]:
    rows = {r.unit_id: TrackingRow(r) for r in receipts(directive)}
    for filed in db.session.scalars(select(DirectiveReturn).where(DirectiveReturn.directive_id == directive.id)):
        if filed.unit_id in rows:
            rows[filed.unit_id].returns[filed.period] = filed
    return list(rows.values())


def late(directive: Directive, today: date, rows: list[TrackingRow] | None = None) -> dict[str, list[TrackingRow]]:
    """Per past period, the receivers that have not returned (and, under "ack", the unacknowledged)."""
    rows = tracking(directive) if rows is None else rows
    out: dict[str, list[TrackingRow]] = {}
    if directive.requires_ack:
        out["ack"] = [r for r in rows if r.receipt.state != "acknowledged"]
    for period in return_periods(directive, today):
        if period.due_on < today:
            out[period.key] = [r for r in rows if r.status(period, today) == "late"]
    return out


@dataclass
class Rollup:
    period: Period
    fields: list[dict]
    totals: dict[str, float]
    by_child: list[tuple[Unit, dict[str, float], int, int]]  # child, sums, returned, expected
    returned: int
    expected: int


def rollup(directive: Directive, period: Period) -> Rollup:
    """Numeric fields of one period summed over the sender's subtree and per child of the sender."""
    fields = directive.numeric_fields
    children = list(db.session.scalars(
        select(Unit).where(Unit.parent_id == directive.unit_id).order_by(Unit.code)))
    sums: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    returned: dict[int, int] = defaultdict(int)
    expected: dict[int, int] = defaultdict(int)
    totals: dict[str, float] = defaultdict(float)

    def child_of(path: str) -> int | None:
        return next((c.id for c in children if path.startswith(c.path)), None)

    for receipt in receipts(directive):
        if owes_returns(directive, receipt.unit) and (cid := child_of(receipt.unit_path)) is not None:
            expected[cid] += 1
    filed = db.session.scalars(select(DirectiveReturn).where(DirectiveReturn.directive_id == directive.id,
                                                             DirectiveReturn.period == period.key))
    count = 0
    for r in filed:
        count += 1
        cid = child_of(r.unit_path)
        if cid is not None:
            returned[cid] += 1
        for f in fields:
            value = r.values.get(f["key"])
            if isinstance(value, (int, float)):
                totals[f["key"]] += value
                if cid is not None:
                    sums[cid][f["key"]] += value
    by_child = [(c, dict(sums[c.id]), returned[c.id], expected[c.id]) for c in children if expected[c.id]]
    return Rollup(period, fields, dict(totals), by_child, count, sum(expected.values()))


def phase_on(directive: Directive, today: date) -> CampaignPhase | None:
    return next((p for p in directive.phases if p.starts_on <= today <= p.ends_on), None)


def periods_for_tracking(directive: Directive, today: date) -> list[Period]:
    """Past periods and the current one (newest first): the tracking page's columns."""
    current = current_period(directive, today)
    return [p for p in return_periods(directive, today) if p.due_on < today or p == current][::-1]


# ---------------------------------------------------------------- the workbench's panels (tenants.workbench)


def workbench_received(unit: Unit, account) -> list[Row]:
    """上级来文: directives received and not yet acknowledged, or whose one-off return is due within 3 working days
    and not yet submitted (one query)."""
    w = window()
    returned = select(DirectiveReturn.id).where(DirectiveReturn.directive_id == Directive.id,
                                                DirectiveReturn.unit_id == unit.id).exists()
    rows = db.session.execute(
        select(DirectiveReceipt.id, DirectiveReceipt.state, DirectiveReceipt.created_at, Directive.id.label("directive_id"),
               Directive.title, Directive.return_due_on, Directive.requires_ack)
        .join(Directive, Directive.id == DirectiveReceipt.directive_id)
        .where(DirectiveReceipt.unit_id == unit.id, Directive.state == "sent",
               or_(and_(DirectiveReceipt.state == "received", Directive.requires_ack.is_(True)),
                   and_(Directive.return_due_on <= w.horizon, ~returned)))
        .order_by(Directive.return_due_on.is_(None), Directive.return_due_on, DirectiveReceipt.id).limit(PANEL_ROWS))
    may = can(account, Action.DIRECTIVES_RECEIVE, unit)
    out = []
    for r in rows:
        href = url_for("directives.show", unit_id=unit.id, directive_id=r.directive_id)
        step = (RECEIPT_FLOW.step_label("acknowledge"), f"{href}#acknowledge") \
            if r.state == "received" and r.requires_ack and may else None
        out.append(Row(label=r.title, href=href, state=RECEIPT_FLOW.label(r.state), due_on=r.return_due_on,
                       flag=flag_of(r.return_due_on, r.created_at, w), step=step, key=("directive_receipts", r.id)))
    return out
