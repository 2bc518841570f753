"""Every write of supervision items: issue, receive, report, answer, report done, accept, send back,
close, record an admonition talk, and the escalation of overdue items."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from core import calendar
from core import context
from core.audit.operations import record as audit
from core.clock import utcnow
from core.errors import InvalidInput, add_error
from core.extensions import db
from core.handlers import operations as handler_ops
from core.inbox import operations as inbox
from core.inbox.models import InboxKind
from core.numbering import next_number
from core.supervision.models import (RECORD_KINDS, CheckPhase, ItemKind, ProgressReport, SupervisionItem,
                                     SupervisionProblem)
from core.supervision.subjects import SUBJECTS
from core.supervision.workflow import ITEM_FLOW
from tenants import operations as tenancy_ops
from tenants.models import Role, Share, Unit, UnitStat
from tenants.stats import with_coarser_keys

OPEN_STATES = ("issued", "received", "in_progress")  # overdue counts these (reported done waits on the issuer)

HANDLERS = (Role.LEADER.value, Role.OFFICER.value)
# Working days an item may be overdue, with the receiver's leader warned, before it is raised to the issuer.
ESCALATE_TO_ISSUER_AFTER = 2
_WEEKLY = re.compile(r"^weekly:([1-7])$")


def next_report_date(cadence: str | None, after: date) -> date | None:
    """The next progress-report day after ``after`` (weekly on the given ISO weekday)."""
    if not cadence:
        return None
    weekday = int(_WEEKLY.match(cadence).group(1))
    return after + timedelta(days=(weekday - after.isoweekday()) % 7 or 7)


def subject_record(recipient: Unit, number: str):
    """The receiver's petition or clearing case with that number, looked up across the unit boundary.

    The issuer cannot see the receiver's records before the share exists; this narrow lookup
    (one unit, one exact number) is what makes registered supervision and checks possible, and
    it returns the record only to link it (and, for registered supervision, to share it).
    """
    with context.acting(context.maintenance_context(account_id=context.current().account_id), db.session):
        for model in SUBJECTS.values():
            record = db.session.scalar(select(model).where(model.unit_id == recipient.id,
                                                           model.number == number.strip()))
            if record is not None:
                return record
    return None


def issue_item(issuer: Unit, recipient: Unit | None, *, kind: str, title: str, body: str = "",
               due_on: date | None = None, report_cadence: str | None = None, subject_number: str | None = None,
               problems: list[dict] | None = None) -> SupervisionItem:
    today = calendar.today()
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if kind not in ItemKind.__members__.values() or kind in RECORD_KINDS:
        add_error(errors, "kind", _("督办类型无效"))
    if not title or len(title) > 200:
        add_error(errors, "title", _("标题不能为空，最长 200 个字"))
    if recipient is None or recipient.id == issuer.id or not issuer.contains(recipient) or not recipient.takes_casework:
        add_error(errors, "recipient_unit_id", _("督办对象须是本单位下辖的单位"))
    if due_on is None:
        add_error(errors, "due_on", _("请填写办结期限"))
    elif due_on < today:
        add_error(errors, "due_on", _("办结期限不能早于今天"))
    report_cadence = report_cadence or None
    if report_cadence and not _WEEKLY.match(report_cadence):
        add_error(errors, "report_cadence", _("进展报送周期无效：应为每周某日"))
    if kind == ItemKind.REGISTERED and not report_cadence:
        add_error(errors, "report_cadence", _("挂号督办须设定进展报送周期（如每周一）"))
    cleaned_problems = [(p.get("description", "").strip(), (p.get("requirement") or "").strip())
                        for p in problems or [] if (p.get("description") or "").strip()]
    if kind == ItemKind.RECTIFICATION and not cleaned_problems:
        add_error(errors, "problems", _("整改交办单至少列出一个问题"))
    subject = None
    if kind in (ItemKind.REGISTERED, ItemKind.ASSIGNED) and "recipient_unit_id" not in errors:
        if kind == ItemKind.ASSIGNED and not (subject_number or "").strip():
            pass  # an assigned task may stand alone; a routed petition names its record
        elif not (subject_number or "").strip():
            add_error(errors, "subject_number", _("挂号督办须注明所督办的件（受理编号）"))
        else:
            subject = subject_record(recipient, subject_number)
            if subject is None:
                add_error(errors, "subject_number", _("%(unit)s 没有编号为 %(n)s 的信访件或澄清件",
                                                 unit=recipient.name, n=subject_number.strip()))
    if errors:
        raise InvalidInput(errors)

    seq, number = next_number(issuer, "supervision", today.year)
    item = SupervisionItem(
        unit_id=issuer.id, unit_path=issuer.path, recipient_unit_id=recipient.id, kind=kind, number=number,
        title=title, body=body or "", state="issued", issued_on=today, due_on=due_on,
        report_cadence=report_cadence, next_report_on=next_report_date(report_cadence, today),
        issued_by_id=context.current().account_id,
    )
    if subject is not None:
        item.subject_type, item.subject_id, item.subject_label = subject.__tablename__, subject.id, subject.label
    db.session.add(item)
    db.session.flush()
    for i, (description, requirement) in enumerate(cleaned_problems, start=1):
        db.session.add(SupervisionProblem(unit_id=issuer.id, unit_path=issuer.path, recipient_unit_id=recipient.id,
                                          item_id=item.id, seq=i, description=description,
                                          requirement=requirement))
    if subject is not None and kind == ItemKind.REGISTERED:
        # The record becomes visible to the issuer while the item is open (never its informant).
        share = tenancy_ops.grant_share(subject.__tablename__, subject.id, recipient, purpose="supervision",
                                        grantee_unit=issuer, reason=number)
        item.share_id = share.id
    ITEM_FLOW.begin(item, counterpart_unit_id=recipient.id, detail={"number": number, "kind": kind})
    tenancy_ops.bump_stat(issuer, "supervision.issued", 1)
    tenancy_ops.bump_stat(issuer, "supervision.issued", 1, today.isoformat())
    tenancy_ops.bump_stat(recipient, "supervision.received", 1)
    tenancy_ops.bump_stat(recipient, "supervision.received", 1, today.isoformat())
    tenancy_ops.bump_stat(recipient, "supervision.open", 1)
    inbox.post(recipient, f"sup:{item.id}:receive", kind=InboxKind.TASK, object_type="supervision_items",
               object_id=item.id, due_on=due_on, roles=HANDLERS,
               title=_("%(kind)s待签收：%(t)s", kind=item.kind_label, t=title))
    return item


def _apply(item: SupervisionItem, name: str, reason: str | None = None, detail: dict | None = None) -> None:
    ITEM_FLOW.apply(item, name, reason=reason, detail=detail, counterpart_unit_id=item.recipient_unit_id)


def _recipient(item: SupervisionItem) -> Unit:
    return db.session.get(Unit, item.recipient_unit_id)


def _close_inbox_both_sides(item: SupervisionItem) -> None:
    for unit_id in (item.unit_id, item.recipient_unit_id):
        inbox.close("supervision_items", item.id, unit_id=unit_id)


def receive(item: SupervisionItem) -> None:
    _apply(item, "receive")
    handler_ops.assign_at_registration(item, _recipient(item))  # 承办人 at the receiver: whoever signs for it
    inbox.close("supervision_items", item.id, unit_id=item.recipient_unit_id, key_prefix=f"sup:{item.id}:receive")
    inbox.post(_recipient(item), f"sup:{item.id}:handle", kind=InboxKind.TASK, object_type="supervision_items",
               object_id=item.id, due_on=item.due_on, roles=HANDLERS,
               title=_("%(kind)s办理中：%(t)s", kind=item.kind_label, t=item.title))


def report_progress(item: SupervisionItem, body: str) -> ProgressReport:
    body = (body or "").strip()
    if not body:
        raise InvalidInput({"body": [_("请填写进展情况")]})
    if item.state == "issued":
        receive(item)
    if item.state == "received":
        _apply(item, "start")
    if item.state != "in_progress":
        raise InvalidInput({"_schema": [_("当前状态不能报送进展")]})
    today = calendar.today()
    report = ProgressReport(unit_id=item.unit_id, unit_path=item.unit_path, recipient_unit_id=item.recipient_unit_id,
                            item_id=item.id, body=body, reported_on=today, reported_at=utcnow(),
                            reported_by_id=context.current().account_id)
    db.session.add(report)
    if item.report_cadence:
        item.next_report_on = next_report_date(item.report_cadence, today)
        inbox.close("supervision_items", item.id, unit_id=item.recipient_unit_id, key_prefix=f"sup:{item.id}:report:")
    db.session.flush()
    audit("supervision.progress", unit_id=item.recipient_unit_id, object_type="supervision_items", object_id=item.id,
          detail={"item": item.id})
    return report


def answer_problem(problem: SupervisionProblem, answer: str) -> None:
    item = problem.item
    answer = (answer or "").strip()
    if not answer:
        raise InvalidInput({"answer": [_("请填写整改情况")]})
    if item.state not in ("issued", "received", "in_progress"):
        raise InvalidInput({"_schema": [_("当前状态不能填写整改情况")]})
    if item.state == "issued":
        receive(item)  # answering is receiving
    if item.state == "received":
        _apply(item, "start")
    problem.answer, problem.answered_at = answer, utcnow()
    problem.answered_by_id = context.current().account_id
    problem.checked = False  # a new answer needs a new check
    db.session.flush()
    _audit_problem("supervision.problem_answer", problem, problem.recipient_unit_id)


def report_done(item: SupervisionItem, body: str) -> None:
    body = (body or "").strip()
    if not body:
        raise InvalidInput({"body": [_("请填写办结情况")]})
    unanswered = [p.seq for p in item.problems if not p.answer]
    if unanswered:
        raise InvalidInput({"problems": [_("第 %(n)s 项问题尚未填写整改情况", n="、".join(map(str, unanswered)))]})
    if item.state == "issued":
        receive(item)
    if item.state == "received":
        _apply(item, "start")
    _apply(item, "report_done")
    db.session.add(ProgressReport(unit_id=item.unit_id, unit_path=item.unit_path,
                                  recipient_unit_id=item.recipient_unit_id, item_id=item.id, final=True, body=body,
                                  reported_on=calendar.today(), reported_at=utcnow(),
                                  reported_by_id=context.current().account_id))
    inbox.close("supervision_items", item.id, unit_id=item.recipient_unit_id)
    inbox.post(item.unit, f"sup:{item.id}:review:{item.version}", kind=InboxKind.TASK,
               object_type="supervision_items", object_id=item.id, roles=(Role.LEADER.value,),
               title=_("%(kind)s已报办结，待审核：%(t)s", kind=item.kind_label, t=item.title))


def check_problem(problem: SupervisionProblem, checked: bool = True) -> None:
    if problem.item.state != "reported_done" or not problem.answer:
        raise InvalidInput({"_schema": [_("报办结后才能逐项核销")]})
    problem.checked, problem.checked_at = checked, utcnow() if checked else None
    db.session.flush()
    _audit_problem("supervision.problem_check" if checked else "supervision.problem_uncheck", problem,
                   problem.unit_id)


def _audit_problem(action: str, problem: SupervisionProblem, acting_unit_id: int) -> None:
    """Logged by the unit whose staff wrote it; the detail names the item and the problem's place, never its text."""
    audit(action, unit_id=acting_unit_id, object_type="supervision_problems", object_id=problem.id,
          detail={"item": problem.item_id, "sequence": problem.seq})


def accept(item: SupervisionItem) -> None:
    unchecked = [p.seq for p in item.problems if not p.checked]
    if unchecked:
        raise InvalidInput({"problems": [_("第 %(n)s 项问题尚未核销", n="、".join(map(str, unchecked)))]})
    _apply(item, "accept")
    _close_inbox_both_sides(item)
    _no_longer_open(item)


def send_back(item: SupervisionItem, reason: str) -> None:
    _apply(item, "send_back", reason=reason)
    inbox.close("supervision_items", item.id, unit_id=item.unit_id)
    inbox.post(_recipient(item), f"sup:{item.id}:sent_back:{item.version}", kind=InboxKind.TASK,
               object_type="supervision_items", object_id=item.id, due_on=item.due_on, roles=HANDLERS,
               title=_("%(kind)s被退回：%(t)s（%(r)s）", kind=item.kind_label, t=item.title, r=reason.strip()[:60]))


def _no_longer_open(item: SupervisionItem) -> None:
    recipient = _recipient(item)
    tenancy_ops.bump_stat(recipient, "supervision.open", -1)
    refresh_overdue(recipient, calendar.today())


def refresh_overdue(recipient: Unit, today: date) -> None:
    """``supervision.overdue`` at the receiving unit: time-based, so recounted (indexed), never moved."""
    with context.writing_as(recipient.id, recipient.path):
        n = db.session.scalar(select(func.count(SupervisionItem.id)).where(
            SupervisionItem.recipient_unit_id == recipient.id, SupervisionItem.state.in_(OPEN_STATES),
            SupervisionItem.due_on < today))
    tenancy_ops.set_stat(recipient, "supervision.overdue", n)


def close(item: SupervisionItem, reason: str | None = None) -> None:
    """Close an accepted item, or withdraw an open one (with a reason); the supervision share ends."""
    withdrawn = item.state != "accepted"
    _apply(item, "close" if item.state == "accepted" else "withdraw", reason=reason)
    if withdrawn:
        _no_longer_open(item)
    item.closed_at = utcnow()
    if item.share_id:
        tenancy_ops.revoke_share(db.session.get(Share, item.share_id), reason=_("督办件已关闭"))
    _close_inbox_both_sides(item)


def record_talk(issuer: Unit, about: SupervisionItem | None, recipient: Unit | None, *, who: str, whom: str,
                held_on: date | None, reason: str, outcome: str) -> SupervisionItem:
    """约谈: the record of an admonition talk, usually about an overdue item."""
    errors: dict[str, list[str]] = {}
    if recipient is None or recipient.id == issuer.id or not issuer.contains(recipient):
        add_error(errors, "recipient_unit_id", _("约谈对象须是本单位下辖的单位"))
    for field, value, label in (("who", who, _("约谈人")), ("whom", whom, _("被约谈人")),
                                ("reason", reason, _("约谈事由")), ("outcome", outcome, _("约谈结果"))):
        if not (value or "").strip():
            add_error(errors, field, _("请填写%(label)s", label=label))
    if held_on is None:
        add_error(errors, "held_on", _("请填写约谈日期"))
    elif held_on > calendar.today():
        add_error(errors, "held_on", _("约谈日期不能晚于今天"))
    if errors:
        raise InvalidInput(errors)
    today = calendar.today()
    _seq, number = next_number(issuer, "supervision", today.year)
    talk = SupervisionItem(
        unit_id=issuer.id, unit_path=issuer.path, recipient_unit_id=recipient.id, kind=ItemKind.TALK,
        number=number, title=_("约谈：%(whom)s", whom=whom.strip()), body=reason.strip(), state="recorded",
        issued_on=today, parent_id=about.id if about else None, issued_by_id=context.current().account_id,
        talk={"who": who.strip(), "whom": whom.strip(), "held_on": held_on.isoformat(), "reason": reason.strip(),
              "outcome": outcome.strip()},
    )
    db.session.add(talk)
    ITEM_FLOW.begin(talk, counterpart_unit_id=recipient.id, detail={"number": number, "about": getattr(about, "id", None)})
    tenancy_ops.bump_stat(recipient, "supervision.talks", 1)
    tenancy_ops.bump_stat(recipient, "supervision.talks", 1, held_on.isoformat())
    if about is not None:
        inbox.close("supervision_items", about.id, unit_id=issuer.id, key_prefix=f"sup:{about.id}:escalate")
    return talk


def record_check(issuer: Unit, recipient: Unit | None, *, phase: str, subject_number: str, checked_on: date | None,
                 checked_by: str, findings: str) -> SupervisionItem:
    """三期检查: the record of a plan, progress or effect check of a lower unit's clearing case."""
    errors: dict[str, list[str]] = {}
    if recipient is None or recipient.id == issuer.id or not issuer.contains(recipient):
        add_error(errors, "recipient_unit_id", _("检查对象须是本单位下辖的单位"))
    if phase not in CheckPhase.__members__.values():
        add_error(errors, "phase", _("请选择检查阶段"))
    if checked_on is None:
        add_error(errors, "checked_on", _("请填写检查日期"))
    elif checked_on > calendar.today():
        add_error(errors, "checked_on", _("检查日期不能晚于今天"))
    for field, value, label in (("checked_by", checked_by, _("检查人")), ("findings", findings, _("检查发现"))):
        if not (value or "").strip():
            add_error(errors, field, _("请填写%(label)s", label=label))
    subject = None
    if "recipient_unit_id" not in errors:
        subject = subject_record(recipient, subject_number or "") if (subject_number or "").strip() else None
        if subject is None or subject.__tablename__ != "clearing_cases":
            add_error(errors, "subject_number", _("%(unit)s 没有编号为 %(n)s 的澄清件", unit=recipient.name,
                                             n=(subject_number or "").strip() or "—"))
    if errors:
        raise InvalidInput(errors)
    today = calendar.today()
    _seq, number = next_number(issuer, "supervision", today.year)
    record = SupervisionItem(
        unit_id=issuer.id, unit_path=issuer.path, recipient_unit_id=recipient.id, kind=ItemKind.CHECK,
        number=number, title=_("督导检查：%(s)s", s=subject.label), body=findings.strip(), state="recorded",
        issued_on=today, subject_type=subject.__tablename__, subject_id=subject.id, subject_label=subject.label,
        issued_by_id=context.current().account_id,
        inspection={"phase": phase, "checked_on": checked_on.isoformat(), "checked_by": checked_by.strip(),
               "findings": findings.strip()},
    )
    db.session.add(record)
    # The checked unit reads it on the case's timeline and in its supervision list.
    ITEM_FLOW.begin(record, counterpart_unit_id=recipient.id, detail={"number": number, "phase": phase})
    return record


# ---------------------------------------------------------------- deadlines (the periodic job)


def scan_deadlines(today: date) -> dict[str, int]:
    """Warnings for open items: due soon, overdue (to the receiver's leader), then to the issuer.

    Idempotent: every warning has a key per item and threshold, so a second run posts nothing.
    """
    posted = {"due_soon": 0, "overdue": 0, "escalated": 0, "report_late": 0}
    items = db.session.scalars(select(SupervisionItem).where(
        SupervisionItem.state.in_(("issued", "received", "in_progress")), SupervisionItem.due_on.is_not(None)))
    for item in items:
        recipient = _recipient(item)
        state = calendar.due_state(item.due_on, today)
        if state == "due_soon":
            posted["due_soon"] += inbox.post(
                recipient, f"sup:{item.id}:due_soon", kind=InboxKind.DUE_SOON, object_type="supervision_items",
                object_id=item.id, due_on=item.due_on, roles=HANDLERS,
                title=_("%(kind)s即将到期：%(t)s", kind=item.kind_label, t=item.title))
        elif state == "overdue":
            if inbox.post(recipient, f"sup:{item.id}:overdue", kind=InboxKind.OVERDUE,
                          object_type="supervision_items", object_id=item.id, due_on=item.due_on,
                          roles=(Role.LEADER.value,),
                          title=_("%(kind)s已逾期：%(t)s", kind=item.kind_label, t=item.title)):
                posted["overdue"] += 1
                item.escalation = max(item.escalation, 1)
            if (calendar.workdays_between(item.due_on, today) >= ESCALATE_TO_ISSUER_AFTER
                    and inbox.post(item.unit, f"sup:{item.id}:escalate", kind=InboxKind.ESCALATION,
                                   object_type="supervision_items", object_id=item.id, due_on=item.due_on,
                                   roles=(Role.LEADER.value,),
                                   title=_("%(unit)s逾期未办结：%(t)s，可约谈", unit=recipient.name, t=item.title))):
                posted["escalated"] += 1
                item.escalation = 2
        if item.next_report_on and item.next_report_on < today:
            posted["report_late"] += inbox.post(
                recipient, f"sup:{item.id}:report:{item.next_report_on.isoformat()}", kind=InboxKind.OVERDUE,
                object_type="supervision_items", object_id=item.id, due_on=item.next_report_on, roles=HANDLERS,
                title=_("进展报告逾期未报：%(t)s", t=item.title))
    # Overdue at each receiving unit with open items, and at units whose figure must fall back to 0.
    receivers = set(db.session.scalars(select(SupervisionItem.recipient_unit_id).where(
        SupervisionItem.state.in_(OPEN_STATES), SupervisionItem.due_on < today)))
    receivers |= set(db.session.scalars(select(UnitStat.unit_id).where(
        UnitStat.metric == "supervision.overdue", UnitStat.period == "", UnitStat.value != 0)))
    for unit_id in sorted(receivers):
        refresh_overdue(db.session.get(Unit, unit_id), today)
    return posted


def recount(unit: Unit, today: date) -> dict[tuple[str, str], int]:
    """The unit's supervision figures (as issuer and as receiver) counted from the items: what the stats rows must
    hold (the nightly reconcile)."""
    figures: Counter = Counter()
    items = db.session.execute(select(SupervisionItem.unit_id, SupervisionItem.recipient_unit_id, SupervisionItem.kind,
                                      SupervisionItem.state, SupervisionItem.issued_on, SupervisionItem.due_on,
                                      SupervisionItem.talk)
                               .where((SupervisionItem.unit_id == unit.id)
                                      | (SupervisionItem.recipient_unit_id == unit.id)))
    for issuer_id, recipient_id, kind, state, issued_on, due_on, talk in items:
        if kind == ItemKind.TALK and recipient_id == unit.id:
            figures[("supervision.talks", "")] += 1
            figures[("supervision.talks", talk["held_on"])] += 1
        if kind in RECORD_KINDS:
            continue
        if issuer_id == unit.id:
            figures[("supervision.issued", "")] += 1
            figures[("supervision.issued", issued_on.isoformat())] += 1
        if recipient_id == unit.id:
            figures[("supervision.received", "")] += 1
            figures[("supervision.received", issued_on.isoformat())] += 1
            figures[("supervision.open", "")] += state not in ("accepted", "closed")
            figures[("supervision.overdue", "")] += state in OPEN_STATES and due_on is not None and due_on < today
    return with_coarser_keys(figures)
