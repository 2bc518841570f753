"""Every write of on-site meetings (现场办公会): the county's issue categories, an inspection tour (巡察), an on-site
meeting of the tour in one of its villages, each issue villagers raise there (answered on the spot, or registered
with a responsible body and a deadline) and an issue's close with its evidence. Each write is audited and moves the
county's figures in the same transaction; ``recount`` counts them again from the records (the nightly reconcile),
``refresh_overdue`` sets the time-based one and ``scan`` warns the tour team of every overdue issue."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from core import calendar, context, dictionaries
from core.audit.operations import record
from core.errors import Conflict, InvalidInput, add_error
from core.extensions import db
from core.inbox import operations as inbox
from core.inbox.models import InboxKind
from core.meetings import queries
from core.meetings.models import InspectionTour, MeetingCategory, MeetingIssue, OnsiteMeeting
from core.meetings.workflow import DEFAULT_CATEGORY_LABELS, MAX_CATEGORIES
from core.models import check_version
from core.schemas import EARLIEST, YEARS_AHEAD
from tenants import operations as tenancy_ops
from tenants.models import Role, Share, Unit, UnitLevel, UnitStat
from tenants.stats import with_coarser_keys

NAME_LIMIT, PERSON_LIMIT, PLACE_LIMIT, TEXT_LIMIT = 100, 50, 200, 2000
MAX_NAMES, MAX_VILLAGES = 30, 500
SPLIT = re.compile(r"[、，,;；\n\r]+")
YES = ("1", "true", "yes", "on", "是")
OVERDUE = "meetings.issues.overdue"
SHARE_PURPOSE = "meeting_issue"  # an issue registered with a township: it reads the issue and closes it (done)
TOWN_ROLES = (Role.LEADER.value, Role.OFFICER.value)


# ---------------------------------------------------------------- small helpers


def _text(raw: dict, field: str, limit: int, errors: dict, *, required: str | None = None) -> str:
    value = str(raw.get(field) if raw.get(field) is not None else "").strip()
    if not value and required:
        add_error(errors, field, required)
    elif len(value) > limit:
        add_error(errors, field, _("不能超过 %(n)s 个字", n=limit))
    return value


def _date(raw: dict, field: str, errors: dict, required: str) -> date | None:
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
    return day


def _names(raw: dict, field: str, errors: dict, *, required: str | None = None) -> list[str]:
    value = raw.get(field)
    items = value if isinstance(value, (list, tuple)) else SPLIT.split(str(value or ""))
    names = [str(n).strip() for n in items if str(n).strip()]
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
        try:
            number = int(str(item).strip())
        except (TypeError, ValueError):
            ids.append(None)
            continue
        ids.append(number if 0 < number < 2**31 else None)
    return ids


def _ensure_county(unit: Unit) -> None:
    if unit.level != UnitLevel.COUNTY:
        raise InvalidInput({"unit": [_("巡察现场办公会由县（区）纪委监委记录")]})


def _bump_dated(unit: Unit, metric: str, day: date, delta: int = 1) -> None:
    tenancy_ops.bump_stat(unit, metric, delta)
    tenancy_ops.bump_stat(unit, metric, delta, day.isoformat())


# ---------------------------------------------------------------- the county's categories


def ensure_categories(county: Unit) -> list[MeetingCategory]:
    """The county's own category rows (the defaults written at its first use), in their order."""
    rows = list(db.session.scalars(select(MeetingCategory).where(MeetingCategory.unit_id == county.id)
                                   .order_by(MeetingCategory.position, MeetingCategory.id)))
    if rows:
        return rows
    for category in queries.categories_of(county):
        category.unit_id, category.unit_path = county.id, county.path
        db.session.add(category)
        rows.append(category)
    db.session.flush()
    return rows


def add_category(county: Unit, raw: dict) -> MeetingCategory:
    _ensure_county(county)
    errors: dict = {}
    name = _text(raw, "name", PERSON_LIMIT, errors, required=_("请填写问题类别名称"))
    rows = ensure_categories(county)
    if name and any(c.name == name and not c.archived for c in rows):
        add_error(errors, "name", _("已有同名的问题类别"))
    if len(rows) >= MAX_CATEGORIES:
        add_error(errors, "name", _("问题类别最多 %(n)s 个", n=MAX_CATEGORIES))
    if errors:
        raise InvalidInput(errors)
    existing = next((c for c in rows if c.name == name), None)
    if existing is not None:  # an archived one comes back
        existing.archived = False
        category = existing
    else:
        taken = {c.code for c in rows}
        n = len(rows) + 1
        while f"k{n}" in taken:
            n += 1
        category = MeetingCategory(unit_id=county.id, unit_path=county.path, code=f"k{n}", name=name,
                                   position=max((c.position for c in rows), default=0) + 1)
        db.session.add(category)
    db.session.flush()
    record("meeting_category.add", unit_id=county.id, object_type="meeting_categories", object_id=category.id,
           detail={"name": name})
    return category


def archive_category(county: Unit, code: str) -> MeetingCategory:
    _ensure_county(county)
    category = next((c for c in ensure_categories(county) if c.code == code and not c.archived), None)
    if category is None:
        raise InvalidInput({"category": [_("没有这个问题类别")]})
    category.archived = True
    db.session.flush()
    record("meeting_category.archive", unit_id=county.id, object_type="meeting_categories", object_id=category.id,
           detail={"name": category.name})
    return category


# ---------------------------------------------------------------- tours


def _clean_tour(county: Unit, raw: dict, tour: InspectionTour | None = None) -> dict:
    """A tour's fields checked (422 in Chinese, nothing saved). Editing a tour keeps what its meetings stand on:
    the period still covers every meeting held, and every village with a meeting stays covered."""
    errors: dict = {}
    name = _text(raw, "name", NAME_LIMIT, errors, required=_("请填写巡察名称（如：县委第三巡察组第八轮巡察）"))
    leader = _text(raw, "leader_name", PERSON_LIMIT, errors, required=_("请填写巡察组组长"))
    members = _names(raw, "members", errors)
    starts = _date(raw, "starts_on", errors, _("请填写巡察开始日期（如 2026-10-14）"))
    ends = _date(raw, "ends_on", errors, _("请填写巡察结束日期（如 2026-12-12）"))
    if starts and ends and ends < starts:
        add_error(errors, "ends_on", _("结束日期不能早于开始日期"))
    eligible = {a.id for a in queries.team_candidates(county)}
    account_ids = _ids(raw.get("account_ids"))
    if any(a is None or a not in eligible for a in account_ids):
        add_error(errors, "account_ids", _("巡察组账号须为本单位的委领导或承办人员"))
    elif not account_ids:
        add_error(errors, "account_ids", _("请至少选择一名跟进本次巡察的本单位人员（逾期问题提醒发给他们）"))
    known = {v["id"]: v for v in queries.township_villages(county)}
    if tour is not None:  # a village archived since keeps its place on the tour
        known = {**{v["id"]: v for v in tour.villages}, **known}
    village_ids = _ids(raw.get("village_ids"))
    if not village_ids:
        add_error(errors, "village_ids", _("请选择巡察覆盖的村（社区）"))
    elif len(village_ids) > MAX_VILLAGES or any(v is None or v not in known for v in village_ids):
        add_error(errors, "village_ids", _("只能选择本县（区）所辖乡镇的村（社区）"))
    if tour is not None and tour.meetings:
        held = [m.held_on for m in tour.meetings]
        if starts and ends and (min(held) < starts or max(held) > ends):
            add_error(errors, "starts_on", _("巡察期间须包含已召开的现场办公会（%(a)s 至 %(b)s）",
                                             a=min(held).isoformat(), b=max(held).isoformat()))
        kept = set(village_ids)
        dropped = sorted({m.village_name for m in tour.meetings if m.village_id not in kept})
        if dropped:
            add_error(errors, "village_ids", _("已召开现场办公会的村（社区）不能移出巡察范围：%(v)s", v="、".join(dropped)))
    if errors:
        raise InvalidInput(errors)
    return {"name": name, "leader_name": leader, "members": members, "account_ids": list(dict.fromkeys(account_ids)),
            "starts_on": starts, "ends_on": ends, "villages": [known[v] for v in dict.fromkeys(village_ids)]}


def create_tour(county: Unit, raw: dict) -> InspectionTour:
    """A county's inspection tour: name, 组长 and members (names), the county's accounts acting on it, the period
    and the villages covered (of its townships); every field checked first (422 in Chinese, nothing saved)."""
    _ensure_county(county)
    fields = _clean_tour(county, raw)
    tour = InspectionTour(unit_id=county.id, unit_path=county.path, created_by_id=context.current().account_id,
                          **fields)
    db.session.add(tour)
    ensure_categories(county)
    db.session.flush()
    record("inspection_tour.create", unit_id=county.id, object_type="inspection_tours", object_id=tour.id,
           detail={"name": tour.name, "villages": len(tour.villages), "starts_on": tour.starts_on.isoformat(),
                   "ends_on": tour.ends_on.isoformat()})
    return tour


def update_tour(tour: InspectionTour, raw: dict, *, expected_version: int | None = None) -> InspectionTour:
    """A tour corrected (its name, team, period or villages): what changed is audited, old and new."""
    check_version(tour, expected_version)
    county = db.session.get(Unit, tour.unit_id)
    fields = _clean_tour(county, raw, tour)
    changed = {}
    for key, value in fields.items():
        before = getattr(tour, key)
        if before != value:
            shown = (lambda v: [x["name"] for x in v]) if key == "villages" else (
                lambda v: v.isoformat() if isinstance(v, date) else v)
            changed[key] = {"from": shown(before), "to": shown(value)}
            setattr(tour, key, value)
    if changed:
        db.session.flush()
        record("inspection_tour.update", unit_id=county.id, object_type="inspection_tours", object_id=tour.id,
               detail={"name": tour.name, "changed": changed})
    return tour


# ---------------------------------------------------------------- meetings


def create_meeting(tour: InspectionTour, raw: dict) -> OnsiteMeeting:
    """An on-site meeting of the tour in one of its villages: the day (within the tour's period, not ahead of
    today), the place, the attending leaders and county departments (县直部门)."""
    county = db.session.get(Unit, tour.unit_id)
    errors: dict = {}
    covered = {v["id"]: v for v in tour.villages}
    village_id = (_ids(raw.get("village_id")) or [None])[0]
    if village_id not in covered:
        add_error(errors, "village_id", _("请选择本次巡察覆盖的村（社区）"))
    held_on = _date(raw, "held_on", errors, _("请填写办公会日期（如 2026-10-20）"))
    if held_on and (held_on < tour.starts_on or held_on > tour.ends_on):
        add_error(errors, "held_on", _("办公会日期应在巡察期间（%(a)s 至 %(b)s）", a=tour.starts_on.isoformat(),
                                       b=tour.ends_on.isoformat()))
    elif held_on and held_on > calendar.today():
        add_error(errors, "held_on", _("办公会召开后再记录，日期不能晚于今天"))
    place = _text(raw, "place", PLACE_LIMIT, errors, required=_("请填写办公会地点（如：叶庄村党群服务中心）"))
    leaders = _names(raw, "leaders", errors, required=_("请填写参会领导（如：巡察组组长、乡镇主要领导）"))
    departments = _names(raw, "departments", errors)
    if errors:
        raise InvalidInput(errors)
    village = covered[village_id]
    meeting = OnsiteMeeting(unit_id=county.id, unit_path=county.path, tour_id=tour.id, village_id=village["id"],
                            village_name=village["name"], village_code=village["code"],
                            township_id=village["township_id"], township_name=village["township"], held_on=held_on,
                            place=place, leaders=leaders, departments=departments,
                            created_by_id=context.current().account_id)
    db.session.add(meeting)
    db.session.flush()
    _bump_dated(county, "meetings.held", held_on)
    record("onsite_meeting.create", unit_id=county.id, object_type="onsite_meetings", object_id=meeting.id,
           detail={"tour": tour.name, "village": village["name"], "held_on": held_on.isoformat(),
                   "departments": len(departments)})
    return meeting


def update_meeting(meeting: OnsiteMeeting, raw: dict, *, expected_version: int | None = None) -> OnsiteMeeting:
    """A meeting's place, attending leaders and departments corrected (its village and day stay: its issues and the
    dated figures were counted on them); audited, old and new."""
    check_version(meeting, expected_version)
    errors: dict = {}
    place = _text(raw, "place", PLACE_LIMIT, errors, required=_("请填写办公会地点（如：叶庄村党群服务中心）"))
    leaders = _names(raw, "leaders", errors, required=_("请填写参会领导（如：巡察组组长、乡镇主要领导）"))
    departments = _names(raw, "departments", errors)
    if errors:
        raise InvalidInput(errors)
    changed = {key: {"from": getattr(meeting, key), "to": value}
               for key, value in (("place", place), ("leaders", leaders), ("departments", departments))
               if getattr(meeting, key) != value}
    if changed:
        for key, value in changed.items():
            setattr(meeting, key, value["to"])
        db.session.flush()
        record("onsite_meeting.update", unit_id=meeting.unit_id, object_type="onsite_meetings", object_id=meeting.id,
               detail={"village": meeting.village_name, "changed": changed})
    return meeting


def change_deadline(issue: MeetingIssue, raw: dict, *, expected_version: int | None = None) -> MeetingIssue:
    """A registered issue's deadline moved by the county, with the reason (audited, old and new): the overdue
    figure and warnings follow the new deadline."""
    check_version(issue, expected_version)
    if issue.state != "open":
        raise Conflict(_("只有办理中的交办问题可以调整时限"), detail={"current_state": issue.state})
    errors: dict = {}
    deadline = _date(raw, "deadline", errors, _("请填写新的办理时限（如 2026-12-31）"))
    reason = _text(raw, "reason", TEXT_LIMIT, errors, required=_("请填写调整时限的理由"))
    if deadline and deadline < issue.raised_on:
        add_error(errors, "deadline", _("办理时限不能早于办公会日期"))
    elif deadline and deadline == issue.deadline:
        add_error(errors, "deadline", _("新时限与原时限相同"))
    if errors:
        raise InvalidInput(errors)
    before = issue.deadline
    issue.deadline = deadline
    db.session.flush()
    county = db.session.get(Unit, issue.unit_id)
    refresh_overdue(county, calendar.today())
    if issue.body_unit_id is not None:  # the township's to-do carries the new deadline
        town = db.session.get(Unit, issue.body_unit_id)
        inbox.close("meeting_issues", issue.id, unit_id=town.id)
        inbox.post(town, f"meeting-issue:{issue.id}:deadline:{deadline.isoformat()}", kind=InboxKind.TASK,
                   object_type="meeting_issues", object_id=issue.id, roles=TOWN_ROLES, due_on=deadline,
                   title=_("巡察现场办公会交办问题时限调整：%(v)s 第%(n)s项，新时限 %(d)s", v=issue.meeting.village_name,
                           n=issue.seq, d=deadline.isoformat()))
    record("meeting_issue.deadline", unit_id=county.id, object_type="meeting_issues", object_id=issue.id,
           detail={"meeting": issue.meeting_id, "seq": issue.seq, "from": before.isoformat() if before else "",
                   "to": deadline.isoformat(), "reason": reason})
    return issue


# ---------------------------------------------------------------- issues


def log_issue(meeting: OnsiteMeeting, raw: dict) -> MeetingIssue:
    """One issue villagers raised: its category (the county's list), summary, the villager's wish to be named (the
    name sealed; required only when they agree), and either the answer given on the spot (当场答复) or the
    responsible body (a county department, or one of the county's townships) and the deadline."""
    county = db.session.get(Unit, meeting.unit_id)
    errors: dict = {}
    categories = {c.code: c for c in queries.categories_of(county)}
    code = str(raw.get("category") or "").strip()
    if code not in categories:
        add_error(errors, "category", _("请选择问题类别（%(names)s）", names="、".join(c.name for c in categories.values())))
    summary = _text(raw, "summary", TEXT_LIMIT, errors, required=_("请填写群众反映的问题"))
    named = raw.get("named") is True or str(raw.get("named") or "").strip().lower() in YES
    villager = _text(raw, "villager_name", PERSON_LIMIT, errors,
                     required=_("反映人愿意具名时，请填写其姓名") if named else None)
    outcome = str(raw.get("outcome") or "").strip()
    answer, body_kind, body_name, body_unit, deadline = None, None, None, None, None
    if outcome == "answered":
        answer = _text(raw, "answer", TEXT_LIMIT, errors, required=_("当场答复的，请填写答复内容"))
    elif outcome == "registered":
        answer = _text(raw, "answer", TEXT_LIMIT, errors) or None
        body_kind = str(raw.get("body_kind") or "").strip()
        if body_kind == "township":
            towns = {t.id: t for t in queries.townships_of(county)}
            town_id = (_ids(raw.get("body_unit_id")) or [None])[0]
            if town_id not in towns:
                add_error(errors, "body_unit_id", _("请选择本县（区）所辖的责任乡镇（街道）"))
            else:
                body_unit, body_name = town_id, towns[town_id].name
        elif body_kind == "department":
            body_name = _text(raw, "body_name", NAME_LIMIT, errors, required=_("请填写责任县直部门（如：县交通运输局）"))
        else:
            add_error(errors, "body_kind", _("请选择责任单位类型（县直部门或乡镇）"))
        deadline = _date(raw, "deadline", errors, _("请填写办理时限（如 2026-11-30）"))
        if deadline and deadline < meeting.held_on:
            add_error(errors, "deadline", _("办理时限不能早于办公会日期"))
    else:
        add_error(errors, "outcome", _("请选择处理方式：当场答复，或登记交办并明确时限"))
    if errors:
        raise InvalidInput(errors)
    category = categories[code]
    seq = (db.session.scalar(select(func.max(MeetingIssue.seq)).where(MeetingIssue.meeting_id == meeting.id)) or 0) + 1
    issue = MeetingIssue(unit_id=county.id, unit_path=county.path, meeting_id=meeting.id, tour_id=meeting.tour_id,
                         seq=seq, category_code=code, category_name=category.name, summary=summary, named=named,
                         outcome=outcome, answer=answer, body_kind=body_kind, body_name=body_name,
                         body_unit_id=body_unit, deadline=deadline,
                         state="answered" if outcome == "answered" else "open", raised_on=meeting.held_on,
                         created_by_id=context.current().account_id)
    issue.villager_name = villager  # sealed; shown only where the villager agreed to be named
    db.session.add(issue)
    db.session.flush()
    day = meeting.held_on
    _bump_dated(county, "meetings.issues", day)
    _bump_dated(county, f"meetings.issues.category.{code}", day)
    dictionaries.note_use(DEFAULT_CATEGORY_LABELS.name, code)  # an added default category in use: kept
    if outcome == "answered":
        _bump_dated(county, "meetings.issues.answered_on_site", day)
    else:
        tenancy_ops.bump_stat(county, "meetings.issues.open", 1)
        refresh_overdue(county, calendar.today())
    if body_unit is not None:
        _assign_to_township(issue, county, db.session.get(Unit, body_unit))
    record("meeting_issue.log", unit_id=county.id, object_type="meeting_issues", object_id=issue.id,
           detail={"meeting": meeting.id, "seq": seq, "category": category.name, "outcome": outcome,
                   "named": named, "body": body_name or "", "deadline": deadline.isoformat() if deadline else ""})
    return issue


def _assign_to_township(issue: MeetingIssue, county: Unit, town: Unit) -> None:
    """An issue registered with one of the county's townships: shared to it (its meeting readable, the issue's
    ``done`` step allowed) and put in its inbox."""
    db.session.flush()
    meeting_shared = db.session.scalar(select(Share.id).where(
        Share.unit_id == county.id, Share.object_type == "onsite_meetings", Share.object_id == issue.meeting_id,
        Share.grantee_unit_id == town.id, Share.purpose == SHARE_PURPOSE, Share.revoked_at.is_(None)).limit(1))
    if meeting_shared is None:
        tenancy_ops.grant_share("onsite_meetings", issue.meeting_id, county, purpose=SHARE_PURPOSE, grantee_unit=town,
                                reason=issue.meeting.village_name)
    tenancy_ops.grant_share("meeting_issues", issue.id, county, purpose=SHARE_PURPOSE, grantee_unit=town,
                            transitions=("done",), reason=issue.label)
    inbox.post(town, f"meeting-issue:{issue.id}:assigned", kind=InboxKind.TASK, object_type="meeting_issues",
               object_id=issue.id, roles=TOWN_ROLES, due_on=issue.deadline,
               title=_("巡察现场办公会交办问题：%(v)s 第%(n)s项，时限 %(d)s", v=issue.meeting.village_name, n=issue.seq,
                       d=issue.deadline.isoformat()))


def resolve_issue(issue: MeetingIssue, raw: dict, account, *, expected_version: int | None = None,
                  share: Share | None = None) -> MeetingIssue:
    """A registered issue done (办结): the note of what was done (files through the attachments). By the county, or
    by the township it is registered with through its share (``share``: the step is logged on the county's side);
    the county's record and figures are written as the county."""
    check_version(issue, expected_version)
    if issue.state != "open":
        raise Conflict(_("该问题已当场答复或已办结，不能再办结"), detail={"current_state": issue.state})
    errors: dict = {}
    evidence = _text(raw, "evidence", TEXT_LIMIT, errors, required=_("请填写办结情况（整改结果、答复群众情况等）"))
    done_on = _date(raw, "done_on", errors, _("请填写办结日期")) if raw.get("done_on") else calendar.today()
    if done_on and (done_on < issue.raised_on or done_on > calendar.today()):
        add_error(errors, "done_on", _("办结日期应在办公会之后、不晚于今天"))
    if errors:
        raise InvalidInput(errors)
    county = db.session.get(Unit, issue.unit_id)
    was_overdue = issue.overdue(calendar.today())
    with context.writing_as(county.id, county.path):
        issue.state, issue.done_on, issue.evidence, issue.done_by_id = "done", done_on, evidence, account.id
        db.session.flush()
        tenancy_ops.bump_stat(county, "meetings.issues.open", -1)
        _bump_dated(county, "meetings.issues.resolved", done_on)
        refresh_overdue(county, calendar.today())
        inbox.close("onsite_meetings", issue.meeting_id, unit_id=county.id, key_prefix=f"meeting-issue:{issue.id}:")
        record("meeting_issue.resolve", unit_id=county.id, object_type="meeting_issues", object_id=issue.id,
               detail={"meeting": issue.meeting_id, "seq": issue.seq, "done_on": done_on.isoformat(),
                       "late": was_overdue, "by_township": share is not None})
    if share is not None:
        tenancy_ops.record_share_access(share, action="done")
    if issue.body_unit_id is not None:
        inbox.close("meeting_issues", issue.id, unit_id=issue.body_unit_id)
    return issue


# ---------------------------------------------------------------- time-based figures, warnings, the recount


def _overdue_count(unit_id: int, today: date) -> int:
    return db.session.scalar(select(func.count(MeetingIssue.id)).where(
        MeetingIssue.unit_id == unit_id, MeetingIssue.state == "open", MeetingIssue.deadline < today)) or 0


def refresh_overdue(unit: Unit, today: date) -> None:
    """The county's ``meetings.issues.overdue``, recounted."""
    tenancy_ops.set_stat(unit, OVERDUE, _overdue_count(unit.id, today))


def scan(today: date) -> dict[str, int]:
    """Warn the tour team (its accounts; else the county's leaders and officers) of every registered issue past its
    deadline, once each; then the overdue figure of every county concerned."""
    posted = 0
    units: set[int] = set()
    for issue in db.session.scalars(select(MeetingIssue).where(MeetingIssue.state == "open",
                                                               MeetingIssue.deadline < today)):
        unit = db.session.get(Unit, issue.unit_id)
        units.add(unit.id)
        title = _("现场办公会问题逾期未办结：%(v)s 第%(n)s项（%(body)s，时限 %(d)s）", v=issue.meeting.village_name,
                  n=issue.seq, body=issue.body_name or "", d=issue.deadline.isoformat())
        targets = issue.meeting.tour.account_ids or [None]
        for account_id in targets:
            posted += inbox.post(unit, f"meeting-issue:{issue.id}:overdue:{account_id or 'team'}",
                                 kind=InboxKind.OVERDUE, object_type="onsite_meetings", object_id=issue.meeting_id,
                                 due_on=issue.deadline, account_id=account_id,
                                 roles=() if account_id else (Role.LEADER.value, Role.OFFICER.value), title=title)
        if issue.body_unit_id is not None:  # the township it is registered with, too
            posted += inbox.post(db.session.get(Unit, issue.body_unit_id), f"meeting-issue:{issue.id}:overdue:town",
                                 kind=InboxKind.OVERDUE, object_type="meeting_issues", object_id=issue.id,
                                 due_on=issue.deadline, roles=TOWN_ROLES, title=title)
    units |= set(db.session.scalars(select(UnitStat.unit_id).where(UnitStat.metric == OVERDUE, UnitStat.period == "",
                                                                   UnitStat.value != 0)))
    for unit_id in sorted(units):
        refresh_overdue(db.session.get(Unit, unit_id), today)
    return {"warned": posted, "units": len(units)}


def recount(unit: Unit, today: date) -> dict[tuple[str, str], int]:
    """The county's meeting figures counted from its records: what the stats rows must hold."""
    figures: Counter = Counter()
    for (held_on,) in db.session.execute(select(OnsiteMeeting.held_on).where(OnsiteMeeting.unit_id == unit.id)):
        figures[("meetings.held", "")] += 1
        figures[("meetings.held", held_on.isoformat())] += 1
    for code, outcome, state, raised_on, done_on in db.session.execute(select(
            MeetingIssue.category_code, MeetingIssue.outcome, MeetingIssue.state, MeetingIssue.raised_on,
            MeetingIssue.done_on).where(MeetingIssue.unit_id == unit.id)):
        day = raised_on.isoformat()
        for metric in ("meetings.issues", f"meetings.issues.category.{code}"):
            figures[(metric, "")] += 1
            figures[(metric, day)] += 1
        if outcome == "answered":
            figures[("meetings.issues.answered_on_site", "")] += 1
            figures[("meetings.issues.answered_on_site", day)] += 1
        if state == "open":
            figures[("meetings.issues.open", "")] += 1
        if state == "done":
            figures[("meetings.issues.resolved", "")] += 1
            figures[("meetings.issues.resolved", done_on.isoformat())] += 1
    figures[(OVERDUE, "")] += _overdue_count(unit.id, today)
    return with_coarser_keys(figures)
