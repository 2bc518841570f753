"""Every write of petitions: registration (informant encrypted at rest), the audited reveal, and handling:
verification, the outcome (an unfounded one enters the clearing pool), feedback to the informant."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import gettext as _

from core import calendar, context
from core.audit.operations import record
from core.crypto import decrypt_field, encrypt_field
from core.errors import InvalidInput, add_error
from core.extensions import db
from core.models import check_version
from core.numbering import next_number
from flask import current_app

from core.clearing import operations as clearing_ops
from core.petitions.models import FEEDBACK_WAYS, INFORMANT_FIELDS, Channel, Outcome, Petition
from core.petitions.workflow import PETITION_FLOW
from tenants import operations as tenancy_ops
from tenants.models import Unit

_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
_PHONE = re.compile(r"^[\d\-+() ]{3,30}$")
_INFORMANT_LIMITS = {"name": 50, "id_number": 18, "phone": 30, "address": 200}


def _associated(petition: Petition, field: str) -> str:
    return f"petitions:{petition.id}:{field}"


def _parse_date(value) -> date | None:
    if isinstance(value, date) or value is None:
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def register_petition(unit: Unit, *, channel: str, received_on, anonymous: bool, informant: dict | None,
                      accused_name: str, accused_position: str = "", accused_work_unit: str = "",
                      category: str = "", summary: str, content: str = "") -> Petition:
    """Validate everything, number the petition, store the informant encrypted; audited without the informant."""
    errors: dict[str, list[str]] = {}
    text = {k: (v or "").strip() for k, v in dict(accused_name=accused_name, accused_position=accused_position,
                                                    accused_work_unit=accused_work_unit, category=category,
                                                    summary=summary, content=content).items()}
    if channel not in Channel.__members__.values():
        add_error(errors, "channel", _("请选择受理方式（来信、来访、来电或网络举报）"))
    received = _parse_date(received_on)
    if received is None:
        add_error(errors, "received_on", _("请填写受理日期（如 2026-03-01）"))
    elif received > calendar.today():
        add_error(errors, "received_on", _("受理日期不能晚于今天"))
    if not text["accused_name"]:
        add_error(errors, "accused_name", _("请填写被反映人姓名"))
    elif len(text["accused_name"]) > 50:
        add_error(errors, "accused_name", _("被反映人姓名不能超过 50 个字"))
    for field, label in (("accused_position", _("被反映人职务")), ("accused_work_unit", _("被反映人单位"))):
        if len(text[field]) > 100:
            add_error(errors, field, _("%(label)s不能超过 100 个字", label=label))
    if len(text["category"]) > 50:
        add_error(errors, "category", _("问题类别不能超过 50 个字"))
    if not text["summary"]:
        add_error(errors, "summary", _("请填写反映问题摘要"))
    elif len(text["summary"]) > 300:
        add_error(errors, "summary", _("反映问题摘要不能超过 300 个字"))

    anonymous = bool(anonymous)
    people = {} if anonymous else {f: (str((informant or {}).get(f) or "")).strip() for f in INFORMANT_FIELDS}
    if not anonymous:
        people["id_number"] = people["id_number"].upper()
        if not people["name"]:
            add_error(errors, "informant_name", _("实名举报须填写举报人姓名；否则请勾选“匿名”"))
        for field, limit in _INFORMANT_LIMITS.items():
            if len(people[field]) > limit:
                add_error(errors, f"informant_{field}", _("举报人%(label)s不能超过 %(n)s 个字",
                                                     label=INFORMANT_FIELDS[field], n=limit))
        if people["id_number"] and not _ID_NUMBER.match(people["id_number"]):
            add_error(errors, "informant_id_number", _("身份证号应为 18 位（前 17 位为数字，末位为数字或 X）"))
        if people["phone"] and not _PHONE.match(people["phone"]):
            add_error(errors, "informant_phone", _("联系电话格式不正确"))
    if errors:
        raise InvalidInput(errors)

    year = calendar.today().year  # numbered in the year of registration, like every other series
    seq, number = next_number(unit, "petition", year)
    petition = Petition(unit_id=unit.id, unit_path=unit.path, year=year, seq=seq, number=number,
                        channel=channel, received_on=received, anonymous=anonymous, state="registered",
                        due_on=calendar.add_workdays(received, current_app.config["PETITION_HANDLING_WORKDAYS"]),
                        registered_by_id=context.current().account_id, **text)
    db.session.add(petition)
    db.session.flush()  # the id is part of each field's associated data
    for field, value in people.items():
        if value:
            setattr(petition, f"informant_{field}", encrypt_field(value, _associated(petition, field)))
    db.session.flush()
    PETITION_FLOW.begin(petition, detail={"number": number, "channel": channel})
    tenancy_ops.bump_stat(unit, "petitions.open", 1)
    tenancy_ops.bump_stat(unit, "petitions.received", 1)
    tenancy_ops.bump_stat(unit, "petitions.received", 1, received.isoformat())
    record("petition.register", unit_id=unit.id, object_type="petitions", object_id=petition.id,
           detail={"number": number, "channel": channel, "anonymous": anonymous})
    return petition


def _decrypted(petition: Petition) -> dict[str, str]:
    values = {}
    for field in INFORMANT_FIELDS:
        token = getattr(petition, f"informant_{field}")
        values[field] = decrypt_field(token, _associated(petition, field)) if token else ""
    return values


def reveal_informant(petition: Petition, reason: str) -> dict[str, str]:
    """The informant in plain text, for this response only; the reason (never the values) is audited."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [_("查看举报人信息须填写事由")]})
    if len(reason) > 500:
        raise InvalidInput({"reason": [_("事由不能超过 500 个字")]})
    if petition.anonymous:
        raise InvalidInput({"_schema": [_("匿名举报，没有可查看的举报人信息")]})
    values = _decrypted(petition)
    record("petition.informant_reveal", unit_id=petition.unit_id, object_type="petitions", object_id=petition.id,
           detail={"number": petition.number, "reason": reason})
    return values


def _mask(field: str, value: str) -> str:
    if not value:
        return ""
    if field == "name":
        return value[0] + "*" * max(len(value) - 1, 1)
    if field == "id_number":
        return value[:4] + "*" * (len(value) - 8) + value[-4:] if len(value) > 8 else "*" * len(value)
    if field == "phone":
        return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else "*" * len(value)
    return _("已加密")


def masked_informant(petition: Petition) -> dict[str, str]:
    """What every page but the reveal shows: 张** / 1101**********1234 / 138****5678 / 已加密, or 匿名."""
    if petition.anonymous:
        return dict.fromkeys(INFORMANT_FIELDS, _("匿名"))
    return {field: _mask(field, value) for field, value in _decrypted(petition).items()}


# ---------------------------------------------------------------- handling


def take_step(petition: Petition, step: str, data: dict, *, expected_version: int | None = None) -> None:
    """Verification starts, the outcome concludes it, feedback to the informant closes it."""
    check_version(petition, expected_version)
    if step not in {t.name for t in PETITION_FLOW.transitions}:
        raise InvalidInput({"transition": [_("没有这个办理环节")]})
    if step not in {t.name for t in PETITION_FLOW.available(petition)}:
        raise PETITION_FLOW.not_now(petition, step)
    unit = db.session.get(Unit, petition.unit_id)
    if step == "start":
        PETITION_FLOW.apply(petition, "start")
    elif step == "conclude":
        _conclude(petition, unit, data)
    else:
        _feedback(petition, data)


def _conclude(petition: Petition, unit: Unit, data: dict) -> None:
    errors: dict[str, list[str]] = {}
    outcome = str(data.get("outcome") or "")
    if outcome not in Outcome.__members__.values():
        add_error(errors, "outcome", _("请选择核查结论（属实、部分属实、不属实或无法查实）"))
    findings = str(data.get("findings") or "").strip()
    if not findings:
        add_error(errors, "findings", _("请填写核查情况"))
    concluded_on = _parse_date(data.get("concluded_on") or calendar.today())
    if concluded_on is None:
        add_error(errors, "concluded_on", _("办结日期不是有效日期"))
    elif concluded_on > calendar.today() or concluded_on < petition.received_on:
        add_error(errors, "concluded_on", _("办结日期应在受理日期与今天之间"))
    if errors:
        raise InvalidInput(errors)
    petition.outcome, petition.findings, petition.concluded_on = outcome, findings, concluded_on
    PETITION_FLOW.apply(petition, "conclude", detail={"outcome": outcome})
    tenancy_ops.bump_stat(unit, "petitions.open", -1)
    tenancy_ops.bump_stat(unit, f"petitions.concluded.{outcome}", 1)
    tenancy_ops.bump_stat(unit, f"petitions.concluded.{outcome}", 1, concluded_on.isoformat())
    if outcome == Outcome.UNFOUNDED:
        # 失实检举控告: the accused person is owed a clearing; the pool links back to this petition.
        clearing_ops.record_candidate(unit, {
            "reference": petition.number, "concluded_on": concluded_on, "person_name": petition.accused_name,
            "person_position": petition.accused_position,
            "person_work_unit": petition.accused_work_unit or _("（未注明单位）"),
            "accusation": petition.summary, "finding": findings}, petition_id=petition.id)


def _feedback(petition: Petition, data: dict) -> None:
    errors: dict[str, list[str]] = {}
    given_on = _parse_date(data.get("given_on") or None)
    if given_on is None:
        add_error(errors, "given_on", _("请填写反馈日期"))
    elif given_on > calendar.today() or (petition.concluded_on and given_on < petition.concluded_on):
        add_error(errors, "given_on", _("反馈日期应在办结日期与今天之间"))
    way = str(data.get("way") or ("none" if petition.anonymous else ""))
    if way not in FEEDBACK_WAYS or (way == "none") != petition.anonymous:
        add_error(errors, "way", _("请选择反馈方式"))
    content = str(data.get("content") or "").strip()
    if not content:
        add_error(errors, "content", _("请填写反馈内容"))
    satisfied = str(data.get("satisfied") or ("unknown" if petition.anonymous else ""))
    if satisfied not in ("yes", "no", "unknown"):
        add_error(errors, "satisfied", _("请选择举报人是否满意"))
    if errors:
        raise InvalidInput(errors)
    petition.feedback = {"given_on": given_on.isoformat(), "way": way, "content": content, "satisfied": satisfied}
    PETITION_FLOW.apply(petition, "feedback", detail={"way": way, "satisfied": satisfied})
