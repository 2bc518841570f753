"""Reads of on-site meetings (现场办公会) for the pages, the API and the ledgers: the loaders (the county's own
records only: 404 for a sibling county, its townships and the units above), the county's categories, staff and its
townships' villages (names and codes only), and the ledger of meeting issues (never an anonymous villager's name)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from core import calendar, context, dictionaries
from core.extensions import db
from core.identity.models import Account
from core.meetings.models import InspectionTour, MeetingCategory, MeetingIssue, OnsiteMeeting
from core.meetings.workflow import DEFAULT_CATEGORY_LABELS, ISSUE_STATES
from core.villages.models import Village
from tenants.access import Action, deny
from tenants.models import Membership, Role, Unit, UnitLevel
from tenants.queries import active_shares
from tenants.scoping import load_scoped

TEAM_ROLES = (Role.LEADER.value, Role.OFFICER.value)


# ---------------------------------------------------------------- loaders (404 outside scope)


def load_tour(tour_id, action: Action, unit: Unit, account) -> InspectionTour:
    return load_scoped(InspectionTour, tour_id, unit=unit, account=account, action=action, own=True)


def load_meeting(meeting_id, action: Action, unit: Unit, account) -> OnsiteMeeting:
    return load_scoped(OnsiteMeeting, meeting_id, unit=unit, account=account, action=action, own=True)


def load_issue(issue_id, action: Action, unit: Unit, account, meeting: OnsiteMeeting | None = None) -> MeetingIssue:
    issue = load_scoped(MeetingIssue, issue_id, unit=unit, account=account, action=action, own=True)
    if meeting is not None and issue.meeting_id != meeting.id:
        deny(action, unit=unit, object_type="meeting_issues", object_id=issue_id)
    return issue


def load_issue_for(issue_id, action: Action, unit: Unit, account):
    """An issue as the acting unit reaches it: the county's own (``action``), or one registered with the acting
    township and shared to it (``Action.MEETINGS_ASSIGNED``); with the share it comes through (None at the county)."""
    if unit.level != UnitLevel.TOWNSHIP:
        return load_issue(issue_id, action, unit, account), None
    issue = load_scoped(MeetingIssue, issue_id, unit=unit, account=account, action=Action.MEETINGS_ASSIGNED)
    share = next((s for s in active_shares("meeting_issues", issue.id)
                  if s.purpose == "meeting_issue" and s.grantee_unit_id == unit.id), None)
    if share is None or issue.body_unit_id != unit.id:
        deny(action, unit=unit, object_type="meeting_issues", object_id=issue_id)
    return issue, share


def assigned_issues(town: Unit) -> list[MeetingIssue]:
    """The issues registered with the township (shared to it), open ones first, by deadline."""
    return list(db.session.scalars(select(MeetingIssue).where(MeetingIssue.body_unit_id == town.id)
                                   .order_by(MeetingIssue.state != "open", MeetingIssue.deadline, MeetingIssue.id)))


# ---------------------------------------------------------------- the county's lists


def categories_of(county: Unit, *, archived: bool = False) -> list[MeetingCategory]:
    """The county's categories in their order (the defaults until it writes its own list)."""
    rows = list(db.session.scalars(select(MeetingCategory).where(MeetingCategory.unit_id == county.id)
                                   .order_by(MeetingCategory.position, MeetingCategory.id)))
    if not rows:
        return [MeetingCategory(code=entry.code, name=entry.label_zh, position=i, archived=False)
                for i, entry in enumerate(dictionaries.entries(DEFAULT_CATEGORY_LABELS.name))]
    return [c for c in rows if archived or not c.archived]


def team_candidates(county: Unit) -> list[Account]:
    """The county's leaders and officers (the accounts a tour's team may name)."""
    return list(db.session.scalars(
        select(Account).join(Membership, Membership.account_id == Account.id)
        .where(Membership.unit_id == county.id, Membership.ended_at.is_(None), Membership.role.in_(TEAM_ROLES),
               Account.archived_at.is_(None)).distinct().order_by(Account.display_name, Account.id)))


def townships_of(county: Unit) -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.parent_id == county.id, Unit.level == UnitLevel.TOWNSHIP)
                                   .order_by(Unit.code)))


def township_villages(county: Unit) -> list[dict]:
    """The villages of the county's townships as a tour names them: id, name, code and township, nothing else (read
    across the townships' boundary: the county reads no village record itself)."""
    towns = {t.id: t for t in townships_of(county)}
    if not towns:
        return []
    with context.acting(context.maintenance_context(account_id=context.current().account_id), db.session):
        rows = db.session.execute(select(Village.id, Village.name, Village.code, Village.unit_id).where(
            Village.unit_id.in_(list(towns)), Village.archived_at.is_(None)).order_by(Village.code)).all()
    return [{"id": r.id, "name": r.name, "code": r.code, "township_id": r.unit_id,
             "township": towns[r.unit_id].name} for r in rows]


def tours_of(county: Unit) -> list[InspectionTour]:
    return list(db.session.scalars(select(InspectionTour).where(InspectionTour.unit_id == county.id)
                                   .order_by(InspectionTour.starts_on.desc(), InspectionTour.id.desc())))


def meetings_query(county: Unit, tour_id: int | None = None):
    stmt = select(OnsiteMeeting).where(OnsiteMeeting.unit_id == county.id)
    if tour_id:
        stmt = stmt.where(OnsiteMeeting.tour_id == tour_id)
    return stmt.order_by(OnsiteMeeting.held_on.desc(), OnsiteMeeting.id.desc())


def issues_of(meeting: OnsiteMeeting) -> list[MeetingIssue]:
    return list(db.session.scalars(select(MeetingIssue).where(MeetingIssue.meeting_id == meeting.id)
                                   .order_by(MeetingIssue.seq)))


def tour_summary(tour: InspectionTour, today: date | None = None) -> dict:
    """Counts of the tour's issues: total, answered on site, done, open, overdue."""
    today = today or calendar.today()
    counts = {"meetings": len(tour.meetings), "issues": 0, "answered": 0, "done": 0, "open": 0, "overdue": 0}
    for state, deadline in db.session.execute(select(MeetingIssue.state, MeetingIssue.deadline)
                                              .where(MeetingIssue.tour_id == tour.id)):
        counts["issues"] += 1
        counts[state] += 1
        if state == "open" and deadline is not None and deadline < today:
            counts["overdue"] += 1
    return counts


# ---------------------------------------------------------------- ledger (the export registry's shape)


def issues_header() -> list[str]:
    return [_("巡察"), _("村（社区）"), _("乡镇（街道）"), _("办公会日期"), _("序号"), _("问题类别"), _("问题摘要"), _("反映人"),
            _("处理方式"), _("答复内容"), _("责任单位"), _("办理时限"), _("状态"), _("是否逾期"), _("办结日期"), _("办结情况")]


def issues_statement(unit: Unit, filters: dict, today: date | None = None):
    """The county's meeting issues: ``state`` (answered/open/done), ``overdue``, ``tour_id``, ``category``."""
    today = today or calendar.today()
    stmt = (select(MeetingIssue).join(OnsiteMeeting, OnsiteMeeting.id == MeetingIssue.meeting_id)
            .where(MeetingIssue.unit_id == unit.id))
    if (filters.get("state") or "") in ISSUE_STATES:
        stmt = stmt.where(MeetingIssue.state == filters["state"])
    if filters.get("overdue") in ("1", "true", "on", True):
        stmt = stmt.where(MeetingIssue.state == "open", MeetingIssue.deadline < today)
    if str(filters.get("tour_id") or "").isdigit():
        stmt = stmt.where(MeetingIssue.tour_id == int(filters["tour_id"]))
    if filters.get("category"):
        stmt = stmt.where(MeetingIssue.category_code == str(filters["category"])[:32])
    return stmt.order_by(OnsiteMeeting.held_on, OnsiteMeeting.id, MeetingIssue.seq)


def issues_rows(unit: Unit, filters: dict, today: date | None = None) -> Iterator[list]:
    """现场办公会问题台账: never the name of a villager who asked not to be named (nor any villager's name at all:
    a ledger leaves the platform)."""
    today = today or calendar.today()
    for issue in db.session.scalars(issues_statement(unit, filters, today)):
        m = issue.meeting
        yield [m.tour.name, m.village_name, m.township_name, m.held_on.isoformat(), issue.seq, issue.category_name,
               issue.summary, _("具名") if issue.named else _("不愿具名"), issue.outcome_label, issue.answer or "",
               issue.body_name or "", issue.deadline.isoformat() if issue.deadline else "", issue.state_label,
               _("是") if issue.overdue(today) else "", issue.done_on.isoformat() if issue.done_on else "",
               issue.evidence or ""]


# ---------------------------------------------------------------- the county's issues by township (numbers only)


def issues_by_township(county: Unit, since: date, until: date, today: date | None = None) -> dict[str, dict]:
    """The county's meetings and issues counted as its figures count them (meetings held, issues raised, answered on
    site and resolved within ``since``..``until``; open and overdue now), grouped two ways: ``by_meeting`` by the
    township of the meeting's village (meetings, issues, answered, open, overdue, resolved) and ``by_body`` by the
    township an issue was registered with, ``None`` for a county department (registered, open, overdue, resolved).
    Read as the county (its own records), so its ancestors' dashboards get the same numbers and nothing more."""
    today = today or calendar.today()
    by_meeting: dict[int, Counter] = {}
    by_body: dict[int | None, Counter] = {}
    with context.acting(replace(context.current(), unit_id=county.id, unit_path=county.path), db.session):
        for town_id, held_on in db.session.execute(select(OnsiteMeeting.township_id, OnsiteMeeting.held_on)
                                                   .where(OnsiteMeeting.unit_id == county.id)):
            if since <= held_on <= until:
                by_meeting.setdefault(town_id, Counter())["meetings"] += 1
        rows = db.session.execute(
            select(OnsiteMeeting.township_id, MeetingIssue.outcome, MeetingIssue.state, MeetingIssue.body_kind,
                   MeetingIssue.body_unit_id, MeetingIssue.raised_on, MeetingIssue.done_on, MeetingIssue.deadline)
            .join(OnsiteMeeting, OnsiteMeeting.id == MeetingIssue.meeting_id).where(MeetingIssue.unit_id == county.id))
        for town_id, outcome, state, body_kind, body_unit_id, raised_on, done_on, deadline in rows:
            counts = by_meeting.setdefault(town_id, Counter())
            body = by_body.setdefault(body_unit_id if body_kind == "township" else None, Counter()) \
                if outcome == "registered" else Counter()
            if since <= raised_on <= until:
                counts["issues"] += 1
                counts["answered" if outcome == "answered" else "registered"] += 1
                body["registered"] += 1
            if state == "open":
                counts["open"] += 1
                body["open"] += 1
                if deadline is not None and deadline < today:
                    counts["overdue"] += 1
                    body["overdue"] += 1
            elif state == "done" and done_on is not None and since <= done_on <= until:
                counts["resolved"] += 1
                body["resolved"] += 1
    return {"by_meeting": by_meeting, "by_body": by_body}
