"""Every write of the reception room (轮流坐班接访 · 三访合一): the month's rota set by the leader (staff assigned to
working days, or generated round-robin over chosen staff), a swap between two staff, a reception logged as 接访, 下访
or 约访 with the person received sealed at rest, the audited reveal of that person, and a reception that raised a
report registered as a petition in one step (core.petitions.operations, channel 来访), linked both ways.

Each write is audited and moves the unit's figures (``reception.*``) in the same transaction; ``recount`` counts
them again from the records. Rota days are figures of the months a rota was set for: each working day (by the
working-day calendar: holidays skipped, a 调休 working Saturday included) covered or uncovered."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from core import calendar, context
from core.audit.operations import record
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, add_error
from core.extensions import db
from core.identity.models import Account
from core.models import check_version, upsert_insert
from core.numbering import NumberCounter, short_name
from core.petitions import operations as petition_ops
from core.petitions.models import Channel, Petition
from core.reception import queries
from core.reception.models import Reception, ReceptionDuty, ReceptionRota, ReceptionSwap
from core.reception.workflow import KINDS, PERSON_FIELDS
from core.schemas import EARLIEST
from tenants import operations as tenancy_ops
from tenants.models import Unit
from tenants.stats import with_coarser_keys

PLACE_LIMIT, TEXT_LIMIT, REASON_LIMIT, SUMMARY_LIMIT = 200, 2000, 500, 300
PERSON_LIMITS = {"name": 50, "id_number": 18, "phone": 30, "address": 200}
ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
PHONE = re.compile(r"^[\d\-+() ]{3,30}$")
YES = (True, "1", "true", "yes", "on", "是", "匿名")
COVERED, UNCOVERED = "reception.rota.covered", "reception.rota.uncovered"
SERIES = "reception"


# ---------------------------------------------------------------- small helpers


def _text(raw: dict, field: str, limit: int, errors: dict, *, required: str | None = None) -> str:
    value = str(raw.get(field) if raw.get(field) is not None else "").strip()
    if not value and required:
        add_error(errors, field, required)
    elif len(value) > limit:
        add_error(errors, field, _("不能超过 %(n)s 个字", n=limit))
    return value


def _date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _id(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def _bump_dated(unit: Unit, metric: str, day: date, delta: int = 1) -> None:
    tenancy_ops.bump_stat(unit, metric, delta)
    tenancy_ops.bump_stat(unit, metric, delta, day.isoformat())


def _staff(unit: Unit) -> dict[int, Account]:
    return {a.id: a for a in queries.staff_of(unit)}


def _move_coverage(unit: Unit, before: dict[date, bool], after: dict[date, bool]) -> None:
    """The covered/uncovered days' figures moved by the difference of a month's coverage before and after."""
    for day in sorted(set(before) | set(after)):
        for metric, wanted in ((COVERED, True), (UNCOVERED, False)):
            delta = int(after.get(day) is wanted) - int(before.get(day) is wanted)
            if delta:
                _bump_dated(unit, metric, day, delta)


def recount_coverage_for_year(year: int, before) -> None:
    """A holiday schedule of ``year`` arrived or changed (core.calendar's SCHEDULE_LISTENERS): each rota month of
    the year counted under the rule in force before and under the new one, the covered/uncovered figures moved by
    the difference (a new 调休 Saturday becomes an uncovered working day, a new holiday leaves the count)."""
    for rota in db.session.scalars(select(ReceptionRota).where(ReceptionRota.month.startswith(f"{year}-"))):
        unit = db.session.get(Unit, rota.unit_id)
        with calendar.rule_in_force(year, before):
            old = queries.coverage(unit, rota.month)
        _move_coverage(unit, old, queries.coverage(unit, rota.month))


def _next_number(unit: Unit, year: int) -> tuple[int, str]:
    """The unit's next reception number of the year: 城关接访〔2026〕3号 (the kernel's counter row, locked)."""
    db.session.execute(upsert_insert(NumberCounter.__table__).values(
        unit_id=unit.id, unit_path=unit.path, series=SERIES, year=year, last_value=0).on_conflict_do_nothing())
    counter = db.session.execute(select(NumberCounter).where(
        NumberCounter.unit_id == unit.id, NumberCounter.series == SERIES, NumberCounter.year == year)
        .with_for_update()).scalar_one()
    counter.last_value += 1
    return counter.last_value, _("%(unit)s接访〔%(year)s〕%(n)s号", unit=short_name(unit.name), year=year,
                                  n=counter.last_value)


# ---------------------------------------------------------------- the rota


def _month(raw: dict, errors: dict) -> str | None:
    month = queries.parse_month(raw.get("month"))
    if month is None:
        add_error(errors, "month", _("请填写排班月份（如 2026-12）"))
    return month


def _write_month(unit: Unit, month: str, assignments: dict[date, Account], *, expected_version=None,
                 how: str) -> ReceptionRota:
    """The month's duties made exactly ``assignments`` (validated), the rota row kept, the figures moved."""
    before = queries.coverage(unit, month)
    rota = queries.rota_of(unit, month)
    if rota is None:
        rota = ReceptionRota(unit_id=unit.id, unit_path=unit.path, month=month,
                             set_by_id=context.current().account_id)
        db.session.add(rota)
        db.session.flush()
    else:
        check_version(rota, expected_version)
        rota.set_by_id = context.current().account_id
        rota.updated_at = utcnow()  # the version moves with it (a stale edit of the month: 409)
    days = queries.month_days(month)
    existing = queries.duties_of(unit, days[0], days[-1], empty=True)
    for day, duty in existing.items():
        if day not in assignments:
            if duty.account_id is not None:  # unassigned: the row stays with nobody (nothing is deleted)
                duty.account_id, duty.staff_name = None, ""
        elif duty.account_id != assignments[day].id:
            duty.account_id, duty.staff_name = assignments[day].id, assignments[day].display_name
    for day, account in assignments.items():
        if day not in existing:
            db.session.add(ReceptionDuty(unit_id=unit.id, unit_path=unit.path, rota_id=rota.id, day=day,
                                         account_id=account.id, staff_name=account.display_name))
    db.session.flush()
    after = queries.coverage(unit, month)
    _move_coverage(unit, before, after)
    record("reception_rota.set", unit_id=unit.id, object_type="reception_rotas", object_id=rota.id,
           detail={"month": month, "how": how, "covered": sum(after.values()),
                   "uncovered": sum(1 for v in after.values() if not v)})
    return rota


def set_rota(unit: Unit, raw: dict, *, expected_version: int | None = None) -> ReceptionRota:
    """The leader's rota of a month: ``days`` maps each working day (YYYY-MM-DD) to a staff member's account id
    (empty: nobody); the month's duties become exactly these. A rest day cannot be assigned; a 调休 working
    Saturday can (and should) be."""
    errors: dict = {}
    month = _month(raw, errors)
    staff = _staff(unit)
    given = raw.get("days")
    if not isinstance(given, dict):
        add_error(errors, "days", _("请按日期安排接访人员"))
        given = {}
    assignments: dict[date, Account] = {}
    if month:
        allowed = set(queries.working_days(month))
        for key, value in given.items():
            if value in (None, "", 0, "0"):
                continue
            day = _date(key)
            if day is None or day.strftime("%Y-%m") != month:
                add_error(errors, "days", _("%(d)s 不是本月的日期", d=str(key)[:10]))
            elif day not in allowed:
                add_error(errors, "days", _("%(d)s 是休息日（节假日或周末），无需安排接访", d=day.isoformat()))
            elif _id(value) not in staff:
                add_error(errors, "days", _("%(d)s 的接访人员须为本单位的委领导、承办或信访人员", d=day.isoformat()))
            else:
                assignments[day] = staff[_id(value)]
    if errors:
        raise InvalidInput(errors)
    return _write_month(unit, month, assignments, expected_version=expected_version, how="set")


def generate_rota(unit: Unit, raw: dict, *, expected_version: int | None = None) -> ReceptionRota:
    """轮流坐班: the month's working days given in turn to the chosen staff (``account_ids``, in their order),
    from the month's first working day; the month's earlier duties are replaced."""
    errors: dict = {}
    month = _month(raw, errors)
    staff = _staff(unit)
    chosen = raw.get("account_ids")
    chosen = chosen if isinstance(chosen, (list, tuple)) else [c for c in str(chosen or "").split(",") if c.strip()]
    ids = list(dict.fromkeys(_id(c) for c in chosen))
    if not ids:
        add_error(errors, "account_ids", _("请选择参加轮流坐班的人员"))
    elif any(i not in staff for i in ids):
        add_error(errors, "account_ids", _("轮流坐班人员须为本单位的委领导、承办或信访人员"))
    if errors:
        raise InvalidInput(errors)
    days = queries.working_days(month)
    assignments = {day: staff[ids[i % len(ids)]] for i, day in enumerate(days)}
    return _write_month(unit, month, assignments, expected_version=expected_version, how="round_robin")


def record_swap(unit: Unit, raw: dict) -> ReceptionSwap:
    """调班: two staff exchange their days (``first_day`` and ``second_day``, each on duty), or, without a second
    day, ``second_account_id`` covers the first day (代班). The reason is required; the duties move."""
    errors: dict = {}
    first_day = _date(raw.get("first_day"))
    first = queries.receptionist_on(unit, first_day) if first_day else None
    if first_day is None:
        add_error(errors, "first_day", _("请填写调出的值班日期"))
    elif first is None:
        add_error(errors, "first_day", _("%(d)s 没有安排接访人员，无需调班", d=first_day.isoformat()))
    second_day, second, covering = None, None, None
    if str(raw.get("second_day") or "").strip():
        second_day = _date(raw.get("second_day"))
        second = queries.receptionist_on(unit, second_day) if second_day else None
        if second_day is None:
            add_error(errors, "second_day", _("请填写调入的值班日期（如 2026-12-10）"))
        elif second is None:
            add_error(errors, "second_day", _("%(d)s 没有安排接访人员，不能与之调班", d=second_day.isoformat()))
        elif first is not None and second.account_id == first.account_id:
            add_error(errors, "second_day", _("两天是同一人值班，无需调班"))
    else:
        staff = _staff(unit)
        covering = staff.get(_id(raw.get("second_account_id")))
        if covering is None:
            add_error(errors, "second_account_id", _("请选择代班人员（本单位的委领导、承办或信访人员），或填写对调的日期"))
        elif first is not None and covering.id == first.account_id:
            add_error(errors, "second_account_id", _("代班人员不能是原值班人员本人"))
    reason = _text(raw, "reason", REASON_LIMIT, {}, required=None)
    if not reason:
        add_error(errors, "reason", _("请填写调班事由"))
    elif len(reason) > REASON_LIMIT:
        add_error(errors, "reason", _("调班事由不能超过 %(n)s 个字", n=REASON_LIMIT))
    if errors:
        raise InvalidInput(errors)
    if second is not None:
        swap = ReceptionSwap(unit_id=unit.id, unit_path=unit.path, first_day=first_day,
                             first_account_id=first.account_id, first_name=first.staff_name, second_day=second_day,
                             second_account_id=second.account_id, second_name=second.staff_name, reason=reason,
                             recorded_by_id=context.current().account_id)
        (first.account_id, first.staff_name), (second.account_id, second.staff_name) = \
            (second.account_id, second.staff_name), (first.account_id, first.staff_name)
    else:
        swap = ReceptionSwap(unit_id=unit.id, unit_path=unit.path, first_day=first_day,
                             first_account_id=first.account_id, first_name=first.staff_name, second_day=None,
                             second_account_id=covering.id, second_name=covering.display_name, reason=reason,
                             recorded_by_id=context.current().account_id)
        first.account_id, first.staff_name = covering.id, covering.display_name
    db.session.add(swap)
    db.session.flush()
    record("reception_swap.record", unit_id=unit.id, object_type="reception_swaps", object_id=swap.id,
           detail={"first_day": first_day.isoformat(), "second_day": second_day.isoformat() if second_day else "",
                   "first": swap.first_name, "second": swap.second_name, "reason": reason})
    return swap


# ---------------------------------------------------------------- receptions


def clean_person(raw: dict, errors: dict) -> tuple[bool, dict[str, str]]:
    """Anonymous, or the person's fields (a nested ``person`` or flat ``person_<field>``), checked like a
    petition's informant."""
    anonymous = raw.get("anonymous") in YES
    nested = raw.get("person") if isinstance(raw.get("person"), dict) else {}
    people = {f: str(nested.get(f) or raw.get(f"person_{f}") or "").strip() for f in PERSON_FIELDS}
    if anonymous:
        return True, dict.fromkeys(PERSON_FIELDS, "")
    people["id_number"] = people["id_number"].upper()
    if not people["name"]:
        add_error(errors, "person_name", _("实名来访须填写来访群众姓名；否则请勾选“匿名”"))
    for field, limit in PERSON_LIMITS.items():
        if len(people[field]) > limit:
            add_error(errors, f"person_{field}", _("来访群众%(label)s不能超过 %(n)s 个字", label=PERSON_FIELDS[field],
                                                   n=limit))
    if people["id_number"] and not ID_NUMBER.match(people["id_number"]):
        add_error(errors, "person_id_number", _("身份证号应为 18 位（前 17 位为数字，末位为数字或 X）"))
    if people["phone"] and not PHONE.match(people["phone"]):
        add_error(errors, "person_phone", _("联系电话格式不正确"))
    return False, people


def log_reception(unit: Unit, raw: dict) -> Reception:
    """One reception: its kind (接访、下访、约访), day (not ahead of today), the staff member (the day's receptionist by
    default), the place (required for a 下访: the village), the person received (or anonymous), the matter and
    the outcome. Everything is checked first; nothing is written on a refusal."""
    errors: dict = {}
    kind = str(raw.get("kind") or "").strip()
    if kind not in KINDS:
        add_error(errors, "kind", _("请选择接访方式（接访、下访或约访）"))
    received_on = _date(raw.get("received_on"))
    if received_on is None:
        add_error(errors, "received_on", _("请填写接待日期（如 2026-12-01）"))
    elif received_on > calendar.today():
        add_error(errors, "received_on", _("接待日期不能晚于今天"))
    elif received_on < EARLIEST:
        add_error(errors, "received_on", _("日期超出可填写的范围"))
    staff = _staff(unit)
    staff_id = _id(raw.get("staff_id"))
    if staff_id is None and not str(raw.get("staff_id") or "").strip():  # the day's receptionist, else oneself
        duty = queries.receptionist_on(unit, received_on) if received_on is not None else None
        staff_id = duty.account_id if duty is not None else context.current().account_id
    if staff_id not in staff:
        add_error(errors, "staff_id", _("接待人员须为本单位的委领导、承办或信访人员"))
    place = _text(raw, "place", PLACE_LIMIT, errors,
                  required=_("下访须填写走访的村（社区）或地点") if kind == "visit" else None)
    anonymous, people = clean_person(raw, errors)
    matter = _text(raw, "matter", TEXT_LIMIT, errors, required=_("请填写群众反映的事项"))
    outcome = _text(raw, "outcome", TEXT_LIMIT, errors, required=_("请填写处理结果（如：当场解释答复、登记为信访举报件）"))
    if errors:
        raise InvalidInput(errors)
    seq, number = _next_number(unit, calendar.today().year)
    reception = Reception(unit_id=unit.id, unit_path=unit.path, year=calendar.today().year, seq=seq, number=number,
                          kind=kind, received_on=received_on, staff_account_id=staff_id,
                          staff_name=staff[staff_id].display_name, place=place, anonymous=anonymous, matter=matter,
                          outcome=outcome, created_by_id=context.current().account_id)
    for field, value in people.items():
        setattr(reception, f"person_{field}", value)  # sealed at the INSERT, bound to the row
    db.session.add(reception)
    db.session.flush()
    _bump_dated(unit, "reception.received", received_on)
    _bump_dated(unit, f"reception.kind.{kind}", received_on)
    record("reception.log", unit_id=unit.id, object_type="receptions", object_id=reception.id,
           detail={"number": number, "kind": kind, "received_on": received_on.isoformat(), "anonymous": anonymous})
    return reception


def _mask(field: str, value: str) -> str:
    """The masks of a petition's informant: 张** / 1101**********1234 / 138****5678 / 已加密."""
    if not value:
        return ""
    if field == "name":
        return value[0] + "*" * max(len(value) - 1, 1)
    if field == "id_number":
        return value[:4] + "*" * (len(value) - 8) + value[-4:] if len(value) > 8 else "*" * len(value)
    if field == "phone":
        return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else "*" * len(value)
    return _("已加密")


def masked_person(reception: Reception) -> dict[str, str]:
    """What every page but the reveal shows."""
    if reception.anonymous:
        return dict.fromkeys(PERSON_FIELDS, _("匿名"))
    return {field: _mask(field, value) for field, value in reception.person().items()}


def reveal_person(reception: Reception, reason: str) -> dict[str, str]:
    """The person received in plain text, for this response only; the reason (never the values) is audited."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [_("查看来访群众信息须填写事由")]})
    if len(reason) > REASON_LIMIT:
        raise InvalidInput({"reason": [_("事由不能超过 %(n)s 个字", n=REASON_LIMIT)]})
    if reception.anonymous:
        raise InvalidInput({"_schema": [_("匿名来访，没有可查看的来访群众信息")]})
    values = reception.person()
    record("reception.person_reveal", unit_id=reception.unit_id, object_type="receptions", object_id=reception.id,
           detail={"number": reception.number, "reason": reason})
    return values


def register_petition_from(reception: Reception, raw: dict, *, expected_version: int | None = None) -> Petition:
    """A reception that raised a report, registered as a petition in one step (channel 来访, received the day of the
    reception): the person received becomes the petition's informant (sealed there too), the matter its content;
    the form adds the accused and the category. The two are linked both ways; validated by the petitions' own
    registration (nothing is saved on a refusal)."""
    check_version(reception, expected_version)
    if reception.petition_id is not None:
        raise Conflict(_("该接访已登记为信访举报件 %(n)s", n=reception.petition_number or ""),
                       detail={"petition_id": reception.petition_id})
    unit = db.session.get(Unit, reception.unit_id)
    summary = str(raw.get("summary") or "").strip() or reception.matter[:SUMMARY_LIMIT]
    petition_raw = {
        "channel": Channel.VISIT.value, "received_on": reception.received_on, "anonymous": reception.anonymous,
        "informant": {} if reception.anonymous else reception.person(), "summary": summary,
        "content": str(raw.get("content") or "").strip() or reception.matter,
        **{k: raw.get(k) for k in ("accused_name", "accused_position", "accused_work_unit", "accused_level",
                                   "accused_party_member", "accused_work_areas", "category") if raw.get(k) is not None},
    }
    petition = petition_ops.register_petition(unit, petition_raw)
    today = calendar.today()
    reception.petition_id, reception.petition_number = petition.id, petition.number
    reception.converted_on, reception.converted_by_id = today, context.current().account_id
    db.session.flush()
    _bump_dated(unit, "reception.converted", today)
    record("reception.to_petition", unit_id=unit.id, object_type="receptions", object_id=reception.id,
           detail={"number": reception.number, "petition": petition.number})
    return petition


# ---------------------------------------------------------------- the recount


def recount(unit: Unit, today: date) -> dict[tuple[str, str], int]:
    """The unit's reception figures counted from its records: what the stats rows must hold."""
    figures: Counter = Counter()
    for kind, received_on, converted_on in db.session.execute(select(
            Reception.kind, Reception.received_on, Reception.converted_on).where(Reception.unit_id == unit.id)):
        for metric, day in (("reception.received", received_on), (f"reception.kind.{kind}", received_on),
                            ("reception.converted", converted_on)):
            if day is not None:
                figures[(metric, "")] += 1
                figures[(metric, day.isoformat())] += 1
    for month in db.session.scalars(select(ReceptionRota.month).where(ReceptionRota.unit_id == unit.id)):
        for day, covered in queries.coverage(unit, month).items():
            metric = COVERED if covered else UNCOVERED
            figures[(metric, "")] += 1
            figures[(metric, day.isoformat())] += 1
    return with_coarser_keys(figures)
