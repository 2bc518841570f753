"""Reads of 联系指导 for the pages, the API and the writes, and the loaders of its records.

Everything here is the county's own (the auto-filter and RLS hold a request to it). On top of that, an office's page
and its meetings and visits are for the office's current members and the county's leader (``Action.GUIDANCE_ALL``):
another officer of the county gets 404, as a sibling county does. Of a township the office reads numbers only: its
headline figures (from reporting, through ``GUIDANCE_FIGURES``) and its ledgers' completeness (core.ledgers), never a
record's name or number.
"""
from __future__ import annotations

from datetime import date

from flask import g
from flask_login import current_user
from sqlalchemy import select

from core import calendar
from core.areas import Registry
from core.extensions import db
from core.guidance.models import (GuidanceAssignment, GuidanceMeeting, GuidanceOffice, GuidanceProblem, GuidanceVisit,
                                  OfficeMember)
from core.identity.models import Account
from core.ledgers import queries as ledger_queries
from core.supervision.models import SupervisionItem
from tenants.access import RECORD_READERS, Action, can, deny
from tenants.models import Membership, Unit, UnitLevel
from tenants.scoping import load_scoped

# The townships' headline figures come from reporting, which sits above every area and fills this at start-up
# (reporting/area.py): ``township_figures(county, township ids, period) -> {"period_label", "columns": [{key, label,
# unit}], "values": {township id: {key: int}}}``.
GUIDANCE_FIGURES = Registry("guidance figures")
STAFF_ROLES = tuple(r.value for r in RECORD_READERS)


# ---------------------------------------------------------------- the county's townships and staff


def townships_of(county: Unit) -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.parent_id == county.id, Unit.level == UnitLevel.TOWNSHIP,
                                                      Unit.archived_at.is_(None)).order_by(Unit.code, Unit.id)))


def staff_candidates(county: Unit) -> list[Account]:
    """The county's accounts that read records (an office's members are among them)."""
    return list(db.session.scalars(
        select(Account).join(Membership, Membership.account_id == Account.id)
        .where(Membership.unit_id == county.id, Membership.ended_at.is_(None), Membership.role.in_(STAFF_ROLES),
               Account.archived_at.is_(None)).distinct().order_by(Account.display_name, Account.id)))


def account_name(account: Account | None) -> str:
    return (account.display_name or account.username) if account is not None else "—"


# ---------------------------------------------------------------- offices, members, assignments


def offices_of(county: Unit) -> list[GuidanceOffice]:
    return list(db.session.scalars(select(GuidanceOffice).where(GuidanceOffice.unit_id == county.id,
                                                                GuidanceOffice.archived_at.is_(None))
                                   .order_by(GuidanceOffice.id)))


def _current_members_stmt(on: date):
    return select(OfficeMember).where(OfficeMember.joined_on <= on,
                                      (OfficeMember.left_on.is_(None)) | (OfficeMember.left_on > on))


def current_members(office: GuidanceOffice, on: date | None = None) -> list[OfficeMember]:
    on = on or calendar.today()
    return list(db.session.scalars(_current_members_stmt(on).where(OfficeMember.office_id == office.id)
                                   .order_by(OfficeMember.id)))


def member_history(office: GuidanceOffice) -> list[OfficeMember]:
    return list(db.session.scalars(select(OfficeMember).where(OfficeMember.office_id == office.id)
                                   .order_by(OfficeMember.joined_on, OfficeMember.id)))


def is_member(office: GuidanceOffice, account) -> bool:
    return any(m.account_id == account.id for m in current_members(office))


def offices_of_account(county: Unit, account) -> list[GuidanceOffice]:
    ids = set(db.session.scalars(_current_members_stmt(calendar.today()).with_only_columns(OfficeMember.office_id)
                                 .where(OfficeMember.unit_id == county.id, OfficeMember.account_id == account.id)))
    return [o for o in offices_of(county) if o.id in ids]


def visible_offices(county: Unit, account) -> list[GuidanceOffice]:
    """What the guidance page lists: the county's leader every office, anyone else the offices they belong to."""
    if can(account, Action.GUIDANCE_ALL, county, target=county):
        return offices_of(county)
    return offices_of_account(county, account)


def sees_office(office: GuidanceOffice, unit: Unit, account) -> bool:
    return can(account, Action.GUIDANCE_ALL, unit, target=unit) or is_member(office, account)


def current_assignments(county: Unit, office: GuidanceOffice | None = None) -> list[GuidanceAssignment]:
    stmt = select(GuidanceAssignment).where(GuidanceAssignment.unit_id == county.id,
                                            GuidanceAssignment.ends_on.is_(None))
    if office is not None:
        stmt = stmt.where(GuidanceAssignment.office_id == office.id)
    return list(db.session.scalars(stmt.order_by(GuidanceAssignment.township_id)))


def current_townships(office: GuidanceOffice) -> list[Unit]:
    units = [a.township for a in current_assignments(db.session.get(Unit, office.unit_id), office)]
    return sorted(units, key=lambda u: (u.code, u.id))


def assignment_history(county: Unit, office: GuidanceOffice | None = None) -> list[GuidanceAssignment]:
    stmt = select(GuidanceAssignment).where(GuidanceAssignment.unit_id == county.id)
    if office is not None:
        stmt = stmt.where(GuidanceAssignment.office_id == office.id)
    return list(db.session.scalars(stmt.order_by(GuidanceAssignment.starts_on.desc(), GuidanceAssignment.id.desc())))


def guiding_office(township: Unit, on: date | None = None) -> GuidanceOffice | None:
    """The office guiding the township on a day (the county's records: read at the county)."""
    on = on or calendar.today()
    assignment = db.session.scalar(select(GuidanceAssignment).where(
        GuidanceAssignment.township_id == township.id, GuidanceAssignment.starts_on <= on,
        (GuidanceAssignment.ends_on.is_(None)) | (GuidanceAssignment.ends_on >= on))
        .order_by(GuidanceAssignment.id.desc()).limit(1))
    return assignment.office if assignment is not None else None


# ---------------------------------------------------------------- the townships' numbers


def township_figures(county: Unit, townships: list[Unit], period: str | None = None) -> dict:
    """The townships' headline figures (numbers only, from reporting); empty without reporting installed."""
    hook = GUIDANCE_FIGURES.get("township_figures")
    if hook is None or not townships:
        return {"columns": [], "values": {}, "period_label": ""}
    return hook(county, [t.id for t in townships], period)


def ledger_completeness(townships: list[Unit], today: date | None = None) -> dict[int, dict]:
    """Per township, how many of its standard ledgers (18项台账) are current, stale or missing (core.ledgers)."""
    if not townships:
        return {}
    return ledger_queries.completeness_by_unit(townships, today or calendar.today())


# ---------------------------------------------------------------- meetings and visits


def meetings_of(offices: list[GuidanceOffice], township_id: int | None = None) -> list[GuidanceMeeting]:
    ids = [o.id for o in offices]
    if not ids:
        return []
    rows = db.session.scalars(select(GuidanceMeeting).where(GuidanceMeeting.office_id.in_(ids))
                              .order_by(GuidanceMeeting.held_on.desc(), GuidanceMeeting.id.desc()))
    return [m for m in rows if township_id is None or any(t.get("id") == township_id for t in m.townships)]


def visits_of(offices: list[GuidanceOffice], township_id: int | None = None) -> list[GuidanceVisit]:
    ids = [o.id for o in offices]
    if not ids:
        return []
    stmt = select(GuidanceVisit).where(GuidanceVisit.office_id.in_(ids))
    if township_id is not None:
        stmt = stmt.where(GuidanceVisit.township_id == township_id)
    return list(db.session.scalars(stmt.order_by(GuidanceVisit.visited_on.desc(), GuidanceVisit.id.desc())))


def items_by_id(ids) -> dict[int, SupervisionItem]:
    """The rectification orders the county issued from visits (the county's own items), by id."""
    ids = list({i for i in ids if i})
    return {i.id: i for i in db.session.scalars(select(SupervisionItem).where(SupervisionItem.id.in_(ids)))} \
        if ids else {}


def open_problems(visit: GuidanceVisit) -> list[GuidanceProblem]:
    return [p for p in visit.problems if p.item_id is None]


# ---------------------------------------------------------------- loaders (404 outside scope)


def load_office(office_id, action: Action = Action.GUIDANCE_READ) -> GuidanceOffice:
    """The county's office for its members and the county's leader (``action`` there); else 404. Managing an office
    (``Action.GUIDANCE_MANAGE``) needs no membership."""
    office = load_scoped(GuidanceOffice, office_id, unit=g.unit, account=current_user, action=action, own=True)
    if office.archived_at is not None:
        deny(action, unit=g.unit, object_type="guidance_offices", object_id=office.id)
    if action != Action.GUIDANCE_MANAGE and not sees_office(office, g.unit, current_user):
        deny(action, unit=g.unit, object_type="guidance_offices", object_id=office.id)
    if action == Action.GUIDANCE_LOG and not is_member(office, current_user):
        deny(action, unit=g.unit, object_type="guidance_offices", object_id=office.id)
    return office


def load_meeting(meeting_id, action: Action = Action.GUIDANCE_READ) -> GuidanceMeeting:
    meeting = load_scoped(GuidanceMeeting, meeting_id, unit=g.unit, account=current_user, action=action, own=True)
    load_office(meeting.office_id, action)
    return meeting


def load_visit(visit_id, action: Action = Action.GUIDANCE_READ) -> GuidanceVisit:
    visit = load_scoped(GuidanceVisit, visit_id, unit=g.unit, account=current_user, action=action, own=True)
    if action == Action.GUIDANCE_RAISE:  # the county's leader: every office's visits
        return visit
    load_office(visit.office_id, action)
    return visit
