"""Every write of 联系指导: a county's offices (纪检监察室), their members and the townships each guides (one office per
township at a time, history kept), an office's regular meetings (定期例会) and guidance visits (督查指导) with the
problems found, and those problems sent to the township as a rectification order (a supervision item from the county).
Each write checks every field first (422 in Chinese, nothing saved), is audited and moves the county's figures in the
same transaction; ``recount`` counts them again from the records (the nightly reconcile)."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from core import calendar, context
from core.audit.operations import record
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, add_error
from core.extensions import db
from core.guidance import queries
from core.guidance.models import (GuidanceAssignment, GuidanceMeeting, GuidanceOffice, GuidanceProblem, GuidanceVisit,
                                  OfficeMember)
from core.guidance.workflow import MAX_DECISIONS, MAX_NAMES, MAX_PROBLEMS
from core.schemas import EARLIEST, YEARS_AHEAD
from core.supervision import operations as supervision_ops
from core.supervision.models import ItemKind
from tenants import operations as tenancy_ops
from tenants.models import Unit, UnitLevel
from tenants.stats import with_coarser_keys

NAME_LIMIT, PERSON_LIMIT, PLACE_LIMIT, TEXT_LIMIT = 100, 50, 200, 2000
SPLIT = re.compile(r"[、，,;；\n\r]+")
LINES = re.compile(r"[\n\r]+")


# ---------------------------------------------------------------- small helpers


def _text(raw: dict, field: str, limit: int, errors: dict, *, required: str | None = None) -> str:
    value = str(raw.get(field) if raw.get(field) is not None else "").strip()
    if not value and required:
        add_error(errors, field, required)
    elif len(value) > limit:
        add_error(errors, field, _("不能超过 %(n)s 个字", n=limit))
    return value


def _day(raw: dict, field: str, errors: dict, required: str, *, past: bool = True) -> date | None:
    value = raw.get(field)
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value or "").strip())
        except ValueError:
            add_error(errors, field, required)
            return None
    if day < EARLIEST or day > calendar.today() + timedelta(days=366 * YEARS_AHEAD):
        add_error(errors, field, _("日期超出可填写的范围"))
        return None
    if past and day > calendar.today():
        add_error(errors, field, _("开展后再记录，日期不能晚于今天"))
        return None
    return day


def _list(value, pattern=SPLIT) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else pattern.split(str(value or ""))
    return [str(n).strip() for n in items if str(n).strip()]


def _names(raw: dict, field: str, errors: dict, *, required: str | None = None) -> list[str]:
    names = _list(raw.get(field))
    if required and not names:
        add_error(errors, field, required)
    elif len(names) > MAX_NAMES:
        add_error(errors, field, _("最多填写 %(n)s 个", n=MAX_NAMES))
    elif any(len(n) > NAME_LIMIT for n in names):
        add_error(errors, field, _("每个名称不能超过 %(n)s 个字", n=NAME_LIMIT))
    return list(dict.fromkeys(names))


def _ids(value) -> list:
    items = value if isinstance(value, (list, tuple)) else SPLIT.split(str(value or ""))
    ids = []
    for item in items:
        if str(item).strip() == "":
            continue
        try:
            number = int(str(item).strip())
        except (TypeError, ValueError):
            ids.append(None)
            continue
        ids.append(number if 0 < number < 2**31 else None)
    return ids


def _ensure_county(unit: Unit) -> None:
    if unit.level != UnitLevel.COUNTY:
        raise InvalidInput({"unit": [_("纪检监察室联系指导由县（区）纪委监委安排")]})


def _bump_dated(unit: Unit, metric: str, day: date, delta: int = 1) -> None:
    if delta:
        tenancy_ops.bump_stat(unit, metric, delta)
        tenancy_ops.bump_stat(unit, metric, delta, day.isoformat())


def _member_ids(county: Unit, raw: dict, errors: dict) -> list[int]:
    eligible = {a.id for a in queries.staff_candidates(county)}
    ids = _ids(raw.get("member_account_ids"))
    if any(i is None or i not in eligible for i in ids):
        add_error(errors, "member_account_ids", _("纪检监察室成员须为本单位的办案人员（委领导、承办、信访、审理或案管）"))
    return list(dict.fromkeys(i for i in ids if i))


def _township_ids(county: Unit, raw: dict, errors: dict) -> list[int]:
    towns = {t.id for t in queries.townships_of(county)}
    ids = _ids(raw.get("township_ids"))
    if any(i is None or i not in towns for i in ids):
        add_error(errors, "township_ids", _("只能选择本县（区）所辖的乡镇（街道）"))
    return list(dict.fromkeys(i for i in ids if i))


# ---------------------------------------------------------------- offices, members, assignments


def create_office(county: Unit, raw: dict) -> GuidanceOffice:
    """An office of the county (纪检监察室): its name and duties, its members (the county's staff) and, if given, the
    townships it guides from today."""
    _ensure_county(county)
    errors: dict = {}
    name = _text(raw, "name", NAME_LIMIT, errors, required=_("请填写纪检监察室名称（如：第一纪检监察室）"))
    if name and any(o.name == name for o in queries.offices_of(county)):
        add_error(errors, "name", _("已有同名的纪检监察室"))
    duties = _text(raw, "duties", TEXT_LIMIT, errors)
    members = _member_ids(county, raw, errors)
    townships = _township_ids(county, raw, errors)
    if errors:
        raise InvalidInput(errors)
    office = GuidanceOffice(unit_id=county.id, unit_path=county.path, name=name, duties=duties)
    db.session.add(office)
    db.session.flush()
    record("guidance_office.create", unit_id=county.id, object_type="guidance_offices", object_id=office.id,
           detail={"name": name})
    _set_members(office, county, members)
    if townships:
        _assign(office, county, townships)
    return office


def _ensure_open(office: GuidanceOffice) -> None:
    if office.archived_at is not None:
        raise Conflict(_("%(name)s已撤销，不能再调整", name=office.name))


def set_members(office: GuidanceOffice, raw: dict) -> list[OfficeMember]:
    """The office's members from today: who is named stays or joins, who is not leaves (their stay ends)."""
    _ensure_open(office)
    county = db.session.get(Unit, office.unit_id)
    errors: dict = {}
    ids = _member_ids(county, raw, errors)
    if errors:
        raise InvalidInput(errors)
    return _set_members(office, county, ids)


def _set_members(office: GuidanceOffice, county: Unit, ids: list[int]) -> list[OfficeMember]:
    today = calendar.today()
    current = {m.account_id: m for m in queries.current_members(office, today)}
    left, joined = [a for a in current if a not in ids], [a for a in ids if a not in current]
    for account_id in left:
        current[account_id].left_on = today
    db.session.flush()
    for account_id in joined:
        db.session.add(OfficeMember(unit_id=county.id, unit_path=county.path, office_id=office.id,
                                    account_id=account_id, joined_on=today))
    db.session.flush()
    if left or joined:
        record("guidance_office.members", unit_id=county.id, object_type="guidance_offices", object_id=office.id,
               detail={"joined": joined, "left": left})
    return queries.current_members(office, today)


def set_townships(office: GuidanceOffice, raw: dict) -> list[Unit]:
    """The townships the office guides from today: each named one is taken over from the office guiding it before
    (that stretch ends yesterday); each of the office's not named any more ends its guidance."""
    _ensure_open(office)
    county = db.session.get(Unit, office.unit_id)
    errors: dict = {}
    ids = _township_ids(county, raw, errors)
    if errors:
        raise InvalidInput(errors)
    _assign(office, county, ids, replace=True)
    return queries.current_townships(office)


def _end(assignment: GuidanceAssignment, today: date) -> None:
    # A stretch started today and ended today was never in force: its last day is still today (not before its start).
    assignment.ends_on = max(assignment.starts_on, today - timedelta(days=1))


def _assign(office: GuidanceOffice, county: Unit, ids: list[int], *, replace: bool = False) -> None:
    today = calendar.today()
    current = {a.township_id: a for a in queries.current_assignments(county)}
    ended, started = [], []
    if replace:
        for township_id, assignment in current.items():
            if assignment.office_id == office.id and township_id not in ids:
                _end(assignment, today)
                ended.append(township_id)
    for township_id in ids:
        before = current.get(township_id)
        if before is not None and before.office_id == office.id:
            continue
        if before is not None:
            _end(before, today)
            ended.append(township_id)
        db.session.flush()
        db.session.add(GuidanceAssignment(unit_id=county.id, unit_path=county.path, office_id=office.id,
                                          township_id=township_id, starts_on=today,
                                          assigned_by_id=context.current().account_id))
        started.append(township_id)
    db.session.flush()
    if ended or started:
        record("guidance_office.townships", unit_id=county.id, object_type="guidance_offices", object_id=office.id,
               detail={"assigned": started, "ended": ended})


def archive_office(office: GuidanceOffice) -> GuidanceOffice:
    """The office stops (its members leave, its townships' guidance ends); its meetings and visits stay."""
    _ensure_open(office)
    county = db.session.get(Unit, office.unit_id)
    _set_members(office, county, [])
    _assign(office, county, [], replace=True)
    office.archived_at = utcnow()
    db.session.flush()
    record("guidance_office.archive", unit_id=county.id, object_type="guidance_offices", object_id=office.id,
           detail={"name": office.name})
    return office


# ---------------------------------------------------------------- meetings and visits


def _office_townships(office: GuidanceOffice) -> dict[int, Unit]:
    return {t.id: t for t in queries.current_townships(office)}


def log_meeting(office: GuidanceOffice, raw: dict) -> GuidanceMeeting:
    """A regular meeting (定期例会) of the office with townships it guides: the day (not ahead of today), the
    attendees, the townships, notes and the decisions (one a line)."""
    county = db.session.get(Unit, office.unit_id)
    errors: dict = {}
    held_on = _day(raw, "held_on", errors, _("请填写例会日期（如 2026-11-20）"))
    place = _text(raw, "place", PLACE_LIMIT, errors)
    attendees = _names(raw, "attendees", errors, required=_("请填写参会人员（以顿号分隔）"))
    towns = _office_townships(office)
    township_ids = _ids(raw.get("township_ids"))
    if not township_ids:
        add_error(errors, "township_ids", _("请选择参加例会的乡镇（街道）"))
    elif any(t is None or t not in towns for t in township_ids):
        add_error(errors, "township_ids", _("只能选择本室联系指导的乡镇（街道）"))
    notes = _text(raw, "notes", TEXT_LIMIT, errors, required=_("请填写例会情况（通报、研判、反馈的内容）"))
    decisions = _list(raw.get("decisions"), LINES)
    if len(decisions) > MAX_DECISIONS or any(len(d) > TEXT_LIMIT for d in decisions):
        add_error(errors, "decisions", _("议定事项最多 %(n)s 项，每项不超过 %(m)s 个字", n=MAX_DECISIONS, m=TEXT_LIMIT))
    if errors:
        raise InvalidInput(errors)
    meeting = GuidanceMeeting(unit_id=county.id, unit_path=county.path, office_id=office.id, held_on=held_on,
                              place=place, attendees=attendees,
                              townships=[{"id": t, "name": towns[t].name} for t in dict.fromkeys(township_ids)],
                              notes=notes, decisions=decisions, created_by_id=context.current().account_id)
    db.session.add(meeting)
    db.session.flush()
    _bump_dated(county, "guidance.meetings_held", held_on)
    record("guidance_meeting.log", unit_id=county.id, object_type="guidance_meetings", object_id=meeting.id,
           detail={"office": office.name, "held_on": held_on.isoformat(), "townships": len(meeting.townships),
                   "decisions": len(decisions)})
    return meeting


def _problems(raw: dict, errors: dict) -> list[tuple[str, str]]:
    value = raw.get("problems")
    if isinstance(value, (list, tuple)):
        rows = []
        for p in value:
            if isinstance(p, dict):
                rows.append((str(p.get("description") or "").strip(), str(p.get("requirement") or "").strip()))
            else:
                rows.append((str(p or "").strip(), ""))
    else:
        rows = [(line, "") for line in _list(value, LINES)]
    rows = [(d, r) for d, r in rows if d]
    if len(rows) > MAX_PROBLEMS:
        add_error(errors, "problems", _("发现问题最多 %(n)s 个", n=MAX_PROBLEMS))
    elif any(len(d) > TEXT_LIMIT or len(r) > TEXT_LIMIT for d, r in rows):
        add_error(errors, "problems", _("每个问题不能超过 %(n)s 个字", n=TEXT_LIMIT))
    return rows


def log_visit(office: GuidanceOffice, raw: dict) -> GuidanceVisit:
    """A guidance visit (督查指导) to one township the office guides: the day, the office's staff on it, what was
    checked, notes and the problems found (one a line, or a list of {description, requirement})."""
    county = db.session.get(Unit, office.unit_id)
    errors: dict = {}
    visited_on = _day(raw, "visited_on", errors, _("请填写督查指导日期（如 2026-11-20）"))
    towns = _office_townships(office)
    township_id = (_ids(raw.get("township_id")) or [None])[0]
    if township_id not in towns:
        add_error(errors, "township_id", _("请选择本室联系指导的乡镇（街道）"))
    members = {m.account_id: m.account for m in queries.current_members(office)}
    staff_ids = _ids(raw.get("staff_account_ids"))
    if not staff_ids:
        add_error(errors, "staff_account_ids", _("请选择参加督查指导的本室人员"))
    elif any(s is None or s not in members for s in staff_ids):
        add_error(errors, "staff_account_ids", _("参加人员须为本室成员"))
    checked = _text(raw, "checked", TEXT_LIMIT, errors,
                    required=_("请填写督查指导的内容（如：台账记录、信访举报受理、谈话室使用）"))
    notes = _text(raw, "notes", TEXT_LIMIT, errors)
    problems = _problems(raw, errors)
    if errors:
        raise InvalidInput(errors)
    town = towns[township_id]
    visit = GuidanceVisit(unit_id=county.id, unit_path=county.path, office_id=office.id, township_id=town.id,
                          township_name=town.name, visited_on=visited_on,
                          staff=[{"id": s, "name": queries.account_name(members[s])} for s in dict.fromkeys(staff_ids)],
                          checked=checked, notes=notes, created_by_id=context.current().account_id)
    db.session.add(visit)
    db.session.flush()
    for seq, (description, requirement) in enumerate(problems, start=1):
        db.session.add(GuidanceProblem(unit_id=county.id, unit_path=county.path, visit_id=visit.id, seq=seq,
                                       description=description, requirement=requirement))
    db.session.flush()
    db.session.refresh(visit)
    _bump_dated(county, "guidance.visits_made", visited_on)
    _bump_dated(county, "guidance.problems_found", visited_on, len(problems))
    record("guidance_visit.log", unit_id=county.id, object_type="guidance_visits", object_id=visit.id,
           detail={"office": office.name, "township": town.name, "visited_on": visited_on.isoformat(),
                   "problems": len(problems)})
    return visit


def raise_problems(visit: GuidanceVisit, raw: dict):
    """The county's leader sends the visit's problems not yet sent to the township as one rectification order
    (整改交办单: a supervision item from the county, each problem answered and checked off there)."""
    county = db.session.get(Unit, visit.unit_id)
    town = db.session.get(Unit, visit.township_id)
    errors: dict = {}
    problems = queries.open_problems(visit)
    if not problems:
        add_error(errors, "problems", _("没有待交办的问题"))
    due_on = _day(raw, "due_on", errors, _("请填写整改期限（如 2026-12-31）"), past=False)
    if due_on is not None and due_on < calendar.today():
        add_error(errors, "due_on", _("整改期限不能早于今天"))
    if errors:
        raise InvalidInput(errors)
    office = db.session.get(GuidanceOffice, visit.office_id)
    item = supervision_ops.issue_item(
        county, town, kind=ItemKind.RECTIFICATION, due_on=due_on,
        title=_("%(t)s 整改交办单（%(o)s督查指导发现）", t=town.name, o=office.name)[:200],
        body=_("%(d)s 督查指导：%(c)s", d=visit.visited_on.isoformat(), c=visit.checked)[:2000],
        problems=[{"description": p.description, "requirement": p.requirement} for p in problems])
    today = calendar.today()
    for p in problems:
        p.item_id, p.raised_on = item.id, today
    db.session.flush()
    _bump_dated(county, "guidance.problems_raised", today, len(problems))
    record("guidance_visit.raise", unit_id=county.id, object_type="guidance_visits", object_id=visit.id,
           detail={"item": item.id, "problems": len(problems), "township": town.name})
    return item


# ---------------------------------------------------------------- the recount


def recount(unit: Unit, today: date) -> dict[tuple[str, str], int]:
    """The county's guidance figures counted from its records: what the stats rows must hold."""
    figures: Counter = Counter()

    def add(metric: str, day: date, n: int = 1) -> None:
        if n:
            figures[(metric, "")] += n
            figures[(metric, day.isoformat())] += n

    for (held_on,) in db.session.execute(select(GuidanceMeeting.held_on).where(GuidanceMeeting.unit_id == unit.id)):
        add("guidance.meetings_held", held_on)
    for (visited_on,) in db.session.execute(select(GuidanceVisit.visited_on).where(GuidanceVisit.unit_id == unit.id)):
        add("guidance.visits_made", visited_on)
    for visited_on, raised_on in db.session.execute(
            select(GuidanceVisit.visited_on, GuidanceProblem.raised_on)
            .join(GuidanceProblem, GuidanceProblem.visit_id == GuidanceVisit.id)
            .where(GuidanceProblem.unit_id == unit.id)):
        add("guidance.problems_found", visited_on)
        if raised_on is not None:
            add("guidance.problems_raised", raised_on)
    return with_coarser_keys(figures)
