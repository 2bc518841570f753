"""Every write of directives and campaigns: send, forward, acknowledge, return, remind, close, enrol.

Validation collects every field's problem before anything is written, so bad input
answers 422 with all its reasons and nothing is half-saved.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from core import calendar
from core.context import current
from core.audit.operations import record as audit
from core.clock import utcnow
from core.directives.models import (FIELD_TYPES, CampaignEnrolment, CampaignPhase, Directive, DirectiveAttachment,
                                    DirectiveKind, DirectiveReceipt, DirectiveReturn)
from core.directives.workflow import DIRECTIVE_FLOW, RECEIPT_FLOW
from core.errors import InvalidInput, add_error
from core.extensions import db
from core.inbox import operations as inbox
from core.inbox.models import InboxKind
from core.schemas import INT_MAX, finite_number
from tenants import operations as tenancy_ops
from tenants.models import Role, Unit, UnitLevel, UnitStat, descendants_query

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_FIELDS = 20
RECEIVER_ROLES = (Role.LEADER.value, Role.OFFICER.value)
_CADENCE = re.compile(r"^(weekly):([1-7])$|^(monthly):(\d{1,2})$")

# Returns generated from a ledger, never typed: directive purpose → generate(receipt, period_key, note). A higher
# area (zeroing) registers its generator at import; directives only asks, so the figures a sender reads are the
# ledger's and nobody types over them.
RETURN_GENERATORS: dict[str, Callable[[DirectiveReceipt, str, str], DirectiveReturn]] = {}
GENERATED_NOTE_KEY = "narrative"


def register_return_generator(purpose: str, generate: Callable[[DirectiveReceipt, str, str], DirectiveReturn]) -> None:
    RETURN_GENERATORS[purpose] = generate


def returns_generated(directive: Directive) -> bool:
    return directive.purpose in RETURN_GENERATORS


@dataclass(frozen=True)
class Period:
    key: str  # "once", the due date of a weekly period ("2026-11-23"), or the month ("2026-11")
    due_on: date

    @property
    def label(self) -> str:
        due = self.due_on.isoformat() + calendar.estimate_suffix(self.due_on)  # a deadline in a year not yet known
        if self.key == "once":
            return _("%(d)s 前报送", d=due)
        return _("%(k)s 期（%(d)s 截止）", k=self.key, d=due)


@dataclass
class Upload:
    filename: str
    content_type: str
    content: bytes


# ---------------------------------------------------------------- validation


def audience_units(sender: Unit, audience: dict, errors: dict) -> list[Unit]:
    """The active descendants the sender chose: all, some levels, or named units (each inside its subtree)."""
    mode = audience.get("mode")
    below = descendants_query(sender)
    if mode == "all":
        units = list(db.session.scalars(below))
    elif mode == "levels":
        levels = [lvl for lvl in audience.get("levels") or [] if lvl in UnitLevel.__members__.values()]
        if not levels or len(levels) != len(audience.get("levels") or []):
            add_error(errors, "audience", _("请选择有效的接收单位级别"))
            return []
        units = list(db.session.scalars(below.where(Unit.level.in_(levels))))
    elif mode == "units":
        # ASCII digits within an id's range ("²" is a digit to str.isdigit, not to int; 30 digits to no column)
        ids = {int(i) for i in audience.get("unit_ids") or [] if re.fullmatch(r"[0-9]{1,10}", str(i))
               and int(i) <= INT_MAX}
        units = list(db.session.scalars(below.where(Unit.id.in_(ids)))) if ids else []
        outside = ids - {u.id for u in units}
        if outside or not ids:
            add_error(errors, "audience", _("接收单位须是本单位下辖的单位（不在范围内：%(ids)s）",
                                       ids=", ".join(map(str, sorted(outside))) or "—"))
            return []
    else:
        add_error(errors, "audience", _("请选择接收范围：全部下级、指定级别或指定单位"))
        return []
    if not units:
        add_error(errors, "audience", _("所选范围内没有接收单位"))
    return units


def clean_return_fields(fields: list[dict], errors: dict) -> list[dict]:
    """The sender's return form, normalised: key, label, type, required, choices."""
    cleaned, keys = [], set()
    for i, raw in enumerate(fields or [], start=1):
        label = (raw.get("label") or "").strip()
        kind = raw.get("type") or "number"
        if not label:
            continue  # an empty row of the form
        if kind not in FIELD_TYPES:
            add_error(errors, "return_fields", _("第 %(i)s 项的类型无效", i=i))
            continue
        choices = [c.strip() for c in raw.get("choices") or [] if c and c.strip()]
        if kind == "choice" and len(choices) < 2:
            add_error(errors, "return_fields", _("第 %(i)s 项“%(label)s”是选项，至少需要两个选项", i=i, label=label))
        key = raw.get("key") or f"f{i}"
        if label in keys:
            add_error(errors, "return_fields", _("报表项“%(label)s”重复", label=label))
        keys.add(label)
        cleaned.append({"key": key, "label": label[:50], "type": kind, "required": bool(raw.get("required")),
                        "choices": choices if kind == "choice" else []})
    if len(cleaned) > MAX_FIELDS:
        add_error(errors, "return_fields", _("报表项最多 %(n)s 项", n=MAX_FIELDS))
    return cleaned


def check_schedule(has_return: bool, due_on: date | None, cadence: str | None, ends_on: date | None,
                   today: date, errors: dict) -> None:
    if not has_return:
        if due_on or cadence:
            add_error(errors, "return_fields", _("设置了报送期限，但没有定义报表项"))
        return
    if bool(due_on) == bool(cadence):
        add_error(errors, "return_cadence", _("请二选一：一次性报送的截止日期，或周期报送（每周/每月）"))
        return
    if due_on and due_on < today:
        add_error(errors, "return_due_on", _("截止日期不能早于今天"))
    if cadence:
        match = _CADENCE.match(cadence)
        if not match:
            add_error(errors, "return_cadence", _("报送周期无效：应为每周某日或每月某日"))
        elif match.group(3) and not 1 <= int(match.group(4)) <= 28:
            add_error(errors, "return_cadence", _("每月报送日须在 1–28 日之间"))
        if ends_on and ends_on <= today:
            add_error(errors, "return_ends_on", _("周期报送的结束日期须晚于今天"))


def check_phases(phases: list[dict], errors: dict) -> list[tuple[str, date, date]]:
    cleaned = []
    for i, p in enumerate(phases or [], start=1):
        name = (p.get("name") or "").strip()
        if not name:
            continue
        start, end = p.get("starts_on"), p.get("ends_on")
        if not start or not end:
            add_error(errors, "phases", _("阶段“%(name)s”须有开始和结束日期", name=name))
            continue
        if end < start:
            add_error(errors, "phases", _("阶段“%(name)s”的结束日期早于开始日期", name=name))
        if cleaned and start <= cleaned[-1][2]:
            add_error(errors, "phases", _("阶段“%(name)s”与上一阶段重叠或顺序颠倒", name=name))
        cleaned.append((name[:50], start, end))
    return cleaned


# ---------------------------------------------------------------- periods


def _cadence(directive: Directive) -> tuple[str, int] | None:
    if not directive.return_cadence:
        return None
    kind, n = directive.return_cadence.split(":")
    return kind, int(n)


def return_periods(directive: Directive, until: date) -> list[Period]:
    """Every return period due on or before ``until`` (plus the next one, which is being filled now)."""
    if not directive.has_return:
        return []
    if directive.return_due_on:
        return [Period("once", directive.return_due_on)]
    kind, n = _cadence(directive)
    start = directive.return_starts_on or directive.sent_on
    end = directive.return_ends_on or date.max
    periods: list[Period] = []
    if kind == "weekly":
        due = start + timedelta(days=(n - start.isoweekday()) % 7 or 7)
        while due <= end:
            periods.append(Period(due.isoformat(), due))
            if due > until:
                break
            due += timedelta(days=7)
    else:
        year, month = start.year, start.month
        while True:
            due = calendar.next_workday_on_or_after(date(year, month, n))  # a holiday moves it on (顺延)
            if due > end:
                break
            if due > start:
                periods.append(Period(f"{year:04d}-{month:02d}", due))
                if due > until:
                    break
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return periods


def current_period(directive: Directive, today: date) -> Period | None:
    """The period being filled now: the first not yet past its due date."""
    return next((p for p in return_periods(directive, today) if p.due_on >= today), None)


def find_period(directive: Directive, key: str, today: date) -> Period | None:
    return next((p for p in return_periods(directive, today) if p.key == key), None)


# ---------------------------------------------------------------- sending


def send_directive(sender: Unit, *, title: str, body: str = "", kind: str = DirectiveKind.DIRECTIVE,
                   requires_ack: bool = True, audience: dict, return_fields: list[dict] | None = None,
                   return_due_on: date | None = None, return_cadence: str | None = None,
                   return_ends_on: date | None = None, phases: list[dict] | None = None,
                   attachments: list[Upload] = (), forwarded_from: DirectiveReceipt | None = None,
                   account_id: int | None = None, purpose: str | None = None,
                   return_levels: list[str] | None = None) -> Directive:
    today = calendar.today()
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title or len(title) > 200:
        add_error(errors, "title", _("标题不能为空，最长 200 个字"))
    if kind not in DirectiveKind.__members__.values():
        add_error(errors, "kind", _("类型无效"))
    units = audience_units(sender, audience, errors)
    fields = clean_return_fields(return_fields or [], errors)
    return_cadence = return_cadence or None
    check_schedule(bool(fields), return_due_on, return_cadence, return_ends_on, today, errors)
    cleaned_phases = check_phases(phases or [], errors)
    if kind == DirectiveKind.CAMPAIGN and not cleaned_phases:
        add_error(errors, "phases", _("专项活动至少需要一个阶段"))
    for upload in attachments:
        if not upload.content:
            add_error(errors, "attachments", _("附件“%(name)s”是空文件", name=upload.filename))
        elif len(upload.content) > MAX_ATTACHMENT_BYTES:
            add_error(errors, "attachments", _("附件“%(name)s”超过 20 MB", name=upload.filename))
    if errors:
        raise InvalidInput(errors)

    directive = Directive(
        unit_id=sender.id, unit_path=sender.path, kind=kind, title=title, body=body or "",
        requires_ack=requires_ack, audience=audience, return_fields=fields, return_due_on=return_due_on,
        return_cadence=return_cadence, return_starts_on=today if return_cadence else None,
        return_ends_on=return_ends_on, forwarded_from_id=forwarded_from.directive_id if forwarded_from else None,
        sent_by_id=account_id, sent_on=today, purpose=purpose, return_levels=return_levels,
    )
    db.session.add(directive)
    DIRECTIVE_FLOW.begin(directive)
    for name, start, end in cleaned_phases:
        db.session.add(CampaignPhase(unit_id=sender.id, unit_path=sender.path, directive_id=directive.id,
                                     name=name, starts_on=start, ends_on=end))
    for upload in attachments:
        db.session.add(DirectiveAttachment(
            unit_id=sender.id, unit_path=sender.path, directive_id=directive.id, filename=upload.filename[:200],
            content_type=upload.content_type or "application/octet-stream", size=len(upload.content),
            sha256=hashlib.sha256(upload.content).hexdigest(), content=upload.content))
    receipts = [DirectiveReceipt(unit_id=u.id, unit_path=u.path, directive_id=directive.id,
                                 sender_unit_id=sender.id) for u in units]
    db.session.add_all(receipts)
    db.session.flush()
    first = current_period(directive, today)
    for receipt, unit in zip(receipts, units):
        if requires_ack:
            inbox.post(unit, f"receipt:{receipt.id}:ack", kind=InboxKind.TASK, object_type="directive_receipts",
                       object_id=receipt.id, title=_("请签收：%(t)s", t=title), roles=RECEIVER_ROLES)
        if first and owes_returns(directive, unit):
            _post_return_task(receipt, unit, directive, first)
    if forwarded_from is not None:
        forwarded_from.forwarded_as_id = directive.id
    audit("directive.send", unit_id=sender.id, object_type="directives", object_id=directive.id,
          detail={"title": title, "kind": kind, "receivers": len(units),
                  **({"forwarded_from": directive.forwarded_from_id} if forwarded_from else {})})
    return directive


def owes_returns(directive: Directive, unit: Unit) -> bool:
    """Whether this receiver files the directive's returns (a campaign may ask only its cities)."""
    return directive.has_return and (not directive.return_levels or unit.level in directive.return_levels)


def _post_return_task(receipt: DirectiveReceipt, unit: Unit, directive: Directive, period: Period) -> None:
    inbox.post(unit, f"receipt:{receipt.id}:{period.key}:return", kind=InboxKind.TASK,
               object_type="directive_receipts", object_id=receipt.id, due_on=period.due_on,
               title=_("请报送：%(t)s（%(p)s）", t=directive.title, p=period.label), roles=RECEIVER_ROLES)


def forward(receipt: DirectiveReceipt, unit: Unit, **fields) -> Directive:
    """An intermediate unit passes a directive down its own subtree, with its own additions."""
    if unit.level == UnitLevel.TOWNSHIP:
        raise InvalidInput({"audience": [_("乡镇没有下级单位，无法转发")]})
    if receipt.forwarded_as_id:
        raise InvalidInput({"_schema": [_("本单位已转发过这份通知")]})
    return send_directive(unit, forwarded_from=receipt, **fields)


# ---------------------------------------------------------------- receiving


def acknowledge(receipt: DirectiveReceipt) -> None:
    RECEIPT_FLOW.apply(receipt, "acknowledge", counterpart_unit_id=receipt.sender_unit_id)
    receipt.acknowledged_at = utcnow()
    receipt.acknowledged_by_id = current().account_id
    inbox.close("directive_receipts", receipt.id, unit_id=receipt.unit_id, key_prefix=f"receipt:{receipt.id}:ack")


MAX_FIGURE = 10**15  # a return's figure (a count, an amount in yuan): beyond it, a typing slip or a probe


def clean_return_values(directive: Directive, raw: dict) -> dict:
    errors: dict[str, list[str]] = {}
    values = {}
    for field in directive.return_fields:
        key, value = field["key"], raw.get(field["key"])
        value = value.strip() if isinstance(value, str) else value
        if value in (None, ""):
            if field["required"]:
                add_error(errors, key, _("“%(label)s”必须填写", label=field["label"]))
            continue
        if field["type"] == "number":
            try:
                number = finite_number(value)  # "nan", "Infinity" and "1e400" are no figure a unit reports
            except (TypeError, ValueError):
                add_error(errors, key, _("“%(label)s”须是数字", label=field["label"]))
                continue
            if number < 0:
                add_error(errors, key, _("“%(label)s”不能为负数", label=field["label"]))
            elif number > MAX_FIGURE:
                add_error(errors, key, _("“%(label)s”数值过大", label=field["label"]))
            values[key] = int(number) if number == int(number) else number
        elif field["type"] == "date":
            try:
                values[key] = date.fromisoformat(str(value)).isoformat()
            except ValueError:
                add_error(errors, key, _("“%(label)s”须是日期（如 2026-11-23）", label=field["label"]))
        elif field["type"] == "choice":
            if value not in field["choices"]:
                add_error(errors, key, _("“%(label)s”须是给定的选项之一", label=field["label"]))
            values[key] = value
        else:
            values[key] = str(value)[:2000]
    if errors:
        raise InvalidInput(errors)
    return values


def file_return(receipt: DirectiveReceipt, period_key: str, raw: dict) -> DirectiveReturn:
    """What a person files from a form or the API: typed values; for a generated return only the explanatory note
    (its figures come from the ledger's generator, and typed figures are refused, not ignored)."""
    generate = RETURN_GENERATORS.get(receipt.directive.purpose)
    if generate is None:
        return submit_return(receipt, period_key, raw)
    typed = sorted(key for key, value in raw.items() if key != GENERATED_NOTE_KEY and value not in (None, ""))
    if typed:
        raise InvalidInput({key: [_("该报表由台账自动生成，数字不能手工填写或修改；如需更新，请重新生成并填写说明")]
                            for key in typed})
    return generate(receipt, period_key, raw.get(GENERATED_NOTE_KEY) or "")


def submit_return(receipt: DirectiveReceipt, period_key: str, raw: dict, *, generated: bool = False) -> DirectiveReturn:
    """File (or correct) the unit's return for a period; a late return is accepted and shows as late.
    ``generated``: the values come from the directive's registered generator (only it may file those)."""
    directive = receipt.directive
    if returns_generated(directive) and not generated:
        return file_return(receipt, period_key, raw)
    today = calendar.today()
    if directive.state != "sent":
        raise InvalidInput({"_schema": [_("该通知已结束，不再接收报送")]})
    if not owes_returns(directive, receipt.unit):
        raise InvalidInput({"_schema": [_("本单位不需报送该报表")]})
    period = find_period(directive, period_key, today)
    if period is None or (period != current_period(directive, today) and period.due_on > today):
        raise InvalidInput({"period": [_("该期不在报送时间内")]})
    values = clean_return_values(directive, raw)
    existing = db.session.scalar(select(DirectiveReturn).where(
        DirectiveReturn.directive_id == directive.id, DirectiveReturn.unit_id == receipt.unit_id,
        DirectiveReturn.period == period.key))
    if existing is None:
        existing = DirectiveReturn(unit_id=receipt.unit_id, unit_path=receipt.unit_path, directive_id=directive.id,
                                   sender_unit_id=receipt.sender_unit_id, period=period.key, due_on=period.due_on,
                                   values=values, submitted_at=utcnow(), submitted_by_id=current().account_id)
        db.session.add(existing)
        if today > period.due_on:
            tenancy_ops.bump_stat(receipt.unit, "directives.returns_submitted_late", 1, today.isoformat())
    else:
        existing.values, existing.submitted_at = values, utcnow()
        existing.submitted_by_id = current().account_id
    db.session.flush()
    if today > period.due_on:
        count_late_returns(receipt.unit, today)
    inbox.close("directive_receipts", receipt.id, unit_id=receipt.unit_id,
                key_prefix=f"receipt:{receipt.id}:{period.key}:")
    audit("directive.return", unit_id=receipt.unit_id, object_type="directive_returns", object_id=existing.id,
          detail={"directive": directive.id, "period": period.key, "late": today > period.due_on})
    return existing


# ---------------------------------------------------------------- sender's follow-up


def late_returns(unit: Unit, today: date) -> int:
    """Returns the unit owes for periods already past due, over the directives still running."""
    late = 0
    receipts = db.session.scalars(select(DirectiveReceipt).join(Directive, Directive.id == DirectiveReceipt.directive_id).where(
        DirectiveReceipt.unit_id == unit.id, Directive.state == "sent"))
    for receipt in receipts:
        directive = receipt.directive
        if not directive.has_return or not owes_returns(directive, unit):
            continue
        filed = set(db.session.scalars(select(DirectiveReturn.period).where(
            DirectiveReturn.directive_id == directive.id, DirectiveReturn.unit_id == unit.id)))
        late += sum(1 for p in return_periods(directive, today) if p.due_on < today and p.key not in filed)
    return late


def count_late_returns(unit: Unit, today: date) -> None:
    """``directives.returns_late``: time-based, so recounted (by the scan, and when a late return lands)."""
    tenancy_ops.set_stat(unit, "directives.returns_late", late_returns(unit, today))


def remind(directive: Directive, receipts: list[DirectiveReceipt], period: Period | None) -> int:
    """One-click reminder to the given receivers; at most once a day each (a second click adds nothing)."""
    today = calendar.today()
    sent = 0
    for receipt in receipts:
        what = period.key if period else "ack"
        if inbox.post(receipt.unit, f"receipt:{receipt.id}:{what}:remind:{today.isoformat()}",
                      kind=InboxKind.REMINDER, object_type="directive_receipts", object_id=receipt.id,
                      due_on=period.due_on if period else None, roles=RECEIVER_ROLES,
                      title=_("上级催办：%(t)s", t=directive.title)):
            receipt.last_reminded_at = utcnow()
            sent += 1
    audit("directive.remind", unit_id=directive.unit_id, object_type="directives", object_id=directive.id,
          detail={"receivers": sent, "period": period.key if period else None})
    return sent


def close_directive(directive: Directive) -> None:
    DIRECTIVE_FLOW.apply(directive, "close")
    receipts = db.session.execute(select(DirectiveReceipt.id, DirectiveReceipt.unit_id)
                                  .where(DirectiveReceipt.directive_id == directive.id)).all()
    for receipt_id, unit_id in receipts:
        inbox.close("directive_receipts", receipt_id, unit_id=unit_id)


def enrol(campaign: Directive, unit: Unit, object_type: str, object_id: int, label: str) -> CampaignEnrolment:
    """Put one of the unit's records on the campaign's ledger (台账); enrolling twice is refused."""
    if campaign.kind != DirectiveKind.CAMPAIGN:
        raise InvalidInput({"campaign": [_("只有专项活动有台账")]})
    exists = db.session.scalar(select(CampaignEnrolment.id).where(
        CampaignEnrolment.directive_id == campaign.id, CampaignEnrolment.object_type == object_type,
        CampaignEnrolment.object_id == object_id))
    if exists:
        raise InvalidInput({"object_id": [_("该记录已列入台账")]})
    entry = CampaignEnrolment(unit_id=unit.id, unit_path=unit.path, directive_id=campaign.id,
                              object_type=object_type, object_id=object_id, label=label[:200])
    db.session.add(entry)
    db.session.flush()
    audit("campaign.enrol", unit_id=unit.id, object_type=object_type, object_id=object_id,
          detail={"campaign": campaign.id})
    return entry


# ---------------------------------------------------------------- deadlines (the periodic job)


def scan_deadlines(today: date) -> dict[str, int]:
    """Post each period's return task, due-soon warnings, the automatic reminder the working day
    before due, and overdue warnings. Idempotent: keys per receipt, period and threshold."""
    posted = {"tasks": 0, "due_soon": 0, "reminders": 0, "overdue": 0}
    owing: set[int] = set()
    for directive in db.session.scalars(select(Directive).where(Directive.state == "sent")):
        if not directive.has_return:
            continue
        periods = [p for p in return_periods(directive, today) if p.due_on >= today - timedelta(days=31)]
        if not periods:
            continue
        current = current_period(directive, today)
        filed = set(db.session.execute(select(DirectiveReturn.unit_id, DirectiveReturn.period)
                                       .where(DirectiveReturn.directive_id == directive.id)).all())
        for receipt in db.session.scalars(select(DirectiveReceipt).where(DirectiveReceipt.directive_id == directive.id)):
            unit = receipt.unit
            if not owes_returns(directive, unit):
                continue
            for period in periods:
                if (receipt.unit_id, period.key) in filed:
                    continue
                prefix = f"receipt:{receipt.id}:{period.key}"
                common = dict(object_type="directive_receipts", object_id=receipt.id, due_on=period.due_on,
                              roles=RECEIVER_ROLES)
                if period == current:
                    posted["tasks"] += inbox.post(unit, f"{prefix}:return", kind=InboxKind.TASK,
                                                  title=_("请报送：%(t)s（%(p)s）", t=directive.title, p=period.label),
                                                  **common)
                    if calendar.due_state(period.due_on, today) == "due_soon":
                        posted["due_soon"] += inbox.post(unit, f"{prefix}:due_soon", kind=InboxKind.DUE_SOON,
                                                         title=_("报表即将到期：%(t)s", t=directive.title), **common)
                    if calendar.workdays_between(today, period.due_on) == 1:
                        posted["reminders"] += inbox.post(unit, f"{prefix}:auto", kind=InboxKind.REMINDER,
                                                          title=_("明日截止：%(t)s", t=directive.title), **common)
                elif period.due_on < today:
                    posted["overdue"] += inbox.post(unit, f"{prefix}:overdue", kind=InboxKind.OVERDUE,
                                                    title=_("报表逾期未报：%(t)s（%(p)s）", t=directive.title,
                                                            p=period.label), **common)
            owing.add(receipt.unit_id)
    # Late returns are time-based: recounted for every unit that owes a return or was late before.
    owing |= set(db.session.scalars(select(UnitStat.unit_id).where(
        UnitStat.metric == "directives.returns_late", UnitStat.period == "", UnitStat.value != 0)))
    for unit_id in sorted(owing):
        count_late_returns(db.session.get(Unit, unit_id), today)
    return posted


def recount(unit: Unit, today: date) -> dict[tuple[str, str], int]:
    """``directives.returns_late`` counted from the returns owed: what the stats row must hold (the nightly
    reconcile)."""
    return {("directives.returns_late", ""): late_returns(unit, today)}
