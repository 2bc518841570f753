"""Every write of leads (问题线索): registration (also from a petition), the four ways of disposal, the overdue
scan; each audited, each moving the unit's figures in the same transaction, and ``recount`` counting them again
from the records (the nightly reconcile)."""
from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from core import calendar, context, dictionaries
from core.audit.operations import record
from core.crypto import name_key
from core.errors import InvalidInput, add_error
from core.extensions import db
from core.handlers import operations as handler_ops
from core.inbox import operations as inbox
from core.inbox.models import InboxKind
from core.clearing import operations as clearing_ops
from core.clock import utcnow
from core.errors import Conflict
from core.identity.models import Account
from core.leads.models import (ASSESSMENT_LABELS, RECOMMENDATION_LABELS, SOURCE_LABELS, Form, Lead, LeadPerson,
                               LeadReport, LeadReportSetting, LeadTrackDecision, PersonLevel, Source, TalkKind)
from core.leads.queries import lead_of_petition
from core.leads.workflow import (ASSIST_SHARE, DEFAULT_DUE_DAY, DISPOSAL_WORKDAYS, JOINT_SHARE, LEAD_FLOW,
                                 NEEDS_APPROVAL, OPEN, REPORT_FLOW, REPORT_SHARE, REPORTED, SHARE_STEPS, TRACKS,
                                 WAYS)
from core.models import check_version
from core.numbering import next_number
from core.petitions.models import AccusedLevel, Petition
from core.petitions.operations import without_accused
from tenants import operations as tenancy_ops
from tenants.models import Membership, Role, Share, Unit, UnitLevel, UnitStat
from tenants.stats import with_coarser_keys

SERIES = "lead"
MAX_PERSONS = 20
TEXT_LIMIT = 5000
# A converted petition's accused, by rank (a province-level cadre is no township's or county's lead).
LEVEL_FROM_PETITION = {AccusedLevel.VILLAGE: PersonLevel.VILLAGE, AccusedLevel.TOWNSHIP: PersonLevel.TOWNSHIP,
                       AccusedLevel.COUNTY: PersonLevel.COUNTY, AccusedLevel.CITY: PersonLevel.CITY}
# A petition routed down is handled (and converted) by the unit it went to.
NOT_CONVERTIBLE = ("routed", "routed_done")


def _parse_date(value) -> date | None:
    if isinstance(value, date) or value is None:
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _party(value) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    return {"1": True, "true": True, "yes": True, "是": True, "0": False, "false": False, "no": False,
            "否": False}.get(str(value).strip().lower())


def _clean_persons(raw_persons, errors: dict) -> list[dict]:
    persons = []
    for i, raw in enumerate(raw_persons or []):
        raw = raw if isinstance(raw, dict) else {}
        person = {k: str(raw.get(k) or "").strip() for k in ("name", "position", "work_unit", "level")}
        if not any(person.values()):
            continue  # an empty row of the form
        if not person["name"]:
            add_error(errors, f"persons.{i}.name", _("请填写第 %(n)s 位被反映人的姓名", n=i + 1))
        elif len(person["name"]) > 50:
            add_error(errors, f"persons.{i}.name", _("被反映人姓名不能超过 50 个字"))
        for field, label in (("position", _("职务")), ("work_unit", _("单位"))):
            if len(person[field]) > 100:
                add_error(errors, f"persons.{i}.{field}", _("被反映人%(label)s不能超过 100 个字", label=label))
        if person["level"] not in PersonLevel.__members__.values():
            add_error(errors, f"persons.{i}.level", _("请选择第 %(n)s 位被反映人的级别", n=i + 1))
        person["party_member"] = _party(raw.get("party_member"))
        persons.append(person)
    if not persons:
        add_error(errors, "persons", _("请至少填写一位被反映人"))
    elif len(persons) > MAX_PERSONS:
        add_error(errors, "persons", _("被反映人不能超过 %(n)s 位", n=MAX_PERSONS))
    return persons


def clean_registration(raw: dict, *, source_fixed: str | None = None) -> tuple[dict, list[dict]]:
    """Validate one lead's fields (a form or the API) without writing anything: its columns and its persons;
    raises InvalidInput with every field's error. A petition becomes a lead only by conversion."""
    errors: dict[str, list[str]] = {}
    source = source_fixed or str(raw.get("source") or "")
    if (source not in SOURCE_LABELS.codes() and source != source_fixed) or (source == Source.PETITION
                                                                           and source_fixed is None):
        add_error(errors, "source", _("请选择线索来源（%(choices)s；信访举报件请在该件页面转为线索）", choices="、".join(
            label for code, label in SOURCE_LABELS.items() if code != Source.PETITION)))
    source_note = str(raw.get("source_note") or "").strip()
    if len(source_note) > 200:
        add_error(errors, "source_note", _("来源说明不能超过 200 个字"))
    received = _parse_date(raw.get("received_on"))
    if received is None:
        add_error(errors, "received_on", _("请填写收到日期（如 2026-03-01）"))
    elif received > calendar.today():
        add_error(errors, "received_on", _("收到日期不能晚于今天"))
    persons = _clean_persons(raw.get("persons"), errors)
    summary = str(raw.get("summary") or "").strip()
    for person in persons:
        summary = without_accused(summary, person["name"])
    if not summary:
        add_error(errors, "summary", _("请填写问题线索摘要"))
    elif len(summary) > 300:
        add_error(errors, "summary", _("问题线索摘要不能超过 300 个字"))
    if errors:
        raise InvalidInput(errors)
    return dict(source=source, source_note=source_note, received_on=received, summary=summary), persons


def _disposal_deadline(received_on: date) -> date:
    return calendar.add_workdays(received_on, current_app.config.get("LEAD_DISPOSAL_WORKDAYS", DISPOSAL_WORKDAYS))


def register_lead(unit: Unit, raw: dict, *, petition: Petition | None = None) -> Lead:
    """Validate everything, number the lead, seal its persons, name the registering officer its handler; audited
    and counted. ``petition``: the unit's own petition the lead is converted from (its informant stays there)."""
    columns, persons = clean_registration(raw, source_fixed=Source.PETITION if petition is not None else None)
    year = calendar.today().year
    seq, number = next_number(unit, SERIES, year)
    lead = Lead(unit_id=unit.id, unit_path=unit.path, year=year, seq=seq, number=number, state="registered",
                due_on=_disposal_deadline(columns["received_on"]), registered_by_id=context.current().account_id,
                petition_id=getattr(petition, "id", None),
                # 一个漏斗 sorts a township's leads; a county's or city's own lead has no track.
                track="township" if unit.level == UnitLevel.TOWNSHIP else "", **columns)
    db.session.add(lead)
    db.session.flush()
    for i, person in enumerate(persons):
        row = LeadPerson(unit_id=unit.id, unit_path=unit.path, lead_id=lead.id, position_order=i,
                         level=person["level"], party_member=person["party_member"], name_key=name_key(person["name"]))
        row.person_name, row.person_position, row.person_work_unit = (person["name"], person["position"],
                                                                      person["work_unit"])
        db.session.add(row)
    db.session.flush()
    db.session.expire(lead, ["persons"])
    LEAD_FLOW.begin(lead, detail={"number": number, "source": lead.source})
    dictionaries.note_use(SOURCE_LABELS.name, lead.source)  # an added source in use: no longer removable
    handler_ops.assign_at_registration(lead, unit)
    tenancy_ops.bump_stat(unit, "leads.open", 1)
    tenancy_ops.bump_stat(unit, "leads.received", 1)
    tenancy_ops.bump_stat(unit, "leads.received", 1, lead.received_on.isoformat())
    tenancy_ops.bump_stat(unit, f"leads.source.{lead.source}", 1)
    if lead.track:
        tenancy_ops.bump_stat(unit, f"leads.track.{lead.track}", 1)
    refresh_report_late(unit, calendar.today())
    record("lead.register", unit_id=unit.id, object_type="leads", object_id=lead.id,
           detail={"number": number, "source": lead.source, "persons": len(persons),
                   **({"petition": petition.number} if petition is not None else {})})
    return lead


def convert_petition(petition: Petition, unit: Unit) -> Lead:
    """问题线索 from one of the unit's petitions: the matter and the accused travel, the informant never does (a
    lead has no informant field); the petition's page links to the lead, the lead to the petition."""
    if petition.unit_id != unit.id:
        raise InvalidInput({"_schema": [_("只能将本单位的信访举报件转为问题线索")]})
    if petition.state in NOT_CONVERTIBLE:
        raise InvalidInput({"_schema": [_("该件已转交下级办理，由承办单位转为问题线索")]})
    if lead_of_petition(petition) is not None:
        raise InvalidInput({"_schema": [_("该件已转为问题线索")]})
    level = LEVEL_FROM_PETITION.get(petition.accused_level, "") if petition.accused_level else ""
    raw = {"received_on": calendar.today(), "summary": petition.summary, "source_note": petition.number,
           "persons": [{"name": petition.accused_name, "position": petition.accused_position,
                        "work_unit": petition.accused_work_unit, "level": level or PersonLevel.STAFF,
                        "party_member": petition.accused_party_member}]}
    return register_lead(unit, raw, petition=petition)


# ---------------------------------------------------------------- the four ways of disposal (四种处置方式)


def _text(data: dict, field: str, message: str, errors: dict) -> str:
    value = str(data.get(field) or "").strip()
    if not value:
        add_error(errors, field, message)
    elif len(value) > TEXT_LIMIT:
        add_error(errors, field, _("不能超过 %(n)s 个字", n=TEXT_LIMIT))
    return value


def _clean_form(data: dict, errors: dict, default: str | None = None) -> str | None:
    form = str(data.get("form") or "") or default
    if form and form not in Form.__members__.values():
        add_error(errors, "form", _("请选择四种形态之一（第一种至第四种形态）"))
    return form or None


def _clean_disposal(lead: Lead, way: str, data: dict) -> tuple[dict, str | None, date, date | None]:
    """The way's own fields, its form (四种形态), the day of the disposal and (暂存待查) the review date."""
    errors: dict[str, list[str]] = {}
    today = calendar.today()
    disposed_on = _parse_date(data.get("disposed_on") or today)
    if disposed_on is None:
        add_error(errors, "disposed_on", _("处置日期不是有效日期"))
    elif disposed_on > today or disposed_on < lead.received_on:
        add_error(errors, "disposed_on", _("处置日期应在收到日期与今天之间"))
    fields: dict = {}
    review_on = None
    form = None
    if way == "talk":
        kind = str(data.get("kind") or "")
        if kind not in TalkKind.__members__.values():
            add_error(errors, "kind", _("请选择谈话或函询"))
        fields = {"kind": kind,
                  "content": _text(data, "content", _("请填写谈话或函询的情况（时间、地点、谈话人或函询内容）"), errors),
                  "reply": _text(data, "reply", _("请填写被反映人的说明情况（谈话回应或函询回复）"), errors)}
        assessment = str(data.get("assessment") or "")
        if assessment not in ASSESSMENT_LABELS:
            add_error(errors, "assessment", _("请选择对说明情况的评估"))
        fields["assessment"] = assessment
        form = _clean_form(data, errors, default=Form.FIRST if assessment == "reminded" else None)
    elif way == "verify":
        fields = {"report": _text(data, "report", _("请填写初步核实情况报告"), errors)}
        recommendation = str(data.get("recommendation") or "")
        if recommendation not in RECOMMENDATION_LABELS:
            add_error(errors, "recommendation", _("请选择处置建议（建议立案或建议予以了结）"))
        fields["recommendation"] = recommendation
        form = _clean_form(data, errors)
    elif way == "shelve":
        fields = {"reason": _text(data, "reason", _("请填写暂存待查的理由"), errors)}
        review_on = _parse_date(data.get("review_on") or None)
        if review_on is None:
            add_error(errors, "review_on", _("请填写再次研判的日期"))
        elif review_on <= today:
            add_error(errors, "review_on", _("再次研判的日期应晚于今天"))
        else:
            fields["review_on"] = review_on.isoformat()
    else:  # close
        fields = {"reason": _text(data, "reason", _("请填写予以了结的理由"), errors)}
        unfounded = _party(data.get("unfounded"))
        if data.get("unfounded") not in (None, "") and unfounded is None:
            add_error(errors, "unfounded", _("请选择是否反映失实"))
        fields["unfounded"] = bool(unfounded)
        form = _clean_form(data, errors)
    if errors:
        raise InvalidInput(errors)
    return fields, form, disposed_on, review_on


def dispose(lead: Lead, way: str, data: dict, *, expected_version: int | None = None) -> None:
    """Dispose of the lead in one of the four ways (the caller has checked who may: 予以了结 is a leader's).
    Everything is validated first; a refused disposal saves nothing. A shelved lead (or a talk not believed) is
    disposed of again: the figures then count the disposal in force."""
    check_version(lead, expected_version)
    if way not in WAYS:
        raise InvalidInput({"transition": [_("没有这种处置方式")]})
    if way not in {t.name for t in LEAD_FLOW.available(lead)}:
        raise LEAD_FLOW.not_now(lead, way)
    fields, form, disposed_on, review_on = _clean_disposal(lead, way, data)
    unit = db.session.get(Unit, lead.unit_id)
    was_open, old_way, old_form, old_on = lead.state in OPEN, lead.way, lead.form, lead.disposed_on
    lead.way, lead.form, lead.disposed_on, lead.disposal = way, form, disposed_on, fields
    if review_on is not None:
        lead.due_on = review_on
    LEAD_FLOW.apply(lead, way, reason=fields.get("reason"),
                    detail={k: v for k, v in {"form": form, "assessment": fields.get("assessment"),
                                              "recommendation": fields.get("recommendation"),
                                              "review_on": fields.get("review_on")}.items() if v})
    if old_way:
        tenancy_ops.bump_stat(unit, f"leads.disposed.{old_way}", -1)
        tenancy_ops.bump_stat(unit, f"leads.disposed.{old_way}", -1, old_on.isoformat())
    if old_form:
        tenancy_ops.bump_stat(unit, f"leads.form.{old_form}", -1)
    tenancy_ops.bump_stat(unit, f"leads.disposed.{way}", 1)
    tenancy_ops.bump_stat(unit, f"leads.disposed.{way}", 1, disposed_on.isoformat())
    if form:
        tenancy_ops.bump_stat(unit, f"leads.form.{form}", 1)
    if was_open and lead.state not in OPEN:
        tenancy_ops.bump_stat(unit, "leads.open", -1)
    inbox.close("leads", lead.id, unit_id=lead.unit_id, key_prefix=f"lead:{lead.id}:")
    if way == "close" and fields.get("unfounded"):
        _to_clearing_pool(lead, unit)
    refresh_overdue(unit, calendar.today())  # the workflow step is the audit event (leads.<way>)
    refresh_report_late(unit, calendar.today())


def _to_clearing_pool(lead: Lead, unit: Unit) -> None:
    """予以了结 as 反映失实: each person concerned enters the clearing pool (澄清正名), as the accused of a petition
    concluded 不属实 does; the candidate names the lead by its number."""
    for person in lead.persons:
        clearing_ops.record_candidate(unit, {
            "reference": lead.number, "concluded_on": lead.disposed_on, "person_name": person.person_name,
            "person_position": person.person_position,
            "person_work_unit": person.person_work_unit or _("（未注明单位）"),
            "accusation": lead.summary, "finding": (lead.disposal or {}).get("reason", "")})


# ---------------------------------------------------------------- deadlines, figures


def _overdue_clause(today: date):
    return Lead.state.in_(OPEN) & (Lead.due_on < today)


def refresh_overdue(unit: Unit, today: date) -> None:
    """One unit's ``leads.overdue``, recounted (after a disposal; the reporting refresh of units that moved). Counted
    as the unit itself: a county acting on a township's lead through a share sees only the shared ones."""
    with context.writing_as(unit.id, unit.path):
        n = db.session.scalar(select(func.count(Lead.id)).where(Lead.unit_id == unit.id, _overdue_clause(today)))
    tenancy_ops.set_stat(unit, "leads.overdue", n)


def scan_overdue(today: date) -> dict[str, int]:
    """Warn in the inbox of every lead past its disposal deadline (or its review date, when shelved): to its
    handler, else to the unit's leaders; once per deadline. Then each unit's ``leads.overdue``, recounted."""
    posted = 0
    for lead in db.session.scalars(select(Lead).where(_overdue_clause(today)).order_by(Lead.id)):
        unit = db.session.get(Unit, lead.unit_id)
        title = (_("问题线索暂存待查已到再次研判日期：%(n)s", n=lead.number) if lead.state == "shelved"
                 else _("问题线索逾期未处置：%(n)s", n=lead.number))
        posted += inbox.post(unit, f"lead:{lead.id}:overdue:{lead.due_on.isoformat()}", kind=InboxKind.OVERDUE,
                             object_type="leads", object_id=lead.id, due_on=lead.due_on, title=title,
                             account_id=lead.handler_id, roles=() if lead.handler_id else (Role.LEADER.value,))
    units = set(db.session.scalars(select(Lead.unit_id).where(_overdue_clause(today))))
    units |= set(db.session.scalars(select(UnitStat.unit_id).where(
        UnitStat.metric == "leads.overdue", UnitStat.period == "", UnitStat.value != 0)))
    for unit_id in sorted(units):
        refresh_overdue(db.session.get(Unit, unit_id), today)
    return {"warned": posted, "units": len(units)}


def recount(unit: Unit, today: date) -> dict[tuple[str, str], int]:
    """The unit's lead figures counted from its records: what the stats rows must hold (the nightly reconcile)."""
    figures: Counter = Counter()
    rows = db.session.execute(select(Lead.state, Lead.source, Lead.received_on, Lead.due_on, Lead.way, Lead.form,
                                     Lead.disposed_on, Lead.track, Lead.origin_id).where(Lead.unit_id == unit.id))
    for state, source, received_on, due_on, way, form, disposed_on, track, origin_id in rows:
        if origin_id is None:  # a county's lead taken over from a township was received there, and counts there
            figures[("leads.received", "")] += 1
            figures[("leads.received", received_on.isoformat())] += 1
            figures[(f"leads.source.{source}", "")] += 1
            if track:
                figures[(f"leads.track.{track}", "")] += 1
        if state in OPEN:
            figures[("leads.open", "")] += 1
            if due_on is not None and due_on < today:
                figures[("leads.overdue", "")] += 1
        if way:
            figures[(f"leads.disposed.{way}", "")] += 1
            figures[(f"leads.disposed.{way}", disposed_on.isoformat())] += 1
        if form:
            figures[(f"leads.form.{form}", "")] += 1
    for first_on, late in db.session.execute(select(LeadReport.first_submitted_on, LeadReport.submitted_late)
                                             .where(LeadReport.unit_id == unit.id)):
        figures[("leads.reports.submitted", first_on.isoformat())] += 1
        if late:
            figures[("leads.reports.submitted_late", first_on.isoformat())] += 1
    if report_late(unit, today):
        figures[("leads.reports.late", "")] = 1
    return with_coarser_keys(figures)


# ---------------------------------------------------------------- the monthly report to the county (月报备)
#
# A township reports each month's leads (received or disposed of in the month) to its county by day D of the next
# month (D: the county's setting, default 20, "每月20日前"). A month owes a report once it is over and lists a lead;
# the township is late (``leads.reports.late`` = 1) while the report of the last month whose due day has passed is
# missing (never submitted, or sent back and not yet resubmitted). The report is generated from the registry and
# frozen at submission; submitting shares the listed leads (and their persons) with the county, read-only.


def county_of(unit: Unit) -> Unit | None:
    """The county a township reports to (its parent), else None."""
    if unit.level != UnitLevel.TOWNSHIP or unit.parent_id is None:
        return None
    parent = db.session.get(Unit, unit.parent_id)
    return parent if parent is not None and parent.level == UnitLevel.COUNTY else None


def setting_of(county: Unit) -> LeadReportSetting | None:
    return db.session.scalar(select(LeadReportSetting).where(LeadReportSetting.unit_id == county.id))


def due_day_of(county: Unit) -> int:
    setting = setting_of(county)
    return setting.due_day if setting is not None else DEFAULT_DUE_DAY


def set_due_day(county: Unit, raw, *, expected_version: int | None = None) -> LeadReportSetting:
    """The county's case admin or leader sets the day of the next month by which reports are due (1–28)."""
    try:
        day = int(str(raw).strip())
    except (TypeError, ValueError):
        day = 0
    if not 1 <= day <= 28:
        raise InvalidInput({"due_day": [_("报备截止日应为 1 至 28 之间的整数")]})
    setting = setting_of(county)
    old = setting.due_day if setting is not None else DEFAULT_DUE_DAY
    if setting is None:
        setting = LeadReportSetting(unit_id=county.id, unit_path=county.path, due_day=day)
        db.session.add(setting)
    else:
        check_version(setting, expected_version)
        setting.due_day = day
    setting.updated_by_id = context.current().account_id
    db.session.flush()
    today = calendar.today()
    for township in db.session.scalars(select(Unit).where(Unit.parent_id == county.id,
                                                          Unit.level == UnitLevel.TOWNSHIP)).all():
        refresh_report_late(township, today)  # a new due day may make a township late, or no longer
    record("lead_report.due_day", unit_id=county.id, object_type="lead_report_settings", object_id=setting.id,
           detail={"from": old, "to": day})
    return setting


def parse_period(text) -> str | None:
    text = str(text or "").strip()
    try:
        year, month = text.split("-")
        if len(year) == 4 and len(month) == 2 and 1 <= int(month) <= 12 and 2000 <= int(year) <= 2100:
            return text
    except ValueError:
        pass
    return None


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def period_bounds(period: str) -> tuple[date, date]:
    year, month = (int(p) for p in period.split("-"))
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def previous_period(period: str) -> str:
    return period_of(period_bounds(period)[0] - timedelta(days=1))


def due_date(period: str, due_day: int) -> date:
    """The report of month M is due on day D of month M+1 (submitted that day is on time)."""
    after = period_bounds(period)[1] + timedelta(days=1)
    return after.replace(day=due_day)


def last_due_period(today: date, due_day: int) -> str:
    """The latest month whose report's due day is past."""
    period = previous_period(period_of(today))
    while due_date(period, due_day) >= today:
        period = previous_period(period)
    return period


def _month_leads(unit: Unit, period: str) -> list[Lead]:
    first, last = period_bounds(period)
    return list(db.session.scalars(select(Lead).where(
        Lead.unit_id == unit.id, Lead.origin_id.is_(None),
        ((Lead.received_on >= first) & (Lead.received_on <= last))
        | ((Lead.disposed_on >= first) & (Lead.disposed_on <= last))).order_by(Lead.year, Lead.seq)))


def owes(unit: Unit, period: str) -> bool:
    """Does the month list a lead (so a report is owed)? A count only, made as the township itself: the county's
    grid and its writes ask it of leads not (yet) shared with it."""
    first, last = period_bounds(period)
    with context.writing_as(unit.id, unit.path):
        return db.session.scalar(select(func.count(Lead.id)).where(
            Lead.unit_id == unit.id, Lead.origin_id.is_(None),
            ((Lead.received_on >= first) & (Lead.received_on <= last))
            | ((Lead.disposed_on >= first) & (Lead.disposed_on <= last)))) > 0


def build_report(unit: Unit, period: str) -> dict:
    """The month's report generated from the registry (never typed): the counts and the list of leads."""
    first, last = period_bounds(period)
    counts = {"received": 0, "disposed": 0, "by_source": Counter(), "by_way": Counter(), "by_form": Counter()}
    rows = []
    for lead in _month_leads(unit, period):
        received = first <= lead.received_on <= last
        disposed = lead.disposed_on is not None and first <= lead.disposed_on <= last
        if received:
            counts["received"] += 1
            counts["by_source"][lead.source] += 1
        if disposed:
            counts["disposed"] += 1
            counts["by_way"][lead.way] += 1
            if lead.form:
                counts["by_form"][lead.form] += 1
        rows.append({"id": lead.id, "number": lead.number, "received_on": lead.received_on.isoformat(),
                     "source": lead.source, "summary": lead.summary, "state": lead.state, "way": lead.way or "",
                     "form": lead.form or "", "disposed_on": lead.disposed_on.isoformat() if lead.disposed_on else "",
                     "received_in_month": received, "disposed_in_month": disposed,
                     "persons": [{"name": p.person_name, "position": p.person_position, "level": p.level}
                                 for p in lead.persons]})
    counts = {k: dict(v) if isinstance(v, Counter) else v for k, v in counts.items()}
    return {"period": period, "counts": counts, "leads": rows}


def report_of(unit: Unit, period: str) -> LeadReport | None:
    return db.session.scalar(select(LeadReport).where(LeadReport.unit_id == unit.id, LeadReport.period == period))


def snapshot_of(report: LeadReport) -> list[dict]:
    return json.loads(report.snapshot_text) if report.snapshot_text else []


def _share_to(lead: Lead, owner: Unit, purpose: str, transitions: tuple[str, ...] = (), *,
              grantee_unit: Unit | None = None, grantee_account: Account | None = None, reason: str | None = None):
    """Share one lead and its persons (their rows are read through shares of their own) unless an active share
    of the same purpose already names the grantee. Written as the owner (a county deciding on a township's lead
    makes the township's share: its row, RLS admits the owner's own)."""
    with context.writing_as(owner.id, owner.path):
        existing = db.session.scalar(select(Share).where(
            Share.object_type == "leads", Share.object_id == lead.id, Share.purpose == purpose,
            Share.revoked_at.is_(None), Share.grantee_unit_id == getattr(grantee_unit, "id", None),
            Share.grantee_account_id == getattr(grantee_account, "id", None)).limit(1))
        if existing is not None:
            return existing
        share = tenancy_ops.grant_share("leads", lead.id, owner, purpose=purpose, grantee_unit=grantee_unit,
                                        grantee_account=grantee_account, transitions=transitions, reason=reason)
        for person in lead.persons:
            tenancy_ops.grant_share("lead_persons", person.id, owner, purpose=purpose, grantee_unit=grantee_unit,
                                    grantee_account=grantee_account, reason=reason)
        db.session.flush()
    return share


def _revoke_shares(lead: Lead, purpose: str, reason: str) -> None:
    persons = [p.id for p in lead.persons]
    with context.writing_as(lead.unit_id, lead.unit_path):
        for share in db.session.scalars(select(Share).where(
                Share.unit_id == lead.unit_id, Share.revoked_at.is_(None), Share.purpose == purpose,
                ((Share.object_type == "leads") & (Share.object_id == lead.id))
                | ((Share.object_type == "lead_persons") & Share.object_id.in_(persons or [0])))).all():
            tenancy_ops.revoke_share(share, reason)
        db.session.flush()


def submit_report(unit: Unit, period_raw, *, expected_version: int | None = None,
                  submitted_on: date | None = None) -> LeadReport:
    """The township's leader submits the month's report (or resubmits one sent back): frozen as generated now,
    the listed leads shared with the county read-only, the county's case admin told in the inbox.
    ``submitted_on``: the day of a first submission made earlier (the demo's past months), else today."""
    county = county_of(unit)
    if county is None:
        raise InvalidInput({"_schema": [_("只有县（市、区）下属的乡镇纪委需要向县纪委监委报备问题线索")]})
    period = parse_period(period_raw)
    today = calendar.today()
    if period is None:
        raise InvalidInput({"period": [_("请填写报备月份（如 2026-11）")]})
    if period >= period_of(today):
        raise InvalidInput({"period": [_("该月尚未结束，月满后再报备")]})
    day = min(submitted_on or today, today)
    report = report_of(unit, period)
    if report is not None and report.state in REPORTED:
        raise Conflict(_("%(p)s 的问题线索已报备", p=period), detail={"current_state": report.state})
    check_version(report, expected_version) if report is not None else None
    built = build_report(unit, period)
    now = utcnow()
    if report is None:
        due = due_date(period, due_day_of(county))
        report = LeadReport(unit_id=unit.id, unit_path=unit.path, county_id=county.id, period=period,
                            state="submitted", due_on=due, first_submitted_on=day, submitted_late=day > due,
                            submitted_at=now, submitted_by_id=context.current().account_id,
                            counts=built["counts"], lead_ids=[r["id"] for r in built["leads"]])
        report.snapshot_text = json.dumps(built["leads"], ensure_ascii=False)
        db.session.add(report)
        db.session.flush()
        REPORT_FLOW.begin(report, counterpart_unit_id=county.id, detail={"leads": len(built["leads"])})
        tenancy_ops.bump_stat(unit, "leads.reports.submitted", 1, day.isoformat())
        if report.submitted_late:
            tenancy_ops.bump_stat(unit, "leads.reports.submitted_late", 1, day.isoformat())
    else:
        report.counts, report.lead_ids = built["counts"], [r["id"] for r in built["leads"]]
        report.snapshot_text = json.dumps(built["leads"], ensure_ascii=False)
        report.submitted_at, report.submitted_by_id = now, context.current().account_id
        REPORT_FLOW.apply(report, "resubmit", counterpart_unit_id=county.id, detail={"leads": len(built["leads"])})
        inbox.close("lead_reports", report.id, unit_id=unit.id)
    for lead in _month_leads(unit, period):
        _share_to(lead, unit, REPORT_SHARE, grantee_unit=county, reason=_("%(p)s 问题线索月报备", p=period))
    inbox.post(county, f"lead-report:{report.id}:submitted:{report.version}", kind=InboxKind.TASK,
               object_type="lead_reports", object_id=report.id, roles=(Role.CASE_ADMIN.value,),
               title=_("问题线索月报备待签收：%(u)s %(p)s", u=unit.name, p=period))
    inbox.close("lead_reports_late", unit.id, unit_id=county.id, key_prefix=f"lead-report-late:{unit.id}:{period}")
    refresh_report_late(unit, today)
    return report


def receive_report(report: LeadReport, county: Unit, *, expected_version: int | None = None) -> None:
    """签收: the county's case admin receives the report."""
    check_version(report, expected_version)
    if report.county_id != county.id:
        raise InvalidInput({"_schema": [_("只能签收本县下属乡镇的月报备")]})
    REPORT_FLOW.apply(report, "receive", counterpart_unit_id=county.id)
    report.received_at, report.received_by_id = utcnow(), context.current().account_id
    inbox.close("lead_reports", report.id, unit_id=county.id)


def send_back_report(report: LeadReport, county: Unit, reason, *, expected_version: int | None = None) -> None:
    """退回: the county sends the report back with a reason; the township resubmits (its leader is told)."""
    check_version(report, expected_version)
    if report.county_id != county.id:
        raise InvalidInput({"_schema": [_("只能退回本县下属乡镇的月报备")]})
    reason = str(reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [_("请填写退回理由")]})
    if len(reason) > TEXT_LIMIT:
        raise InvalidInput({"reason": [_("不能超过 %(n)s 个字", n=TEXT_LIMIT)]})
    REPORT_FLOW.apply(report, "send_back", reason=reason, counterpart_unit_id=county.id)
    report.return_reason = reason
    inbox.close("lead_reports", report.id, unit_id=county.id)
    township = db.session.get(Unit, report.unit_id)
    inbox.post(township, f"lead-report:{report.id}:returned:{report.version}", kind=InboxKind.TASK,
               object_type="lead_reports", object_id=report.id, roles=(Role.LEADER.value,),
               title=_("问题线索月报备被退回，请重新报备：%(p)s", p=report.period))
    refresh_report_late(township, calendar.today())


def report_late(unit: Unit, today: date) -> bool:
    """Is the township late: the last month whose due day is past lists a lead and its report is not held?"""
    county = county_of(unit)
    if county is None:
        return False
    period = last_due_period(today, due_day_of(county))
    if not owes(unit, period):
        return False
    report = report_of(unit, period)
    return report is None or report.state not in REPORTED


def refresh_report_late(unit: Unit, today: date) -> None:
    """The township's ``leads.reports.late`` (1 while its due report is missing), recounted."""
    if unit.level == UnitLevel.TOWNSHIP:
        tenancy_ops.set_stat(unit, "leads.reports.late", 1 if report_late(unit, today) else 0)


def scan_reports(today: date) -> dict[str, int]:
    """Every county's townships whose due report is missing: named in the county case admin's inbox (once per
    township and month) and counted (``leads.reports.late``)."""
    named = 0
    townships = list(db.session.scalars(select(Unit).where(Unit.level == UnitLevel.TOWNSHIP,
                                                           Unit.archived_at.is_(None)).order_by(Unit.id)))
    for unit in townships:
        late = report_late(unit, today)
        refresh_report_late(unit, today)
        if late:
            county = county_of(unit)
            period = last_due_period(today, due_day_of(county))
            named += inbox.post(county, f"lead-report-late:{unit.id}:{period}", kind=InboxKind.OVERDUE,
                                object_type="lead_reports_late", object_id=unit.id, roles=(Role.CASE_ADMIN.value,),
                                due_on=due_date(period, due_day_of(county)),
                                title=_("乡镇逾期未报备问题线索：%(u)s %(p)s", u=unit.name, p=period))
    return {"named": named, "townships": len(townships)}


# ---------------------------------------------------------------- one funnel (一个漏斗)


def _staff(county: Unit, raw_ids, errors: dict) -> list[int]:
    """县镇合办: the named county staff, each a leader or officer of the county (they act on the lead)."""
    ids = []
    for raw in raw_ids or []:
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            add_error(errors, "staff_ids", _("请选择本县纪委监委的办案人员"))
            return []
    ids = sorted(set(ids))
    if not ids:
        add_error(errors, "staff_ids", _("县镇合办须指定至少一名县纪委监委的办案人员"))
        return []
    valid = set(db.session.scalars(select(Membership.account_id).where(
        Membership.unit_id == county.id, Membership.account_id.in_(ids), Membership.ended_at.is_(None),
        Membership.role.in_((Role.LEADER.value, Role.OFFICER.value)))))
    if set(ids) - valid:
        add_error(errors, "staff_ids", _("所选人员须为本县纪委监委的领导或办案人员"))
    return ids


def pending_decision(lead: Lead) -> LeadTrackDecision | None:
    return db.session.scalar(select(LeadTrackDecision).where(LeadTrackDecision.lead_id == lead.id,
                                                             LeadTrackDecision.status == "pending"))


def _decided(lead: Lead) -> bool:
    """Has the funnel decided the lead's track (a decision in force)? A first decision may confirm 镇案镇办."""
    return db.session.scalar(select(LeadTrackDecision.id).where(
        LeadTrackDecision.lead_id == lead.id, LeadTrackDecision.status == "in_force").limit(1)) is not None


def decide_track(lead: Lead, county: Unit, raw: dict) -> LeadTrackDecision:
    """The county's case admin assigns a reported lead its track, with a reason: 镇案镇办 takes effect at once;
    县领办 and 县镇合办 wait for the county leader's approval. A new decision replaces a pending one."""
    errors: dict[str, list[str]] = {}
    track = str(raw.get("track") or "")
    if track not in TRACKS:
        add_error(errors, "track", _("请选择办理方式（镇案镇办、县领办或县镇合办）"))
    reason = str(raw.get("reason") or "").strip()
    if not reason:
        add_error(errors, "reason", _("请填写分派理由"))
    elif len(reason) > 1000:
        add_error(errors, "reason", _("分派理由不能超过 1000 个字"))
    staff = _staff(county, raw.get("staff_ids"), errors) if track == "joint" else []
    township = db.session.get(Unit, lead.unit_id)
    if township.parent_id != county.id or lead.origin_id is not None:
        add_error(errors, "_schema", _("只能分派本县下属乡镇报备的问题线索"))
    elif lead.state == "transferred":
        add_error(errors, "track", _("该线索已移交县纪委领办，办理方式不能再改变"))
    elif lead.state == "closed":
        add_error(errors, "track", _("该线索已予以了结，无需分派"))
    elif track == "county_led" and lead.state not in OPEN:
        add_error(errors, "track", _("该线索已由乡镇处置（%(s)s），不能再移交县纪委领办；需要县纪委力量参与的，可选择县镇合办",
                                     s=lead.state_label))
    elif track == lead.track and track != "joint" and pending_decision(lead) is None and _decided(lead):
        add_error(errors, "track", _("与现行办理方式相同"))
    if errors:
        raise InvalidInput(errors)
    earlier = pending_decision(lead)
    if earlier is not None:
        earlier.status = "superseded"
        inbox.close("lead_track_decisions", earlier.id, unit_id=county.id)
    decision = LeadTrackDecision(unit_id=county.id, unit_path=county.path, lead_id=lead.id,
                                 lead_unit_id=lead.unit_id, lead_number=lead.number, from_track=lead.track,
                                 track=track, reason=reason, staff_ids=staff,
                                 status="pending" if track in NEEDS_APPROVAL else "in_force",
                                 decided_by_id=context.current().account_id, decided_at=utcnow())
    db.session.add(decision)
    db.session.flush()
    record("lead.track_decide", unit_id=county.id, object_type="lead_track_decisions", object_id=decision.id,
           detail={"lead": lead.number, "from": lead.track, "to": track, "status": decision.status})
    if decision.status == "in_force":
        _take_effect(decision, lead, county)
    else:
        inbox.post(county, f"lead-track:{decision.id}:approve", kind=InboxKind.TASK,
                   object_type="lead_track_decisions", object_id=decision.id, roles=(Role.LEADER.value,),
                   title=_("一个漏斗：问题线索 %(n)s 拟%(t)s，待审批", n=lead.number, t=decision.track_label))
    return decision


def approve_decision(decision: LeadTrackDecision, county: Unit, *, approve: bool, note=None) -> None:
    """The county leader approves (the track takes effect) or rejects (with a reason) a pending decision."""
    note = str(note or "").strip()
    if decision.unit_id != county.id:
        raise InvalidInput({"_schema": [_("只能审批本县的分派决定")]})
    if decision.status != "pending":
        raise Conflict(_("该分派决定已%(s)s，无需审批", s=decision.status_label), detail={"status": decision.status})
    if not approve and not note:
        raise InvalidInput({"note": [_("请填写不予批准的理由")]})
    if len(note) > 1000:
        raise InvalidInput({"note": [_("审批意见不能超过 1000 个字")]})
    decision.approved_by_id, decision.approved_at, decision.approval_note = (
        context.current().account_id, utcnow(), note or None)
    decision.status = "in_force" if approve else "rejected"
    db.session.flush()
    record("lead.track_approve" if approve else "lead.track_reject", unit_id=county.id,
           object_type="lead_track_decisions", object_id=decision.id,
           detail={"lead": decision.lead_number, "track": decision.track})
    inbox.close("lead_track_decisions", decision.id, unit_id=county.id)
    if approve:
        lead = db.session.get(Lead, decision.lead_id)
        if lead.state in ("transferred", "closed"):
            raise Conflict(_("该线索已%(s)s，分派决定不能生效", s=lead.state_label), detail={"state": lead.state})
        _take_effect(decision, lead, county)


def _set_track(lead: Lead, unit: Unit, track: str) -> None:
    if lead.track != track:
        tenancy_ops.bump_stat(unit, f"leads.track.{lead.track}", -1)
        tenancy_ops.bump_stat(unit, f"leads.track.{track}", 1)
        lead.track = track


def _take_effect(decision: LeadTrackDecision, lead: Lead, county: Unit) -> None:
    township = db.session.get(Unit, lead.unit_id)
    decision.effective_at = utcnow()
    if decision.track != "joint" or lead.track == "joint":
        _revoke_shares(lead, JOINT_SHARE, _("办理方式改变"))
    if decision.track == "township":
        _set_track(lead, township, "township")
    elif decision.track == "joint":
        _set_track(lead, township, "joint")
        for account_id in decision.staff_ids:
            _share_to(lead, township, JOINT_SHARE, SHARE_STEPS[JOINT_SHARE][0],
                      grantee_account=db.session.get(Account, account_id), reason=_("县镇合办"))
    else:
        _take_over(lead, township, county)
    record("lead.track", unit_id=township.id, object_type="leads", object_id=lead.id,
           detail={"track": decision.track, "decision": decision.id})


def _take_over(lead: Lead, township: Unit, county: Unit) -> Lead:
    """县领办 in force: a county lead made of the township's, numbered in the county's series and linked both ways;
    the township's lead leaves its open work (移交县纪委领办) and the township assists through a share of the
    county's lead with the named steps (ASSIST_SHARE)."""
    today = calendar.today()
    year = today.year
    seq, number = next_number(county, SERIES, year)
    taken = Lead(unit_id=county.id, unit_path=county.path, year=year, seq=seq, number=number, state="registered",
                 source=lead.source, source_note=f"{township.name} {lead.number}"[:200], summary=lead.summary,
                 received_on=today, due_on=_disposal_deadline(today), registered_by_id=context.current().account_id,
                 track="county_led", origin_id=lead.id)
    db.session.add(taken)
    db.session.flush()
    for i, person in enumerate(lead.persons):
        row = LeadPerson(unit_id=county.id, unit_path=county.path, lead_id=taken.id, position_order=i,
                         level=person.level, party_member=person.party_member, name_key=person.name_key)
        row.person_name, row.person_position, row.person_work_unit = (person.person_name, person.person_position,
                                                                      person.person_work_unit)
        db.session.add(row)
    db.session.flush()
    db.session.expire(taken, ["persons"])
    LEAD_FLOW.begin(taken, detail={"number": number, "origin": lead.number})
    tenancy_ops.bump_stat(county, "leads.open", 1)
    was_open = lead.state in OPEN
    LEAD_FLOW.apply(lead, "transfer", detail={"county_lead": number})
    lead.county_lead_id = taken.id
    _set_track(lead, township, "county_led")
    if was_open:
        tenancy_ops.bump_stat(township, "leads.open", -1)
    inbox.close("leads", lead.id, unit_id=township.id)
    _share_to(taken, county, ASSIST_SHARE, SHARE_STEPS[ASSIST_SHARE][0], grantee_unit=township,
              reason=_("县领办：%(u)s协助", u=township.name))
    refresh_overdue(township, today)
    refresh_overdue(county, today)
    record("lead.take_over", unit_id=county.id, object_type="leads", object_id=taken.id,
           detail={"number": number, "origin": lead.number, "township": township.id})
    return taken


def step_through_share(lead: Lead, way: str, data: dict, share: Share, *, expected_version: int | None = None):
    """A named step on another unit's lead through a share (县领办's assistance, 县镇合办's county staff): the
    owner's figures move; the share's timeline and the audit trail name who acted from where."""
    if way not in share.allowed_transitions:
        raise InvalidInput({"transition": [_("该共享不允许此处置方式")]})
    dispose(lead, way, data, expected_version=expected_version)
    tenancy_ops.record_share_access(share, action=way)
