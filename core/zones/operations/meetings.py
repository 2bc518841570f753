"""Joint meetings (联席会议) of a zone: the current convener calls one, records its minutes and decisions, and
the county turns a decision into tasks (supervision items) for the members it names."""
from __future__ import annotations

from flask_babel import gettext as _

from core import calendar, context
from core.audit.operations import record as audit
from core.errors import InvalidInput, add_error
from core.extensions import db
from core.inbox import operations as inbox
from core.inbox.models import InboxKind
from core.models import check_version
from core.supervision import operations as supervision_ops
from core.supervision.models import ItemKind
from core.zones import queries
from core.zones.models import JointMeeting, MeetingDecision, Zone
from core.zones.operations.common import int_ids, parse_day
from tenants.models import Role, Unit


def schedule_meeting(zone: Zone, convener: Unit, *, title: str, held_on, place: str = "", agenda: str = "",
                     attendee_unit_ids=None) -> JointMeeting:
    """The current convener calls a joint meeting of the zone."""
    errors: dict[str, list[str]] = {}
    term = queries.current_term(zone)
    if term is None or term.unit_id != convener.id:
        add_error(errors, "_schema", _("只有本期召集人可以召集联席会议"))
    title = (title or "").strip()
    if not title or len(title) > 200:
        add_error(errors, "title", _("会议名称不能为空，最长 200 个字"))
    day = parse_day(held_on, errors, "held_on", _("会议日期"))
    if not (agenda or "").strip():
        add_error(errors, "agenda", _("请填写会议议程"))
    attendees = queries.default_attendees(zone)
    if attendee_unit_ids is not None:
        chosen = set(int_ids(attendee_unit_ids))
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
    for member in queries.current_members(zone):
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
    members = {m.unit_id for m in queries.current_members(zone)}
    cleaned = []
    for i, d in enumerate(decisions or [], start=1):
        text = (d.get("text") or "").strip()
        if not text:
            continue
        unit_ids = int_ids(d.get("unit_ids"))
        if any(u not in members for u in unit_ids):
            add_error(errors, f"decisions.{i}", _("第 %(n)s 项决定：落实单位须是本协作区成员", n=i))
        due = None
        if d.get("due_on"):
            due = parse_day(d.get("due_on"), errors, f"decisions.{i}", _("第 %(n)s 项决定的完成期限", n=i))
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
