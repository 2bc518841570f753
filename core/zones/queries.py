"""Reads of collaboration zones for the pages and the API (writes are in operations.py).

Every query runs in the request's acting context, so the auto-filter (and RLS on PostgreSQL) holds it
to what the acting unit may see; the explicit conditions below say what each page shows on top of that.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from core import calendar
from core.areas import Registry
from core.extensions import db
from core.identity.models import Account
from core.supervision.models import SupervisionItem
from core.zones import operations as ops
from core.zones.models import (ConvenerTerm, CrossGrant, InspectionPair, InspectionRound, JointMeeting,
                               MeetingDecision, Zone, ZoneKind, ZoneMember)
from tenants.models import Unit, UnitLevel

# The zones' figures come from reporting, which sits above every area and fills this at start-up
# (reporting/area.py): function(county, {zone id: member unit ids}, period) -> figures.
ZONE_FIGURES = Registry("zone figures")


def zones_of_county(county: Unit, *, archived: bool = False) -> list[Zone]:
    stmt = select(Zone).where(Zone.unit_id == county.id)
    stmt = stmt.where(Zone.archived_at.is_not(None) if archived else Zone.archived_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Zone.kind.desc(), Zone.name, Zone.id)))


def zones_of_member(unit: Unit, on: date | None = None) -> list[Zone]:
    """The zones (one per kind at most) the unit is a member of today."""
    return [z for z in (ops.zone_of(unit, kind, on) for kind in ZoneKind) if z is not None]


def visible_zones(unit: Unit) -> list[Zone]:
    """What the zones page lists at a unit: a county its zones, a member its own zone(s)."""
    if unit.level == UnitLevel.COUNTY:
        return zones_of_county(unit)
    return zones_of_member(unit)


def is_current_member(zone: Zone, unit: Unit) -> bool:
    return zone.archived_at is None and unit.id in {m.unit_id for m in ops.current_members(zone)}


def member_candidates(county: Unit) -> dict[str, list[Unit]]:
    """The county's townships and stationed groups, the units its zones may take."""
    units = db.session.scalars(select(Unit).where(Unit.parent_id == county.id, Unit.archived_at.is_(None),
                                                  Unit.level.in_([UnitLevel.TOWNSHIP, UnitLevel.STATIONED]))
                               .order_by(Unit.code, Unit.id)).all()
    return {kind.value: [u for u in units if u.level == ops.KIND_MEMBER_LEVEL[kind]] for kind in ZoneKind}


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
        members = ops.current_members(zone)
        term = ops.current_term(zone)
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
