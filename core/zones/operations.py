"""Every write of collaboration zones: zones and their dated membership, the convener rota and its term
reports, joint meetings and their decisions' tasks, cross-handling grants, cross-inspection rounds."""
from __future__ import annotations

import calendar as month_calendar
import unicodedata
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select

from core import calendar, context, timefmt
from core.audit.operations import record as audit
from core.clearing.models import ClearingCase
from core.clearing import workflow as clearing_workflow
from core.clearing.workflow import OPEN as CLEARING_OPEN
from core.clock import utcnow
from core.errors import InvalidInput, add_error
from core.extensions import db
from core.identity.models import Account
from core.schemas import bounded_int
from core.inbox import operations as inbox
from core.inbox.models import InboxKind
from core.models import check_version
from core.petitions import workflow as petition_workflow
from core.petitions.models import Petition
from core.supervision import operations as supervision_ops
from core.supervision.models import ItemKind
from core.zones.models import (DEFAULT_CHECKLIST, KIND_MEMBER_LEVEL, SHARE_PURPOSE, ConvenerTerm, CrossGrant,
                               GrantScope, InspectionFinding, InspectionPair, InspectionRound, JointMeeting,
                               MeetingDecision, Zone, ZoneKind, ZoneMember)
from tenants import operations as tenancy_ops
from tenants.models import Membership, Role, Share, Unit, UnitLevel

# What a cross-handler may do on each kind of record: each area declares it in its workflow.
CROSS_HANDLE_STEPS = {"petitions": petition_workflow.CROSS_HANDLE_STEPS,
                      "clearing_cases": clearing_workflow.CROSS_HANDLE_STEPS}
GRANTABLE_MODELS = {"petitions": Petition, "clearing_cases": ClearingCase}
TERM_MONTHS = (1, 2, 3, 4, 6, 12)
# The accounts of a member that may be named as grantees or inspectors.
GRANTEE_ROLES = (Role.LEADER, Role.OFFICER)


# ---------------------------------------------------------------- helpers


def _parse_day(value, errors: dict, field: str, label: str) -> date | None:
    if isinstance(value, date):
        return value
    if not value:
        add_error(errors, field, _("请填写%(what)s", what=label))
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        add_error(errors, field, _("%(what)s不是有效日期（应为 2026-11-21 这样的格式）", what=label))
        return None


def _int_ids(values) -> list[int]:
    out = []
    for v in values or []:
        try:
            out.append(bounded_int(v))
        except (TypeError, ValueError):  # a word or a number beyond any id: no unit, no account
            continue
    return list(dict.fromkeys(out))


def end_of_day(day: date) -> datetime:
    """The last instant of a day in the deployment's zone, as the moment a share expires: in UTC, as every stored
    time (SQLite keeps the wall-clock digits only, so local time stored there expired eight hours late)."""
    return timefmt.day_start(day + timedelta(days=1))


def term_end(start: date, months: int) -> date:
    """The last day of the calendar block (quarter for 3 months) that holds ``start``."""
    block = (start.month - 1) // months
    last_month = (block + 1) * months
    return date(start.year, last_month, month_calendar.monthrange(start.year, last_month)[1])


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
        lead_ok = lead_account_id is not None and bounded_int(lead_account_id) in {a.id for a in leaders_of(county)}
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
            other = zone_of(unit, kind)
            if other is not None and (zone is None or other.id != zone.id):
                add_error(errors, "member_unit_ids", _("%(name)s 已属于“%(zone)s”，一个单位同类协作区只能加入一个",
                                                       name=unit.name, zone=other.name))
    if len(members) < 2 and not errors.get("member_unit_ids"):
        add_error(errors, "member_unit_ids", _("协作区至少要有两个成员单位"))
    return errors


def _units(ids: list[int]) -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(ids)))) if ids else []


def define_zone(county: Unit, *, name: str, kind: str = ZoneKind.TOWNSHIP, description: str = "",
                lead_account_id=None, guiding_office: str = "", member_unit_ids=(), term_months=3,
                starts_on: date | None = None) -> Zone:
    """A new zone with its members; the rota starts with the first member's term at once."""
    name, guiding_office = (name or "").strip(), (guiding_office or "").strip()
    ids = _int_ids(member_unit_ids)
    members = sorted(_units(ids), key=lambda u: ids.index(u.id))
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
    ids = _int_ids(member_unit_ids)
    members = sorted(_units(ids), key=lambda u: ids.index(u.id))
    errors = _zone_errors(county, name=name, kind=zone.kind, lead_account_id=lead_account_id,
                          guiding_office=guiding_office, members=members, member_ids=ids,
                          term_months=term_months, zone=zone)
    if errors:
        raise InvalidInput(errors)
    today = calendar.today()
    zone.name, zone.description, zone.guiding_office = name, description or "", guiding_office
    zone.lead_account_id, zone.term_months = int(lead_account_id), int(term_months)
    current = {m.unit_id: m for m in current_members(zone, today)}
    revoked = [grant_id for unit_id, member in current.items() if unit_id not in ids
               for grant_id in _leave(member, today)]
    for position, unit in enumerate(members):
        if unit.id in current:
            current[unit.id].position = position
        else:
            _join(zone, unit, today, position)
    audit("zone.update", unit_id=county.id, object_type="zones", object_id=zone.id,
          detail={"name": name, "members": ids, **({"revoked_grants": revoked} if revoked else {})})
    term = current_term(zone)
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
        term = current_term(old_zone)
        if term is not None and term.unit_id == unit.id:
            remaining = current_members(old_zone, today)
            _close_term(term, today)
            if remaining:
                start_term(old_zone, db.session.get(Unit, remaining[0].unit_id), today, assigned_by="rota")
    position = len(current_members(to_zone, today))
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
    for member in current_members(zone, today):
        _leave(member, today)
    term = current_term(zone)
    if term is not None:
        _close_term(term, today)
    audit("zone.archive", unit_id=zone.unit_id, object_type="zones", object_id=zone.id)


# ---------------------------------------------------------------- the convener rota


def current_term(zone: Zone) -> ConvenerTerm | None:
    return db.session.scalar(select(ConvenerTerm).where(ConvenerTerm.zone_id == zone.id,
                                                        ConvenerTerm.closed_on.is_(None))
                             .order_by(ConvenerTerm.id.desc()).limit(1))


def start_term(zone: Zone, member: Unit, starts_on: date, *, assigned_by: str,
               override_reason: str | None = None) -> ConvenerTerm:
    secretaries = leaders_of(member)
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
    term = current_term(zone)
    if zone.archived_at is not None:
        return None
    members = current_members(zone, today)
    if not members:
        return None
    if term is None:
        return start_term(zone, db.session.get(Unit, members[0].unit_id), today, assigned_by="rota")
    if term.ends_on >= today:
        return None
    _close_term(term, term.ends_on)
    order = [m.unit_id for m in members]
    following = [m.unit_id for m in members if m.position > _position(zone, term.unit_id)]
    next_unit_id = following[0] if following else order[0]
    return start_term(zone, db.session.get(Unit, next_unit_id), term.ends_on + timedelta(days=1),
                      assigned_by="rota")


def _position(zone: Zone, unit_id: int) -> int:
    member = db.session.scalar(select(ZoneMember).where(ZoneMember.zone_id == zone.id, ZoneMember.unit_id == unit_id)
                               .order_by(ZoneMember.id.desc()).limit(1))
    return member.position if member else -1


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
    if member.id not in {m.unit_id for m in current_members(zone, today)}:
        add_error(errors, "unit_id", _("召集人须是本协作区的成员单位"))
    if not (reason or "").strip():
        add_error(errors, "reason", _("请说明调整召集人的理由"))
    term = current_term(zone)
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


# ---------------------------------------------------------------- joint meetings


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


def schedule_meeting(zone: Zone, convener: Unit, *, title: str, held_on, place: str = "", agenda: str = "",
                     attendee_unit_ids=None) -> JointMeeting:
    """The current convener calls a joint meeting of the zone."""
    errors: dict[str, list[str]] = {}
    term = current_term(zone)
    if term is None or term.unit_id != convener.id:
        add_error(errors, "_schema", _("只有本期召集人可以召集联席会议"))
    title = (title or "").strip()
    if not title or len(title) > 200:
        add_error(errors, "title", _("会议名称不能为空，最长 200 个字"))
    day = _parse_day(held_on, errors, "held_on", _("会议日期"))
    if not (agenda or "").strip():
        add_error(errors, "agenda", _("请填写会议议程"))
    attendees = default_attendees(zone)
    if attendee_unit_ids is not None:
        chosen = set(_int_ids(attendee_unit_ids))
        attendees = [a for a in attendees if a["unit_id"] in chosen]
        if not attendees:
            add_error(errors, "attendee_unit_ids", _("请至少选择一个参会单位"))
    if errors:
        raise InvalidInput(errors)
    meeting = JointMeeting(unit_id=convener.id, unit_path=convener.path, zone_id=zone.id, county_id=zone.unit_id,
                           term_id=term.id, title=title, held_on=day, place=(place or "").strip(),
                           agenda=agenda.strip(), attendees=attendees, state="scheduled",
                           called_by_id=context.current().account_id)
    db.session.add(meeting)
    db.session.flush()
    for member in current_members(zone):
        if member.unit_id != convener.id and member.unit_id in {a["unit_id"] for a in attendees}:
            inbox.post(db.session.get(Unit, member.unit_id), f"zone_meeting:{meeting.id}:{member.unit_id}",
                       kind=InboxKind.REMINDER, object_type="joint_meetings", object_id=meeting.id,
                       roles=(Role.LEADER,), due_on=day,
                       title=_("联席会议通知：%(t)s（%(d)s）", t=title, d=day.isoformat()))
    audit("zone.meeting_schedule", unit_id=convener.id, object_type="joint_meetings", object_id=meeting.id,
          detail={"zone": zone.id, "held_on": day.isoformat()})
    return meeting


def record_minutes(meeting: JointMeeting, *, minutes: str, decisions: list[dict],
                   expected_version: int | None = None) -> None:
    """Minutes and decisions of a held meeting; each decision may name member units and a deadline."""
    check_version(meeting, expected_version)
    errors: dict[str, list[str]] = {}
    zone = db.session.get(Zone, meeting.zone_id)
    if not (minutes or "").strip():
        add_error(errors, "minutes", _("请填写会议纪要"))
    if meeting.held_on > calendar.today():
        add_error(errors, "minutes", _("会议尚未召开，不能记录纪要"))
    if meeting.state == "held":
        add_error(errors, "minutes", _("本次会议的纪要已记录"))
    members = {m.unit_id for m in current_members(zone)}
    cleaned = []
    for i, d in enumerate(decisions or [], start=1):
        text = (d.get("text") or "").strip()
        if not text:
            continue
        unit_ids = _int_ids(d.get("unit_ids"))
        if any(u not in members for u in unit_ids):
            add_error(errors, f"decisions.{i}", _("第 %(n)s 项决定：落实单位须是本协作区成员", n=i))
        due = None
        if d.get("due_on"):
            due = _parse_day(d.get("due_on"), errors, f"decisions.{i}", _("第 %(n)s 项决定的完成期限", n=i))
            if due and due < calendar.today():
                add_error(errors, f"decisions.{i}", _("第 %(n)s 项决定：完成期限不能早于今天", n=i))
        if unit_ids and due is None and f"decisions.{i}" not in errors:
            add_error(errors, f"decisions.{i}", _("第 %(n)s 项决定：指定了落实单位，请填写完成期限", n=i))
        cleaned.append((text, unit_ids, due))
    if errors:
        raise InvalidInput(errors)
    meeting.minutes = minutes.strip()
    meeting.state = "held"
    for seq, (text, unit_ids, due) in enumerate(cleaned, start=1):
        db.session.add(MeetingDecision(unit_id=meeting.unit_id, unit_path=meeting.unit_path, meeting_id=meeting.id,
                                       zone_id=zone.id, county_id=zone.unit_id, seq=seq, text=text,
                                       task_units=[{"unit_id": u, "item_id": None} for u in unit_ids], due_on=due))
    db.session.flush()
    county = db.session.get(Unit, zone.unit_id)
    if any(unit_ids for _t, unit_ids, _d in cleaned):
        inbox.post(county, f"zone_meeting:{meeting.id}:tasks", kind=InboxKind.TASK, object_type="joint_meetings",
                   object_id=meeting.id, roles=(Role.LEADER,),
                   title=_("“%(zone)s”联席会议决定待交办：%(t)s", zone=zone.name, t=meeting.title))
    audit("zone.meeting_minutes", unit_id=meeting.unit_id, object_type="joint_meetings", object_id=meeting.id,
          detail={"decisions": len(cleaned)})


def issue_decision_tasks(decision: MeetingDecision) -> list:
    """The county turns a decision into tasks (supervision items of kind task) for its named members."""
    county = db.session.get(Unit, decision.county_id)
    meeting = db.session.get(JointMeeting, decision.meeting_id)
    items, task_units = [], []
    for entry in decision.task_units:
        if entry.get("item_id"):
            task_units.append(entry)
            continue
        member = db.session.get(Unit, entry["unit_id"])
        item = supervision_ops.issue_item(
            county, member, kind=ItemKind.TASK, title=f"{meeting.title}：{decision.text}"[:200],
            body=_("联席会议（%(d)s）第 %(n)s 项决定", d=meeting.held_on.isoformat(), n=decision.seq),
            due_on=decision.due_on)
        items.append(item)
        task_units.append({"unit_id": member.id, "item_id": item.id})
    if not items:
        raise InvalidInput({"_schema": [_("这项决定没有待交办的单位")]})
    decision.task_units = task_units  # a new list, so the JSON column is written
    if all(e.get("item_id") for d in meeting.decisions for e in d.task_units):
        inbox.close("joint_meetings", meeting.id, unit_id=county.id)
    audit("zone.decision_tasks", unit_id=county.id, object_type="joint_meetings", object_id=meeting.id,
          detail={"decision": decision.id, "items": [i.id for i in items]})
    return items


# ---------------------------------------------------------------- cross-handling and cross-inspection grants


def _normalise(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "") if not ch.isspace())


def _about_own_officials(record, grantee: Unit) -> bool:
    """The record's accused (or cleared) person works at the grantee township (熟人社会: never handle those)."""
    work_unit = getattr(record, "accused_work_unit", None) or getattr(record, "person_work_unit", None) or ""
    name = _normalise(grantee.name)
    short = name.removesuffix("纪委").removesuffix("纪委会")
    return bool(name) and (name in _normalise(work_unit) or (len(short) >= 2 and short in _normalise(work_unit)))


def grant_errors(county: Unit, *, grantee: Unit | None, owner: Unit | None, record, scope: str, transitions,
                 starts_on: date | None, ends_on: date | None, accounts: list[Account], account_ids: list[int],
                 purpose: str, errors: dict) -> tuple[Zone | None, list[str]]:
    """The county's rules for a grant, every one checked (the API answers them all at once with 422)."""
    today = calendar.today()
    zone = None
    if grantee is None or grantee.parent_id != county.id:
        add_error(errors, "grantee_unit_id", _("受托单位须是本县下辖的乡镇"))
    if owner is None or owner.parent_id != county.id:
        add_error(errors, "owner_unit_id", _("案件所属单位须是本县下辖的乡镇"))
    if grantee is not None and owner is not None and grantee.id == owner.id:
        add_error(errors, "grantee_unit_id", _("交叉办案须由另一个乡镇承担"))
    elif grantee is not None and owner is not None and "grantee_unit_id" not in errors \
            and "owner_unit_id" not in errors:
        zone = zone_of(grantee)
        owner_zone = zone_of(owner)
        if zone is None or owner_zone is None or zone.id != owner_zone.id:
            add_error(errors, "grantee_unit_id", _("受托乡镇与案件所属乡镇须在授权时同属一个协作区"))
            zone = None
    if record is None and owner is not None and "owner_unit_id" not in errors and "number" not in errors:
        add_error(errors, "number", _("%(unit)s 没有这个编号的信访件或澄清件", unit=owner.name))
    if record is not None and grantee is not None and _about_own_officials(record, grantee):
        add_error(errors, "grantee_unit_id", _("不能由被反映人所在乡镇办理或检查涉及本乡镇干部的案件"))
    if scope not in GrantScope.__members__.values():
        add_error(errors, "scope", _("授权范围须为交叉检查（查阅）或交叉办案（查阅并办理）"))
    steps: list[str] = []
    if scope == GrantScope.HANDLE and record is not None:
        allowed = CROSS_HANDLE_STEPS[record.__tablename__]
        steps = [t for t in (transitions or allowed) if t]
        if not steps or any(t not in allowed for t in steps):
            add_error(errors, "transitions", _("可授权的办理环节为：%(steps)s", steps="、".join(allowed)))
    if not (purpose or "").strip():
        add_error(errors, "purpose", _("请填写授权事由"))
    if starts_on and ends_on and ends_on < starts_on:
        add_error(errors, "ends_on", _("结束日期不能早于开始日期"))
    elif ends_on and ends_on < today:
        add_error(errors, "ends_on", _("结束日期不能早于今天"))
    if starts_on and starts_on < today:
        add_error(errors, "starts_on", _("开始日期不能早于今天"))
    found = {a.id for a in accounts}
    if not account_ids:
        add_error(errors, "grantee_account_ids", _("请指定受托乡镇的承办人员"))
    elif any(i not in found for i in account_ids):
        add_error(errors, "grantee_account_ids", _("承办人员须是受托乡镇的委领导或承办人员"))
    return zone, steps


def grant_cross_access(county: Unit, *, grantee_unit_id, owner_unit_id, number: str, scope: str,
                       purpose: str, starts_on, ends_on, grantee_account_ids, transitions=None,
                       round_id: int | None = None) -> CrossGrant:
    """The county authorises named staff of one member township to inspect or handle one record of
    another township of the same zone, from a start day to an end day (both included)."""
    errors: dict[str, list[str]] = {}
    grantee = _unit_by_id(grantee_unit_id)
    owner = _unit_by_id(owner_unit_id)
    record = supervision_ops.subject_record(owner, number) if owner is not None and (number or "").strip() \
        else None
    if owner is not None and not (number or "").strip():
        add_error(errors, "number", _("请填写案件编号（受理编号）"))
    start = _parse_day(starts_on, errors, "starts_on", _("开始日期"))
    end = _parse_day(ends_on, errors, "ends_on", _("结束日期"))
    account_ids = _int_ids(grantee_account_ids)
    accounts = [a for a in accounts_of(grantee) if a.id in account_ids] if grantee else []
    zone, steps = grant_errors(county, grantee=grantee, owner=owner, record=record, scope=scope,
                               transitions=transitions, starts_on=start, ends_on=end, accounts=accounts,
                               account_ids=account_ids, purpose=purpose, errors=errors)
    if errors:
        raise InvalidInput(errors)
    grant = CrossGrant(unit_id=county.id, unit_path=county.path, zone_id=zone.id, grantee_unit_id=grantee.id,
                       owner_unit_id=owner.id, object_type=record.__tablename__, object_id=record.id,
                       object_label=record.label, scope=scope, transitions=",".join(steps),
                       purpose=purpose.strip(), starts_on=start, ends_on=end, grantee_account_ids=account_ids,
                       share_ids=[], round_id=round_id, granted_by_id=context.current().account_id)
    db.session.add(grant)
    db.session.flush()
    audit("zone.grant", unit_id=county.id, object_type="cross_grants", object_id=grant.id,
          detail={"grantee_unit": grantee.id, "owner_unit": owner.id, "object_type": grant.object_type,
                  "object_id": grant.object_id, "scope": scope, "starts_on": start.isoformat(),
                  "ends_on": end.isoformat(), "accounts": account_ids})
    activate_grant(grant, calendar.today())
    return grant


def _unit_by_id(value) -> Unit | None:
    try:
        return db.session.get(Unit, bounded_int(value))
    except (TypeError, ValueError):
        return None


def activate_grant(grant: CrossGrant, today: date) -> bool:
    """On its start day a grant makes one share per grantee account, expiring at the end of its last day.
    Idempotent: a grant with shares, revoked or past its end makes none."""
    if grant.share_ids or grant.state_on(today) != "active":
        return False
    owner = db.session.get(Unit, grant.owner_unit_id)
    share_ids = []
    # The shares are the owner's rows (RLS): the county writes them as the owner.
    with context.writing_as(owner.id, owner.path):
        for account_id in grant.grantee_account_ids:
            share = tenancy_ops.grant_share(
                grant.object_type, grant.object_id, owner, purpose=SHARE_PURPOSE[GrantScope(grant.scope)],
                grantee_account=db.session.get(Account, account_id), expires_at=end_of_day(grant.ends_on),
                transitions=tuple(t for t in grant.transitions.split(",") if t), reason=f"cross_grant:{grant.id}")
            share_ids.append(share.id)
    grant.share_ids = share_ids
    for account_id in grant.grantee_account_ids:
        inbox.post(db.session.get(Unit, grant.grantee_unit_id), f"cross_grant:{grant.id}:{account_id}",
                   kind=InboxKind.TASK, object_type=grant.object_type, object_id=grant.object_id,
                   account_id=account_id, due_on=grant.ends_on,
                   title=_("%(scope)s：%(label)s（%(owner)s，至 %(end)s）", scope=grant.scope_label,
                           label=grant.object_label, owner=owner.name, end=grant.ends_on.isoformat()))
    return True


def activate_due_grants(county: Unit, today: date) -> int:
    """The grants of the county whose start day has come (the job, every few minutes)."""
    return sum(activate_grant(g, today) for g in db.session.scalars(
        select(CrossGrant).where(CrossGrant.unit_id == county.id, CrossGrant.revoked_at.is_(None),
                                 CrossGrant.starts_on <= today, CrossGrant.ends_on >= today)))


def close_ended_grants(county: Unit, today: date) -> int:
    """Grants whose last day has passed: their shares expired on their own; their inbox entries close."""
    closed = 0
    for grant in db.session.scalars(select(CrossGrant).where(CrossGrant.unit_id == county.id,
                                                             CrossGrant.revoked_at.is_(None),
                                                             CrossGrant.ends_on < today)):
        closed += inbox.close(grant.object_type, grant.object_id, unit_id=grant.grantee_unit_id,
                              key_prefix=f"cross_grant:{grant.id}:")
    return closed


def revoke_grant(grant: CrossGrant, reason: str = "", *, expected_version: int | None = None) -> None:
    """The county ends a grant at once: its shares are revoked, every URL of the record answers 404."""
    check_version(grant, expected_version)
    if grant.revoked_at is not None:
        return
    grant.revoked_at = utcnow()
    grant.revoked_by_id = context.current().account_id
    grant.revoke_reason = (reason or "").strip() or None
    # The shares are the owner's rows, which the county neither reads nor writes itself (filter and RLS).
    owner = db.session.get(Unit, grant.owner_unit_id)
    with context.writing_as(owner.id, owner.path):
        for share_id in grant.share_ids:
            share = db.session.get(Share, share_id)
            if share is not None:
                tenancy_ops.revoke_share(share, reason=f"cross_grant:{grant.id}")
        db.session.flush()
    inbox.close(grant.object_type, grant.object_id, unit_id=grant.grantee_unit_id,
                key_prefix=f"cross_grant:{grant.id}:")
    audit("zone.grant_revoke", unit_id=grant.unit_id, object_type="cross_grants", object_id=grant.id,
          detail={"reason": grant.revoke_reason})


# ---------------------------------------------------------------- cross-inspection rounds


def open_round(zone: Zone, *, title: str, starts_on, ends_on, checklist=None) -> InspectionRound:
    """A zone-wide cross-inspection of clearing: each member inspects the next one in the rota order (the
    last inspects the first), with read grants on the inspected member's open clearing cases."""
    errors: dict[str, list[str]] = {}
    county = db.session.get(Unit, zone.unit_id)
    title = (title or "").strip()
    if not title or len(title) > 200:
        add_error(errors, "title", _("检查名称不能为空，最长 200 个字"))
    start = _parse_day(starts_on, errors, "starts_on", _("开始日期"))
    end = _parse_day(ends_on, errors, "ends_on", _("结束日期"))
    if start and end and end < start:
        add_error(errors, "ends_on", _("结束日期不能早于开始日期"))
    elif start and start < calendar.today():
        add_error(errors, "starts_on", _("开始日期不能早于今天"))
    items = [c.strip() for c in (checklist if checklist is not None else DEFAULT_CHECKLIST) if (c or "").strip()]
    if not items:
        add_error(errors, "checklist", _("检查清单至少一项"))
    members = current_members(zone)
    if len(members) < 2:
        add_error(errors, "_schema", _("协作区至少要有两个成员单位才能交叉检查"))
    if zone.kind != ZoneKind.TOWNSHIP:
        add_error(errors, "_schema", _("交叉检查澄清工作在乡镇协作区进行"))
    if errors:
        raise InvalidInput(errors)
    round_ = InspectionRound(unit_id=county.id, unit_path=county.path, zone_id=zone.id, title=title,
                             checklist=items, starts_on=start, ends_on=end, state="open",
                             created_by_id=context.current().account_id)
    db.session.add(round_)
    db.session.flush()
    units = [db.session.get(Unit, m.unit_id) for m in members]
    for i, inspector in enumerate(units):
        inspected = units[(i + 1) % len(units)]
        pair = InspectionPair(unit_id=inspector.id, unit_path=inspector.path, round_id=round_.id,
                              county_id=county.id, inspected_unit_id=inspected.id)
        db.session.add(pair)
        db.session.flush()
        inspectors = [a.id for a in accounts_of(inspector)]
        for case in _open_clearing_cases(inspected):
            if not inspectors or _about_own_officials(case, inspector):
                continue
            grant = CrossGrant(unit_id=county.id, unit_path=county.path, zone_id=zone.id,
                               grantee_unit_id=inspector.id, owner_unit_id=inspected.id,
                               object_type="clearing_cases", object_id=case.id, object_label=case.label,
                               scope=GrantScope.INSPECT, transitions="", purpose=title, starts_on=start,
                               ends_on=end, grantee_account_ids=inspectors, share_ids=[], round_id=round_.id,
                               granted_by_id=context.current().account_id)
            db.session.add(grant)
            db.session.flush()
            activate_grant(grant, calendar.today())
        inbox.post(inspector, f"zone_round:{round_.id}:{inspector.id}", kind=InboxKind.TASK,
                   object_type="inspection_pairs", object_id=pair.id, roles=(Role.LEADER, Role.OFFICER),
                   due_on=end, title=_("交叉检查：检查 %(unit)s 的澄清正名工作（%(t)s）", unit=inspected.name, t=title))
    audit("zone.round_open", unit_id=county.id, object_type="inspection_rounds", object_id=round_.id,
          detail={"zone": zone.id, "pairs": len(units)})
    return round_


def _open_clearing_cases(unit: Unit) -> list[ClearingCase]:
    with context.acting(context.maintenance_context(account_id=context.current().account_id), db.session):
        return list(db.session.scalars(select(ClearingCase).where(ClearingCase.unit_id == unit.id,
                                                                  ClearingCase.state.in_(CLEARING_OPEN))
                                       .order_by(ClearingCase.id)))


def file_findings(pair: InspectionPair, *, findings: list[dict], summary: str,
                  expected_version: int | None = None) -> None:
    """The inspector's checklist answers and problems, per case inspected; they go to the county."""
    check_version(pair, expected_version)
    round_ = db.session.get(InspectionRound, pair.round_id)
    errors: dict[str, list[str]] = {}
    if pair.state == "filed":
        add_error(errors, "_schema", _("本轮检查结果已报送"))
    if round_.state != "open":
        add_error(errors, "_schema", _("本轮交叉检查已结束"))
    if not (summary or "").strip():
        add_error(errors, "summary", _("请填写检查情况小结"))
    granted = {g.object_id: g for g in db.session.scalars(
        select(CrossGrant).where(CrossGrant.round_id == round_.id, CrossGrant.grantee_unit_id == pair.unit_id))}
    rows = []
    for i, f in enumerate(findings or [], start=1):
        try:
            case_id = bounded_int(f.get("clearing_case_id"))
        except (TypeError, ValueError):
            case_id = None
        if case_id not in granted:
            add_error(errors, f"findings.{i}", _("第 %(n)s 条：不是本轮分配给你单位检查的案件", n=i))
            continue
        answers = {item: bool((f.get("answers") or {}).get(item)) for item in round_.checklist}
        rows.append((granted[case_id], answers, (f.get("problem") or "").strip()))
    if errors:
        raise InvalidInput(errors)
    for grant, answers, problem in rows:
        db.session.add(InspectionFinding(unit_id=pair.unit_id, unit_path=pair.unit_path, pair_id=pair.id,
                                         county_id=pair.county_id, clearing_case_id=grant.object_id,
                                         case_label=grant.object_label, answers=answers, problem=problem))
    pair.summary = summary.strip()
    pair.state = "filed"
    pair.filed_at = utcnow()
    pair.filed_by_id = context.current().account_id
    db.session.flush()
    inspector = db.session.get(Unit, pair.unit_id)
    inbox.close("inspection_pairs", pair.id, unit_id=pair.unit_id)
    problems = sum(1 for f in pair.findings if f.has_problem)
    inbox.post(db.session.get(Unit, pair.county_id), f"zone_round:{round_.id}:filed:{pair.id}",
               kind=InboxKind.TASK, object_type="inspection_rounds", object_id=round_.id, roles=(Role.LEADER,),
               title=_("%(unit)s 报送了交叉检查结果（发现问题 %(n)s 个）", unit=inspector.name, n=problems))
    tenancy_ops.bump_stat(inspector, "zones.cases_inspected", len(rows))
    tenancy_ops.bump_stat(inspector, "zones.cases_inspected", len(rows), calendar.today().isoformat())
    audit("zone.findings", unit_id=pair.unit_id, object_type="inspection_pairs", object_id=pair.id,
          detail={"findings": len(rows), "problems": problems})


def issue_rectification(pair: InspectionPair, *, due_on) -> object:
    """The county turns a pairing's problems into one rectification order (整改交办单) to the inspected member."""
    errors: dict[str, list[str]] = {}
    problems = [f for f in pair.findings if f.has_problem and f.rectification_item_id is None]
    if pair.state != "filed":
        add_error(errors, "_schema", _("检查结果尚未报送"))
    elif not problems:
        add_error(errors, "_schema", _("没有待交办整改的问题"))
    due = _parse_day(due_on, errors, "due_on", _("整改期限"))
    if errors:
        raise InvalidInput(errors)
    round_ = db.session.get(InspectionRound, pair.round_id)
    county = db.session.get(Unit, pair.county_id)
    inspected = db.session.get(Unit, pair.inspected_unit_id)
    inspector = db.session.get(Unit, pair.unit_id)
    described = []
    for f in problems:
        failed = [item for item, ok in f.answers.items() if not ok]
        text = f"{f.case_label}：" + "；".join(([_("未达标：%(items)s", items="、".join(failed))] if failed else [])
                                              + ([f.problem] if f.problem else []))
        described.append({"description": text[:1000], "requirement": ""})
    item = supervision_ops.issue_item(
        county, inspected, kind=ItemKind.RECTIFICATION, due_on=due, problems=described,
        title=_("%(t)s 整改交办单（%(by)s 交叉检查发现）", t=round_.title, by=inspector.name)[:200])
    for f in problems:
        f.rectification_item_id = item.id
    audit("zone.rectification", unit_id=county.id, object_type="inspection_pairs", object_id=pair.id,
          detail={"item": item.id, "problems": len(problems)})
    return item


def close_round(round_: InspectionRound, *, expected_version: int | None = None) -> None:
    """End a round: its read grants end at once."""
    check_version(round_, expected_version)
    if round_.state == "closed":
        return
    round_.state = "closed"
    for grant in db.session.scalars(select(CrossGrant).where(CrossGrant.round_id == round_.id,
                                                             CrossGrant.revoked_at.is_(None))):
        revoke_grant(grant, _("交叉检查已结束"))
    audit("zone.round_close", unit_id=round_.unit_id, object_type="inspection_rounds", object_id=round_.id)
