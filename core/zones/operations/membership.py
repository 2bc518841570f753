"""Zones and their dated membership, and the convener rota with its term reports: a county defines a zone of
its townships (or stationed groups), moves members between its zones, archives a zone; the convener's term
passes along the members in turn, or as the county names, and each term ends with a written report."""
from __future__ import annotations

import calendar as month_calendar
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select

from core import calendar, context
from core.audit.operations import record as audit
from core.clock import utcnow
from core.errors import InvalidInput, add_error
from core.extensions import db
from core.inbox import operations as inbox
from core.inbox.models import InboxKind
from core.models import check_version
from core.schemas import bounded_int
from core.zones import queries
from core.zones.models import KIND_MEMBER_LEVEL, ConvenerTerm, CrossGrant, Zone, ZoneKind, ZoneMember
from core.zones.operations.common import int_ids
from core.zones.operations.grants import revoke_grant
from tenants.models import Role, Unit, UnitLevel

TERM_MONTHS = (1, 2, 3, 4, 6, 12)


def term_end(start: date, months: int) -> date:
    """The last day of the calendar block (quarter for 3 months) that holds ``start``."""
    block = (start.month - 1) // months
    last_month = (block + 1) * months
    return date(start.year, last_month, month_calendar.monthrange(start.year, last_month)[1])


# ---------------------------------------------------------------- zones and members


def _zone_errors(county: Unit, *, name: str, kind: str, lead_account_id, guiding_office: str,
                 members: list[Unit], member_ids: list[int], term_months, zone: Zone | None = None) -> dict:
    errors: dict[str, list[str]] = {}
    if county.level != UnitLevel.COUNTY:
        add_error(errors, "_schema", _("协作区由县(区)纪委监委设立"))
    if not name or len(name) > 100:
        add_error(errors, "name", _("名称不能为空，最长 100 个字"))
    elif db.session.scalar(select(Zone.id).where(Zone.unit_id == county.id, Zone.name == name,
                                                 Zone.archived_at.is_(None),
                                                 Zone.id != (zone.id if zone else -1))):
        add_error(errors, "name", _("本县已有同名协作区"))
    if kind not in ZoneKind.__members__.values():
        add_error(errors, "kind", _("协作区类型无效"))
    if not guiding_office or len(guiding_office) > 100:
        add_error(errors, "guiding_office", _("请填写指导室（县纪委监委的一个部门）"))
    try:
        if bounded_int(term_months) not in TERM_MONTHS:
            raise ValueError
    except (TypeError, ValueError):
        add_error(errors, "term_months", _("召集人任期须为 1、2、3、4、6 或 12 个月"))
    lead_ok = False
    try:
        lead_ok = lead_account_id is not None and bounded_int(lead_account_id) in {
            a.id for a in queries.leaders_of(county)}
    except (TypeError, ValueError):
        pass
    if not lead_ok:
        add_error(errors, "lead_account_id", _("牵头领导须是本县纪委监委的委领导"))
    found = {u.id for u in members}
    for missing in [i for i in member_ids if i not in found]:
        add_error(errors, "member_unit_ids", _("单位 %(id)s 不存在", id=missing))
    level = KIND_MEMBER_LEVEL.get(kind)
    for unit in members:
        if unit.parent_id != county.id or not unit.is_active:
            add_error(errors, "member_unit_ids", _("%(name)s 不是本县下辖的单位", name=unit.name))
        elif level and unit.level != level:
            add_error(errors, "member_unit_ids", _("%(name)s 不能加入这类协作区（乡镇协作区只收乡镇，派驻组协作区只收派驻组）",
                                                   name=unit.name))
        else:
            other = queries.zone_of(unit, kind)
            if other is not None and (zone is None or other.id != zone.id):
                add_error(errors, "member_unit_ids", _("%(name)s 已属于“%(zone)s”，一个单位同类协作区只能加入一个",
                                                       name=unit.name, zone=other.name))
    if len(members) < 2 and not errors.get("member_unit_ids"):
        add_error(errors, "member_unit_ids", _("协作区至少要有两个成员单位"))
    return errors

def define_zone(county: Unit, *, name: str, kind: str = ZoneKind.TOWNSHIP, description: str = "",
                lead_account_id=None, guiding_office: str = "", member_unit_ids=(), term_months=3,
                starts_on: date | None = None) -> Zone:
    """A new zone with its members; the rota starts with the first member's term at once."""
    name, guiding_office = (name or "").strip(), (guiding_office or "").strip()
    ids = int_ids(member_unit_ids)
    members = sorted(queries.units_by_id(ids).values(), key=lambda u: ids.index(u.id))
    errors = _zone_errors(county, name=name, kind=kind, lead_account_id=lead_account_id,
                          guiding_office=guiding_office, members=members, member_ids=ids, term_months=term_months)
    if errors:
        raise InvalidInput(errors)
    today = starts_on or calendar.today()
    zone = Zone(unit_id=county.id, unit_path=county.path, name=name, kind=kind, description=description or "",
                lead_account_id=int(lead_account_id), guiding_office=guiding_office, term_months=int(term_months))
    db.session.add(zone)
    db.session.flush()
    for position, unit in enumerate(members):
        _join(zone, unit, today, position)
    audit("zone.define", unit_id=county.id, object_type="zones", object_id=zone.id,
          detail={"name": name, "kind": kind, "members": [u.id for u in members]})
    start_term(zone, members[0], today, assigned_by="rota")
    return zone


def _join(zone: Zone, unit: Unit, on: date, position: int) -> ZoneMember:
    member = ZoneMember(unit_id=unit.id, unit_path=unit.path, zone_id=zone.id, county_id=zone.unit_id,
                        kind=zone.kind, joined_on=on, position=position)
    db.session.add(member)
    db.session.flush()
    return member


def update_zone(zone: Zone, *, name: str, description: str = "", lead_account_id=None, guiding_office: str = "",
                member_unit_ids=(), term_months=3, expected_version: int | None = None) -> None:
    """Change a zone's particulars and members: leavers' stays end today, newcomers' begin today."""
    check_version(zone, expected_version)
    county = db.session.get(Unit, zone.unit_id)
    name, guiding_office = (name or "").strip(), (guiding_office or "").strip()
    ids = int_ids(member_unit_ids)
    members = sorted(queries.units_by_id(ids).values(), key=lambda u: ids.index(u.id))
    errors = _zone_errors(county, name=name, kind=zone.kind, lead_account_id=lead_account_id,
                          guiding_office=guiding_office, members=members, member_ids=ids,
                          term_months=term_months, zone=zone)
    if errors:
        raise InvalidInput(errors)
    today = calendar.today()
    zone.name, zone.description, zone.guiding_office = name, description or "", guiding_office
    zone.lead_account_id, zone.term_months = int(lead_account_id), int(term_months)
    current = {m.unit_id: m for m in queries.current_members(zone, today)}
    revoked = [grant_id for unit_id, member in current.items() if unit_id not in ids
               for grant_id in _leave(member, today)]
    for position, unit in enumerate(members):
        if unit.id in current:
            current[unit.id].position = position
        else:
            _join(zone, unit, today, position)
    audit("zone.update", unit_id=county.id, object_type="zones", object_id=zone.id,
          detail={"name": name, "members": ids, **({"revoked_grants": revoked} if revoked else {})})
    term = queries.current_term(zone)
    if term is not None and term.unit_id not in ids:
        # The convener left the zone: the next member in the rota takes over today.
        _close_term(term, today - timedelta(days=1) if term.starts_on < today else today)
        start_term(zone, members[0], today, assigned_by="rota")


def _leave(member: ZoneMember, on: date) -> list[int]:
    """End the member's stay; the zone's grants it holds or that open its records end with it (the ids)."""
    if member.joined_on >= on:
        member.left_on = member.joined_on  # joined and left the same day: an empty stay, kept for the record
    else:
        member.left_on = on
    unit = db.session.get(Unit, member.unit_id)
    revoked = []
    for grant in db.session.scalars(select(CrossGrant).where(
            CrossGrant.zone_id == member.zone_id, CrossGrant.revoked_at.is_(None),
            or_(CrossGrant.grantee_unit_id == unit.id, CrossGrant.owner_unit_id == unit.id))
            .order_by(CrossGrant.id)).all():
        if grant.state_on(on) in ("pending", "active"):
            revoke_grant(grant, _("%(unit)s 已退出协作区", unit=unit.name))
            revoked.append(grant.id)
    return revoked


def move_member(unit: Unit, to_zone: Zone) -> None:
    """Move a unit from its zone of that kind to another of the county's zones, from today."""
    errors: dict[str, list[str]] = {}
    if unit.parent_id != to_zone.unit_id or unit.level != KIND_MEMBER_LEVEL[ZoneKind(to_zone.kind)]:
        add_error(errors, "unit_id", _("%(name)s 不能加入这个协作区", name=unit.name))
    if errors:
        raise InvalidInput(errors)
    today = calendar.today()
    current = db.session.scalar(select(ZoneMember).where(ZoneMember.unit_id == unit.id,
                                                         ZoneMember.kind == to_zone.kind,
                                                         ZoneMember.left_on.is_(None)))
    revoked: list[int] = []
    if current is not None:
        if current.zone_id == to_zone.id:
            return
        revoked = _leave(current, today)
        db.session.flush()
        old_zone = db.session.get(Zone, current.zone_id)
        term = queries.current_term(old_zone)
        if term is not None and term.unit_id == unit.id:
            remaining = queries.current_members(old_zone, today)
            _close_term(term, today)
            if remaining:
                start_term(old_zone, db.session.get(Unit, remaining[0].unit_id), today, assigned_by="rota")
    position = len(queries.current_members(to_zone, today))
    _join(to_zone, unit, today, position)
    audit("zone.move_member", unit_id=to_zone.unit_id, object_type="zones", object_id=to_zone.id,
          detail={"unit": unit.id, "from_zone": current.zone_id if current else None,
                  **({"revoked_grants": revoked} if revoked else {})})


def archive_zone(zone: Zone, *, expected_version: int | None = None) -> None:
    check_version(zone, expected_version)
    if zone.archived_at is not None:
        return
    today = calendar.today()
    zone.archived_at = utcnow()
    for grant in db.session.scalars(select(CrossGrant).where(CrossGrant.zone_id == zone.id,
                                                             CrossGrant.revoked_at.is_(None))):
        if grant.state_on(today) in ("pending", "active"):
            revoke_grant(grant, _("协作区已撤销"))
    for member in queries.current_members(zone, today):
        _leave(member, today)
    term = queries.current_term(zone)
    if term is not None:
        _close_term(term, today)
    audit("zone.archive", unit_id=zone.unit_id, object_type="zones", object_id=zone.id)


# ---------------------------------------------------------------- the convener rota

def start_term(zone: Zone, member: Unit, starts_on: date, *, assigned_by: str,
               override_reason: str | None = None) -> ConvenerTerm:
    secretaries = queries.leaders_of(member)
    term = ConvenerTerm(unit_id=member.id, unit_path=member.path, zone_id=zone.id, county_id=zone.unit_id,
                        account_id=secretaries[0].id if secretaries else None, starts_on=starts_on,
                        ends_on=term_end(starts_on, zone.term_months), assigned_by=assigned_by,
                        override_reason=override_reason)
    db.session.add(term)
    db.session.flush()
    audit("zone.convener", unit_id=zone.unit_id, object_type="zones", object_id=zone.id,
          detail={"unit": member.id, "starts_on": starts_on.isoformat(), "ends_on": term.ends_on.isoformat(),
                  "assigned_by": assigned_by})
    return term


def _close_term(term: ConvenerTerm, closed_on: date) -> None:
    """End a term and ask its convener (once) for the written term report the county receives."""
    term.closed_on = closed_on
    if term.report_requested_on is None:
        term.report_requested_on = calendar.today()
        member = db.session.get(Unit, term.unit_id)
        zone = db.session.get(Zone, term.zone_id)
        inbox.post(member, f"zone_term:{term.id}:report", kind=InboxKind.TASK, object_type="convener_terms",
                   object_id=term.id, roles=(Role.LEADER,), due_on=calendar.add_workdays(calendar.today(), 10),
                   title=_("请报送“%(zone)s”召集人任期工作报告（%(start)s 至 %(end)s）", zone=zone.name,
                           start=term.starts_on.isoformat(), end=closed_on.isoformat()))


def advance_rota(zone: Zone, today: date) -> ConvenerTerm | None:
    """At a term's end the next member in the rota takes over; the outgoing convener is asked for the
    term report. Idempotent: a term that has not ended yet, or was already rotated, is left alone."""
    term = queries.current_term(zone)
    if zone.archived_at is not None:
        return None
    members = queries.current_members(zone, today)
    if not members:
        return None
    if term is None:
        return start_term(zone, db.session.get(Unit, members[0].unit_id), today, assigned_by="rota")
    if term.ends_on >= today:
        return None
    _close_term(term, term.ends_on)
    order = [m.unit_id for m in members]
    following = [m.unit_id for m in members if m.position > queries.member_position(zone, term.unit_id)]
    next_unit_id = following[0] if following else order[0]
    return start_term(zone, db.session.get(Unit, next_unit_id), term.ends_on + timedelta(days=1),
                      assigned_by="rota")

def advance_rotas(county: Unit, today: date) -> int:
    """Every zone of the county whose convener's term is over moves on (the daily job, per county)."""
    moved = 0
    for zone in db.session.scalars(select(Zone).where(Zone.unit_id == county.id, Zone.archived_at.is_(None))):
        # A term left unrotated for several periods catches up one term at a time.
        while advance_rota(zone, today) is not None:
            moved += 1
    return moved


def override_convener(zone: Zone, member: Unit, reason: str) -> ConvenerTerm:
    """The county names another convener from today, for the rest of the current block."""
    errors: dict[str, list[str]] = {}
    today = calendar.today()
    if member.id not in {m.unit_id for m in queries.current_members(zone, today)}:
        add_error(errors, "unit_id", _("召集人须是本协作区的成员单位"))
    if not (reason or "").strip():
        add_error(errors, "reason", _("请说明调整召集人的理由"))
    term = queries.current_term(zone)
    if term is not None and term.unit_id == member.id:
        add_error(errors, "unit_id", _("%(name)s 已是本期召集人", name=member.name))
    if errors:
        raise InvalidInput(errors)
    if term is not None:
        _close_term(term, today - timedelta(days=1) if term.starts_on < today else today)
    return start_term(zone, member, today, assigned_by="override", override_reason=reason.strip())


def submit_term_report(term: ConvenerTerm, body: str, *, expected_version: int | None = None) -> None:
    check_version(term, expected_version)
    errors: dict[str, list[str]] = {}
    if not (body or "").strip():
        add_error(errors, "body", _("请填写任期工作报告"))
    if term.report_submitted_at is not None:
        add_error(errors, "body", _("本任期的工作报告已报送"))
    if errors:
        raise InvalidInput(errors)
    term.report_body = body.strip()
    term.report_submitted_at = utcnow()
    term.report_by_id = context.current().account_id
    inbox.close("convener_terms", term.id, unit_id=term.unit_id)
    county = db.session.get(Unit, term.county_id)
    zone = db.session.get(Zone, term.zone_id)
    member = db.session.get(Unit, term.unit_id)
    inbox.post(county, f"zone_term:{term.id}:received", kind=InboxKind.TASK, object_type="convener_terms",
               object_id=term.id, roles=(Role.LEADER,),
               title=_("%(unit)s 报送了“%(zone)s”召集人任期工作报告", unit=member.name, zone=zone.name))
    audit("zone.term_report", unit_id=term.unit_id, object_type="convener_terms", object_id=term.id)
