"""Every write of leads (问题线索): registration (also from a petition), the four ways of disposal, the overdue
scan; each audited, each moving the unit's figures in the same transaction, and ``recount`` counting them again
from the records (the nightly reconcile)."""
from __future__ import annotations

from collections import Counter
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from core import calendar, context
from core.audit.operations import record
from core.crypto import name_key
from core.errors import InvalidInput, add_error
from core.extensions import db
from core.handlers import operations as handler_ops
from core.inbox import operations as inbox
from core.inbox.models import InboxKind
from core.leads.models import (ASSESSMENT_LABELS, RECOMMENDATION_LABELS, Form, Lead, LeadPerson, PersonLevel,
                               Source, TalkKind)
from core.leads.queries import lead_of_petition
from core.leads.workflow import DISPOSAL_WORKDAYS, LEAD_FLOW, OPEN, WAYS
from core.models import check_version
from core.numbering import next_number
from core.petitions.models import AccusedLevel, Petition
from core.petitions.operations import without_accused
from tenants import operations as tenancy_ops
from tenants.models import Role, Unit, UnitStat
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
    if source not in Source.__members__.values() or (source == Source.PETITION and source_fixed is None):
        add_error(errors, "source", _("请选择线索来源（上级交办、巡察移交、审计移送、其他机关移送、监督检查发现或其他；"
                                      "信访举报件请在该件页面转为线索）"))
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
                petition_id=getattr(petition, "id", None), **columns)
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
    handler_ops.assign_at_registration(lead, unit)
    tenancy_ops.bump_stat(unit, "leads.open", 1)
    tenancy_ops.bump_stat(unit, "leads.received", 1)
    tenancy_ops.bump_stat(unit, "leads.received", 1, lead.received_on.isoformat())
    tenancy_ops.bump_stat(unit, f"leads.source.{lead.source}", 1)
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
    refresh_overdue(unit, calendar.today())  # the workflow step is the audit event (leads.<way>)


# ---------------------------------------------------------------- deadlines, figures


def _overdue_clause(today: date):
    return Lead.state.in_(OPEN) & (Lead.due_on < today)


def refresh_overdue(unit: Unit, today: date) -> None:
    """One unit's ``leads.overdue``, recounted (after a disposal; the reporting refresh of units that moved)."""
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
                                     Lead.disposed_on).where(Lead.unit_id == unit.id))
    for state, source, received_on, due_on, way, form, disposed_on in rows:
        figures[("leads.received", "")] += 1
        figures[("leads.received", received_on.isoformat())] += 1
        figures[(f"leads.source.{source}", "")] += 1
        if state in OPEN:
            figures[("leads.open", "")] += 1
            if due_on is not None and due_on < today:
                figures[("leads.overdue", "")] += 1
        if way:
            figures[(f"leads.disposed.{way}", "")] += 1
            figures[(f"leads.disposed.{way}", disposed_on.isoformat())] += 1
        if form:
            figures[(f"leads.form.{form}", "")] += 1
    return with_coarser_keys(figures)
