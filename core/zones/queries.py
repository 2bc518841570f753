"""Reads of collaboration zones for the pages, the API and the writes (writes are in operations/), and the
loaders of their objects.

Every query runs in the request's acting context, so the auto-filter (and RLS on PostgreSQL) holds it
to what the acting unit may see; the explicit conditions below say what each page shows on top of that.
A few reads look across the unit boundary on purpose (a member unit's staff, its open clearing cases): they
say so and read under the maintenance context, names and ids only.

Who sees a zone: its county (ZONES_READ there) and its current members (ZONES_READ at the member);
anyone else gets 404 from the loaders below, as for every object reached through it (meetings, terms,
grants, rounds, pairs).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import g
from flask_login import current_user
from sqlalchemy import select

from core import calendar, context
from core.areas import Registry
from core.clearing.models import ClearingCase
from core.clearing.workflow import OPEN as CLEARING_OPEN
from core.extensions import db
from core.identity.models import Account
from core.schemas import bounded_int
from core.supervision.models import SupervisionItem
from core.zones.models import (KIND_MEMBER_LEVEL, ConvenerTerm, CrossGrant, InspectionPair, InspectionRound,
                               JointMeeting, MeetingDecision, Zone, ZoneKind, ZoneMember)
from tenants.access import Action, deny
from tenants.models import Membership, Role, Unit, UnitLevel
from tenants.scoping import load_scoped

# The zones' figures come from reporting, which sits above every area and fills this at start-up
# (reporting/area.py): function(county, {zone id: member unit ids}, period) -> figures.
ZONE_FIGURES = Registry("zone figures")
# The accounts of a member that may be named as grantees or inspectors.
GRANTEE_ROLES = (Role.LEADER, Role.OFFICER)


# ---------------------------------------------------------------- zones, members and the rota


def current_members(zone: Zone, on: date | None = None) -> list[ZoneMember]:
    """The zone's members on a day (today by default), in rota order."""
    on = on or calendar.today()
    return list(db.session.scalars(
        select(ZoneMember).where(ZoneMember.zone_id == zone.id, ZoneMember.joined_on <= on,
                                 (ZoneMember.left_on.is_(None)) | (ZoneMember.left_on > on))
        .order_by(ZoneMember.position, ZoneMember.id)))


def zone_of(unit: Unit, kind: str = ZoneKind.TOWNSHIP, on: date | None = None) -> Zone | None:
    """The zone of that kind the unit belongs to on a day."""
    on = on or calendar.today()
    return db.session.scalar(
        select(Zone).join(ZoneMember, ZoneMember.zone_id == Zone.id)
        .where(ZoneMember.unit_id == unit.id, ZoneMember.kind == kind, ZoneMember.joined_on <= on,
               (ZoneMember.left_on.is_(None)) | (ZoneMember.left_on > on), Zone.archived_at.is_(None)))


def member_position(zone: Zone, unit_id: int) -> int:
    """The unit's place in the zone's rota (its latest stay), or -1."""
    member = db.session.scalar(select(ZoneMember).where(ZoneMember.zone_id == zone.id, ZoneMember.unit_id == unit_id)
                               .order_by(ZoneMember.id.desc()).limit(1))
    return member.position if member else -1


def current_term(zone: Zone) -> ConvenerTerm | None:
    return db.session.scalar(select(ConvenerTerm).where(ConvenerTerm.zone_id == zone.id,
                                                        ConvenerTerm.closed_on.is_(None))
                             .order_by(ConvenerTerm.id.desc()).limit(1))


def is_convener(zone: Zone, unit: Unit) -> bool:
    """Whether the unit convenes the zone now (the current term is its)."""
    term = current_term(zone)
    return term is not None and term.unit_id == unit.id


def leaders_of(unit: Unit) -> list[Account]:
    return accounts_of(unit, (Role.LEADER,))


def accounts_of(unit: Unit, roles=GRANTEE_ROLES) -> list[Account]:
    """The unit's current members in those roles (read across the unit boundary, names only)."""
    with context.acting(context.maintenance_context(account_id=context.current().account_id), db.session):
        rows = db.session.scalars(
            select(Account).join(Membership, Membership.account_id == Account.id)
            .where(Membership.unit_id == unit.id, Membership.ended_at.is_(None),
                   Membership.role.in_([str(r) for r in roles]), Account.archived_at.is_(None))
            .order_by(Account.id)).unique().all()
    return list(rows)


def default_attendees(zone: Zone) -> list[dict]:
    """Each member's secretary (a stationed group's head), and the zone's lead from the county."""
    people = []
    head_role = "stationed_head" if zone.kind == ZoneKind.STATIONED else "secretary"
    for member in current_members(zone):
        unit = db.session.get(Unit, member.unit_id)
        for account in leaders_of(unit)[:1]:
            people.append({"unit_id": unit.id, "unit": unit.name, "account_id": account.id,
                           "name": account.display_name or account.username, "role": head_role})
    if zone.lead is not None:
        people.append({"unit_id": zone.unit_id, "unit": db.session.get(Unit, zone.unit_id).name,
                       "account_id": zone.lead.id, "name": zone.lead.display_name or zone.lead.username,
                       "role": "lead"})
    return people


def open_clearing_cases(unit: Unit) -> list[ClearingCase]:
    """The unit's clearing cases still open (read across the unit boundary: what a round's inspector gets)."""
    with context.acting(context.maintenance_context(account_id=context.current().account_id), db.session):
        return list(db.session.scalars(select(ClearingCase).where(ClearingCase.unit_id == unit.id,
                                                                  ClearingCase.state.in_(CLEARING_OPEN))
                                       .order_by(ClearingCase.id)))


def unit_named(value) -> Unit | None:
    """The unit an input names by its id; None for a word, a number beyond any id, or no such unit."""
    try:
        return db.session.get(Unit, bounded_int(value))
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- what the pages list


def zones_of_county(county: Unit, *, archived: bool = False) -> list[Zone]:
    stmt = select(Zone).where(Zone.unit_id == county.id)
    stmt = stmt.where(Zone.archived_at.is_not(None) if archived else Zone.archived_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Zone.kind.desc(), Zone.name, Zone.id)))


def zones_of_member(unit: Unit, on: date | None = None) -> list[Zone]:
    """The zones (one per kind at most) the unit is a member of today."""
    return [z for z in (zone_of(unit, kind, on) for kind in ZoneKind) if z is not None]


def visible_zones(unit: Unit) -> list[Zone]:
    """What the zones page lists at a unit: a county its zones, a member its own zone(s)."""
    if unit.level == UnitLevel.COUNTY:
        return zones_of_county(unit)
    return zones_of_member(unit)


def is_current_member(zone: Zone, unit: Unit) -> bool:
    return zone.archived_at is None and unit.id in {m.unit_id for m in current_members(zone)}


def sees_zone(zone: Zone, unit: Unit) -> bool:
    """The zone's audience: its county, and its current members."""
    return zone.unit_id == unit.id or is_current_member(zone, unit)


def member_candidates(county: Unit) -> dict[str, list[Unit]]:
    """The county's townships and stationed groups, the units its zones may take."""
    units = db.session.scalars(select(Unit).where(Unit.parent_id == county.id, Unit.archived_at.is_(None),
                                                  Unit.level.in_([UnitLevel.TOWNSHIP, UnitLevel.STATIONED]))
                               .order_by(Unit.code, Unit.id)).all()
    return {kind.value: [u for u in units if u.level == KIND_MEMBER_LEVEL[kind]] for kind in ZoneKind}


def units_by_id(ids) -> dict[int, Unit]:
    ids = list({i for i in ids if i})
    return {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))} if ids else {}


def accounts_by_id(ids) -> dict[int, Account]:
    ids = list({i for i in ids if i})
    return {a.id: a for a in db.session.scalars(select(Account).where(Account.id.in_(ids)))} if ids else {}


def items_by_id(ids) -> dict[int, SupervisionItem]:
    """Supervision items (tasks, rectification orders) the acting unit may see, by id."""
    ids = list({i for i in ids if i})
    return {i.id: i for i in db.session.scalars(select(SupervisionItem).where(SupervisionItem.id.in_(ids)))} \
        if ids else {}


def record(model, record_id: int):
    """A granted record as the acting unit sees it (through its share), or None."""
    return db.session.scalar(select(model).where(model.id == record_id))


def account_name(account: Account | None) -> str:
    return (account.display_name or account.username) if account is not None else "—"


@dataclass
class ZoneCard:
    """One zone as the zones page shows it."""

    zone: Zone
    members: list[ZoneMember]
    units: dict[int, Unit]
    term: ConvenerTerm | None
    open_grants: int
    figures: dict = field(default_factory=dict)

    @property
    def member_ids(self) -> list[int]:
        return [m.unit_id for m in self.members]


def open_grants_count(zone: Zone, unit: Unit, today: date | None = None) -> int:
    """Grants of the zone not revoked and not past their end (pending ones included) that the unit sees:
    the county all of them, a member those naming it."""
    today = today or calendar.today()
    stmt = select(CrossGrant.id).where(CrossGrant.zone_id == zone.id, CrossGrant.revoked_at.is_(None),
                                       CrossGrant.ends_on >= today)
    if unit.id != zone.unit_id:
        stmt = stmt.where(CrossGrant.grantee_unit_id == unit.id)
    return len(db.session.scalars(stmt).all())


def zone_cards(zones: list[Zone], unit: Unit) -> list[ZoneCard]:
    cards = []
    for zone in zones:
        members = current_members(zone)
        term = current_term(zone)
        units = units_by_id([m.unit_id for m in members] + ([term.unit_id] if term else []))
        cards.append(ZoneCard(zone, members, units, term, open_grants_count(zone, unit)))
    return cards


def member_history(zone: Zone) -> list[ZoneMember]:
    return list(db.session.scalars(select(ZoneMember).where(ZoneMember.zone_id == zone.id)
                                   .order_by(ZoneMember.joined_on, ZoneMember.position, ZoneMember.id)))


def terms(zone: Zone) -> list[ConvenerTerm]:
    return list(db.session.scalars(select(ConvenerTerm).where(ConvenerTerm.zone_id == zone.id)
                                   .order_by(ConvenerTerm.starts_on.desc(), ConvenerTerm.id.desc())))


def meetings(zone: Zone) -> list[JointMeeting]:
    return list(db.session.scalars(select(JointMeeting).where(JointMeeting.zone_id == zone.id)
                                   .order_by(JointMeeting.held_on.desc(), JointMeeting.id.desc())))


def grants_of_zone(zone: Zone, unit: Unit) -> list[CrossGrant]:
    stmt = select(CrossGrant).where(CrossGrant.zone_id == zone.id)
    if unit.id != zone.unit_id:
        stmt = stmt.where(CrossGrant.grantee_unit_id == unit.id)
    return list(db.session.scalars(stmt.order_by(CrossGrant.id.desc())))


def grants_for(unit: Unit, account_id: int, *, all_of_unit: bool) -> list[CrossGrant]:
    """The county's grants (at a county), or at a grantee township those naming the account (a leader: all
    of the township's)."""
    stmt = select(CrossGrant)
    if unit.level == UnitLevel.COUNTY:
        stmt = stmt.where(CrossGrant.unit_id == unit.id)
    else:
        stmt = stmt.where(CrossGrant.grantee_unit_id == unit.id)
    grants = list(db.session.scalars(stmt.order_by(CrossGrant.id.desc())))
    if unit.level != UnitLevel.COUNTY and not all_of_unit:
        grants = [g for g in grants if account_id in (g.grantee_account_ids or [])]
    return grants


def rounds(zone: Zone) -> list[InspectionRound]:
    return list(db.session.scalars(select(InspectionRound).where(InspectionRound.zone_id == zone.id)
                                   .order_by(InspectionRound.id.desc())))


def pairs_of(round_: InspectionRound, unit: Unit) -> list[InspectionPair]:
    """The county sees every pairing; a member its own (as inspector)."""
    stmt = select(InspectionPair).where(InspectionPair.round_id == round_.id)
    if unit.id != round_.unit_id:
        stmt = stmt.where(InspectionPair.unit_id == unit.id)
    return list(db.session.scalars(stmt.order_by(InspectionPair.id)))


def round_grants(round_: InspectionRound, inspector_id: int) -> list[CrossGrant]:
    return list(db.session.scalars(select(CrossGrant).where(CrossGrant.round_id == round_.id,
                                                            CrossGrant.grantee_unit_id == inspector_id)
                                   .order_by(CrossGrant.object_id)))


@dataclass
class TaskLine:
    meeting: JointMeeting
    decision: MeetingDecision
    unit: Unit
    item: SupervisionItem | None


def decision_tasks(zone: Zone, unit: Unit) -> list[TaskLine]:
    """The decisions' tasks of the zone's meetings with their supervision items: the county sees every one,
    a member only those given to it."""
    decisions = db.session.scalars(select(MeetingDecision).where(MeetingDecision.zone_id == zone.id)
                                   .order_by(MeetingDecision.meeting_id.desc(), MeetingDecision.seq)).all()
    entries = [(d, e) for d in decisions for e in d.task_units
               if unit.id == zone.unit_id or e.get("unit_id") == unit.id]
    item_ids = [e["item_id"] for _d, e in entries if e.get("item_id")]
    items = {i.id: i for i in db.session.scalars(select(SupervisionItem).where(SupervisionItem.id.in_(item_ids)))} \
        if item_ids else {}
    units = units_by_id(e["unit_id"] for _d, e in entries)
    return [TaskLine(d.meeting, d, units[e["unit_id"]], items.get(e.get("item_id")))
            for d, e in entries if e["unit_id"] in units]


# ---------------------------------------------------------------- loaders of the pages and the API


def load_zone(zone_id) -> Zone:
    """The zone, for its county or a current member of it acting here (ZONES_READ); else 404."""
    zone = load_scoped(Zone, zone_id, unit=g.unit, account=current_user, action=Action.ZONES_READ)
    if not sees_zone(zone, g.unit):
        deny(Action.ZONES_READ, unit=g.unit, object_type="zones", object_id=zone.id)
    return zone


def own(obj, action: Action):
    """``obj``, which its loader opened here, once more as the acting unit's own for ``action`` (what only its
    owner does: change, revoke, record, file); else 404, audited as that action. Whoever may not see it at all
    was refused by the loader first, as for reading it."""
    return load_scoped(type(obj), obj.id, unit=g.unit, account=current_user, action=action, own=True)


def county_zone(zone_id, action: Action) -> Zone:
    """The zone, only for its own county and an account that may ``action`` there; else 404."""
    return own(load_zone(zone_id), action)


def _child(model, object_id, belongs):
    """An object reached through its parent (a zone, a meeting, a round): 404 unless it belongs to it."""
    obj = load_scoped(model, object_id, unit=g.unit, account=current_user, action=Action.ZONES_READ)
    if not belongs(obj):
        deny(Action.ZONES_READ, unit=g.unit, object_type=model.__tablename__, object_id=obj.id)
    return obj


def load_meeting(zone: Zone, meeting_id) -> JointMeeting:
    return _child(JointMeeting, meeting_id, lambda m: m.zone_id == zone.id)


def load_decision(meeting: JointMeeting, decision_id) -> MeetingDecision:
    return _child(MeetingDecision, decision_id, lambda d: d.meeting_id == meeting.id)


def load_round(round_id) -> tuple[InspectionRound, Zone]:
    """A round through its zone (the zone's rules apply)."""
    round_ = load_scoped(InspectionRound, round_id, unit=g.unit, account=current_user, action=Action.ZONES_READ)
    return round_, load_zone(round_.zone_id)


def load_pair(round_: InspectionRound, pair_id) -> InspectionPair:
    return _child(InspectionPair, pair_id, lambda p: p.round_id == round_.id)


def load_grant(grant_id) -> CrossGrant:
    """A grant, for its county or its grantee township; else 404."""
    return load_scoped(CrossGrant, grant_id, unit=g.unit, account=current_user, action=Action.ZONES_READ)


def load_term(zone_id, term_id) -> tuple[ConvenerTerm, Zone]:
    """A convener's term: for its county and the zone's current members, and for the convening unit itself
    even after it left the zone (its report is still asked of it); else 404."""
    term = _child(ConvenerTerm, term_id, lambda t: t.zone_id == zone_id)
    if term.unit_id == g.unit.id:
        return term, load_scoped(Zone, zone_id, unit=g.unit, account=current_user, action=Action.ZONES_READ)
    return term, load_zone(zone_id)
