"""Every write of remote evidence (远程取证): planning an interview, the staff's confirmations of participation, the
steps of the procedure in their order, finalising (every step, both staff, the recording and the signed transcript)
and the case admin's check; each audited, each moving the unit's figures in the same transaction, and ``recount``
counting them again from the records (the nightly reconcile).

A finalised interview is read-only: no field, no step, and no file added to it or archived from it (the guards
on ``Attachment`` below hold for the attachments pages and API alike)."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import event, select

from core import calendar, context
from core.attachments.models import Attachment
from core.audit.operations import record
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, add_error
from core.evidence import queries
from core.evidence.models import RemoteInterview
from core.evidence.workflow import (CLOSED, INTERVIEW_FLOW, MODE_LABELS, OPEN, PARTICIPATION, STEPS, SUBJECTS,
                                    due_step)
from core.extensions import db
from core.inbox import operations as inbox
from core.inbox.models import InboxKind
from core.models import check_version, upsert_insert
from core.numbering import NumberCounter, short_name
from core.schemas import EARLIEST, YEARS_AHEAD
from core.timefmt import local, local_date, zone
from tenants import operations as tenancy_ops
from tenants.models import Role, Unit
from tenants.stats import with_coarser_keys

SERIES = "remote_interview"
NOTE_LIMIT = 1000
ID_NUMBER = re.compile(r"^[0-9A-Za-z]{6,30}$")
YES = ("1", "true", "yes", "on", "是")


# ---------------------------------------------------------------- planning


def _next_number(unit: Unit, year: int) -> tuple[int, str]:
    """The unit's next interview number of the year (its own counter of core.numbering)."""
    db.session.execute(upsert_insert(NumberCounter.__table__).values(
        unit_id=unit.id, unit_path=unit.path, series=SERIES, year=year, last_value=0).on_conflict_do_nothing())
    counter = db.session.execute(select(NumberCounter).where(
        NumberCounter.unit_id == unit.id, NumberCounter.series == SERIES, NumberCounter.year == year)
        .with_for_update()).scalar_one()
    counter.last_value += 1
    return counter.last_value, f"{short_name(unit.name)}远程取证〔{year}〕{counter.last_value}号"


def parse_moment(value) -> datetime | None:
    """A planned time as a form or the API sends it (``2026-12-05T09:30``, local time; or ISO with an offset)."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value or "").strip().replace(" ", "T")
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone())
    return moment.astimezone(utcnow().tzinfo)


def _account_id(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def clean_fields(unit: Unit, raw: dict, errors: dict) -> dict:
    """The witness, the two staff, the planned time, the mode and place; errors in Chinese, by field."""
    fields: dict = {}
    for field, label, limit, required in (("witness_name", _("证人姓名"), 50, True),
                                          ("witness_position", _("证人职务或身份"), 100, False),
                                          ("witness_work_unit", _("证人工作单位或所在地"), 100, False)):
        value = str(raw.get(field) or "").strip()
        if required and not value:
            add_error(errors, field, _("请填写%(label)s", label=label))
        elif len(value) > limit:
            add_error(errors, field, _("%(label)s不能超过 %(n)s 个字", label=label, n=limit))
        fields[field] = value
    id_number = str(raw.get("witness_id_number") or "").strip()
    if id_number and not ID_NUMBER.match(id_number):
        add_error(errors, "witness_id_number", _("证人身份证件号码应为 6 至 30 位数字或字母"))
    fields["witness_id_number"] = id_number.upper()
    staff = []
    for field, label in (("staff1_id", _("第一名办案人员")), ("staff2_id", _("第二名办案人员"))):
        account_id = _account_id(raw.get(field))
        if account_id is None:
            add_error(errors, field, _("请选择%(label)s（远程取证须由两名办案人员进行）", label=label))
        staff.append(account_id)
    eligible = {a.id for a in queries.conducting_staff(unit)}
    for field, account_id in zip(("staff1_id", "staff2_id"), staff):
        if account_id is not None and account_id not in eligible:
            add_error(errors, field, _("办案人员须为本单位的委领导或承办人员"))
    if staff[0] is not None and staff[0] == staff[1]:
        add_error(errors, "staff2_id", _("两名办案人员不能是同一人"))
    fields["staff1_id"], fields["staff2_id"] = staff
    planned = parse_moment(raw.get("planned_at"))
    if planned is None:
        add_error(errors, "planned_at", _("请填写计划取证时间（如 2026-12-05 09:30）"))
    else:
        day = local_date(planned)
        if day < EARLIEST or day > calendar.today() + timedelta(days=366 * YEARS_AHEAD):
            add_error(errors, "planned_at", _("计划取证时间超出可填写的范围"))
    fields["planned_at"] = planned
    mode = str(raw.get("mode") or "")
    if mode not in MODE_LABELS:
        add_error(errors, "mode", _("请选择取证方式（微信视频连线、视频通话、视频会议系统或其他视频方式）"))
    fields["mode"] = mode
    place = str(raw.get("place") or "").strip()
    if not place:
        add_error(errors, "place", _("请填写取证地点（办案人员所在地点与证人所在地）"))
    elif len(place) > 200:
        add_error(errors, "place", _("取证地点不能超过 200 个字"))
    fields["place"] = place
    return fields


def current_fields(interview: RemoteInterview) -> dict:
    """The interview's fields as an input gives them (a partial change keeps the others)."""
    return {"witness_name": interview.person_name, "witness_position": interview.person_position,
            "witness_work_unit": interview.person_work_unit, "witness_id_number": interview.witness_id_number,
            "staff1_id": interview.staff1_id, "staff2_id": interview.staff2_id, "planned_at": local(interview.planned_at),
            "mode": interview.mode, "place": interview.place}


def _set_fields(interview: RemoteInterview, fields: dict) -> None:
    interview.person_name = fields["witness_name"]
    interview.person_position = fields["witness_position"]
    interview.person_work_unit = fields["witness_work_unit"]
    interview.witness_id_number = fields["witness_id_number"]
    for column in ("planned_at", "mode", "place"):
        setattr(interview, column, fields[column])
    for column, confirmed in (("staff1_id", "staff1_confirmed_at"), ("staff2_id", "staff2_confirmed_at")):
        if getattr(interview, column) != fields[column]:
            setattr(interview, column, fields[column])
            setattr(interview, confirmed, None)  # a new staff member confirms for themselves


def _ask_participation(unit: Unit, interview: RemoteInterview) -> None:
    """The inbox of each staff member who has not confirmed yet (the planner's own confirmation is asked too)."""
    for account_id, at in ((interview.staff1_id, interview.staff1_confirmed_at),
                           (interview.staff2_id, interview.staff2_confirmed_at)):
        if at is None:
            inbox.post(unit, f"interview:{interview.id}:participate:{account_id}:{interview.version}",
                       kind=InboxKind.TASK, object_type="remote_interviews", object_id=interview.id,
                       account_id=account_id, title=_("请确认参与远程取证：%(n)s", n=interview.number))


def plan_interview(unit: Unit, raw: dict, account) -> RemoteInterview:
    """A remote interview on one of the unit's records (a lead, a petition …): everything validated first (422
    with every field's reason, nothing saved); the record itself through its own scoped loader (404 unless the
    unit's own). Numbered, the witness sealed, audited and counted as open."""
    errors: dict[str, list[str]] = {}
    subject_type = str(raw.get("subject_type") or "")
    if subject_type not in dict(SUBJECTS.items()):
        add_error(errors, "subject_type", _("请选择所属记录的类别（%(kinds)s）",
                                            kinds="、".join(str(s.label) for s in SUBJECTS.values())))
    subject_id = _account_id(raw.get("subject_id"))
    if subject_id is None:
        add_error(errors, "subject_id", _("请填写所属记录（问题线索、信访举报件等）"))
    fields = clean_fields(unit, raw, errors)
    if errors:
        raise InvalidInput(errors)
    subject_record = queries.load_subject(subject_type, subject_id, unit, account)
    year = calendar.today().year
    seq, number = _next_number(unit, year)
    interview = RemoteInterview(
        unit_id=unit.id, unit_path=unit.path, year=year, seq=seq, number=number, subject_type=subject_type,
        subject_id=subject_record.id, subject_title=SUBJECTS[subject_type].title(subject_record)[:64],
        state="planned", created_by_id=context.current().account_id,
        staff1_id=fields["staff1_id"], staff2_id=fields["staff2_id"])
    _set_fields(interview, fields)
    db.session.add(interview)
    db.session.flush()
    INTERVIEW_FLOW.begin(interview, detail={"number": number, "subject": subject_type})
    _ask_participation(unit, interview)
    tenancy_ops.bump_stat(unit, "evidence.interviews.open", 1)
    record("remote_interview.plan", unit_id=unit.id, object_type="remote_interviews", object_id=interview.id,
           detail={"number": number, "subject_type": subject_type, "subject": interview.subject_title,
                   "mode": interview.mode})
    return interview


def _closed(interview: RemoteInterview) -> Conflict:
    return Conflict(_("%(n)s已完成，只读，不能再修改", n=interview.number),
                    detail={"current_state": interview.state,
                            "current_state_label": INTERVIEW_FLOW.label(interview.state)})


def update_interview(interview: RemoteInterview, raw: dict, *, expected_version: int | None = None) -> None:
    """Change the witness, the staff, the time, mode or place: only before the procedure starts (the witness's
    consent is its first step); never once finalised."""
    check_version(interview, expected_version)
    if interview.state in CLOSED:
        raise _closed(interview)
    if interview.state != "planned":
        raise Conflict(_("取证程序已开始，证人、办案人员和计划不能再修改"),
                       detail={"current_state": interview.state})
    errors: dict[str, list[str]] = {}
    fields = clean_fields(db.session.get(Unit, interview.unit_id), raw, errors)
    if errors:
        raise InvalidInput(errors)
    _set_fields(interview, fields)
    db.session.flush()
    unit = db.session.get(Unit, interview.unit_id)
    inbox.close("remote_interviews", interview.id, unit_id=unit.id, key_prefix=f"interview:{interview.id}:participate:")
    _ask_participation(unit, interview)
    record("remote_interview.update", unit_id=interview.unit_id, object_type="remote_interviews",
           object_id=interview.id, detail={"mode": interview.mode})


# ---------------------------------------------------------------- the staff and the procedure


def _staff_only(interview: RemoteInterview, account, field: str, message: str) -> None:
    if getattr(account, "id", None) not in interview.staff_ids():
        raise InvalidInput({field: [message]})


def confirm_participation(interview: RemoteInterview, account) -> None:
    """One of the two staff confirms, with their own account, that they take part (两名办案人员)."""
    if interview.state in CLOSED:
        raise _closed(interview)
    _staff_only(interview, account, "staff", _("只有本次取证的两名办案人员可以确认参与，且须使用本人账号"))
    column = "staff1_confirmed_at" if account.id == interview.staff1_id else "staff2_confirmed_at"
    if getattr(interview, column) is not None:
        raise Conflict(_("您已确认参与本次远程取证"))
    setattr(interview, column, utcnow())
    db.session.flush()
    inbox.close("remote_interviews", interview.id, unit_id=interview.unit_id,
                key_prefix=f"interview:{interview.id}:participate:{account.id}:")
    INTERVIEW_FLOW.note(interview, PARTICIPATION, reason=_("%(name)s确认参与本次远程取证", name=account.display_name),
                        detail={"account_id": account.id})


def _note(data: dict, errors: dict, field: str = "note", required: str | None = None) -> str:
    value = str(data.get(field) or "").strip()
    if required and not value:
        add_error(errors, field, required)
    elif len(value) > NOTE_LIMIT:
        add_error(errors, field, _("不能超过 %(n)s 个字", n=NOTE_LIMIT))
    return value


def skipped(interview: RemoteInterview, step: str) -> Conflict:
    """The answer to a step out of its order: the step due now, by name."""
    due = due_step(interview.state)
    detail = {"current_state": interview.state, "current_state_label": INTERVIEW_FLOW.label(interview.state),
              "due_step": due}
    label = INTERVIEW_FLOW.step_label(step)
    if due is None:
        return Conflict(_("程序步骤已全部确认，不能再%(step)s；请完成取证", step=label), detail=detail)
    if STEPS.index(step) < STEPS.index(due):
        return Conflict(_("“%(step)s”已经确认，不能重复；下一步应为“%(due)s”", step=label,
                          due=INTERVIEW_FLOW.step_label(due)), detail=detail)
    return Conflict(_("程序不能跳过：应先完成“%(due)s”，才能%(step)s", due=INTERVIEW_FLOW.step_label(due), step=label),
                    detail=detail)


def take_step(interview: RemoteInterview, step: str, data: dict, account, *,
              expected_version: int | None = None) -> None:
    """Confirm the step due now, by one of the two staff: who and when go to the history. Out of order (skipped,
    repeated) 409 naming the step due; the witness's consent needs how it was given; nothing saved on refusal."""
    check_version(interview, expected_version)
    if interview.state in CLOSED:
        raise _closed(interview)
    if step not in STEPS:
        raise InvalidInput({"step": [_("没有这个程序步骤")]})
    _staff_only(interview, account, "step", _("程序步骤须由本次取证的两名办案人员本人确认"))
    if step != due_step(interview.state):
        raise skipped(interview, step)
    errors: dict[str, list[str]] = {}
    detail: dict = {}
    if step == "consent":
        if str(data.get("consent") or "").strip().lower() not in YES and data.get("consent") is not True:
            add_error(errors, "consent", _("证人同意以视频方式接受询问后，才能开始远程取证"))
        note = _note(data, errors, "consent_note", required=_("请记录证人同意的方式（如电话征得本人同意）"))
    else:
        note = _note(data, errors)
    if errors:
        raise InvalidInput(errors)
    unit = db.session.get(Unit, interview.unit_id)
    if step == "consent":
        interview.consent_note = note
    if step == "question":
        interview.held_on = calendar.today()
        detail["held_on"] = interview.held_on.isoformat()
        tenancy_ops.bump_stat(unit, "evidence.interviews.held", 1)
        tenancy_ops.bump_stat(unit, "evidence.interviews.held", 1, interview.held_on.isoformat())
    INTERVIEW_FLOW.apply(interview, step, reason=note or None, detail=detail or None)


def _chosen(interview: RemoteInterview, wanted, candidates: list[Attachment], field: str, missing: str,
            several: str, errors: dict) -> Attachment | None:
    if wanted not in (None, ""):
        file_id = _account_id(wanted)
        chosen = next((f for f in candidates if f.id == file_id), None)
        if chosen is None:
            add_error(errors, field, several)
        return chosen
    current = next((f for f in candidates if f.id == getattr(interview, field)), None)
    if current is not None:
        return current
    if not candidates:
        add_error(errors, field, missing)
    elif len(candidates) > 1:
        add_error(errors, field, several)
    else:
        return candidates[0]
    return None


def finalise(interview: RemoteInterview, data: dict, account, *, expected_version: int | None = None) -> None:
    """完成取证: every step confirmed, both staff confirmed with their own accounts, the full recording and the
    signed transcript attached; each missing piece refused with its own message (422, nothing saved). Then the
    interview is read-only and waits for the case admin's check."""
    check_version(interview, expected_version)
    if interview.state in CLOSED:
        raise _closed(interview)
    _staff_only(interview, account, "staff", _("只有本次取证的两名办案人员可以完成取证"))
    errors: dict[str, list[str]] = {}
    if interview.state != "signed":
        due = due_step(interview.state)
        add_error(errors, "steps", _("取证程序尚未完成：下一步应为“%(due)s”", due=INTERVIEW_FLOW.step_label(due)))
    for staff, at in ((interview.staff1, interview.staff1_confirmed_at),
                      (interview.staff2, interview.staff2_confirmed_at)):
        if at is None:
            add_error(errors, "staff", _("办案人员%(name)s尚未用本人账号确认参与本次取证", name=staff.display_name))
    recordings, transcripts = queries.candidates(interview)
    recording = _chosen(interview, data.get("recording_file_id"), recordings, "recording_file_id",
                        _("尚未上传全程录像（视频或音频文件）"), _("请从本次取证的附件中选择全程录像（视频或音频文件）"),
                        errors)
    transcript = _chosen(interview, data.get("transcript_file_id"), transcripts, "transcript_file_id",
                         _("尚未上传经证人签字确认的询问笔录（PDF、Word 或扫描件）"),
                         _("请从本次取证的附件中选择签字确认的询问笔录（PDF、Word 或扫描件）"), errors)
    if errors:
        raise InvalidInput(errors)
    unit = db.session.get(Unit, interview.unit_id)
    interview.recording_file_id, interview.transcript_file_id = recording.id, transcript.id
    interview.finalised_on, interview.finalised_by_id = calendar.today(), account.id
    INTERVIEW_FLOW.apply(interview, "finalise", detail={
        "recording": {"file": recording.id, "sm3": recording.sm3, "size": recording.size},
        "transcript": {"file": transcript.id, "sm3": transcript.sm3, "size": transcript.size}})
    tenancy_ops.bump_stat(unit, "evidence.interviews.open", -1)
    tenancy_ops.bump_stat(unit, "evidence.interviews.finalised", 1)
    tenancy_ops.bump_stat(unit, "evidence.interviews.finalised", 1, interview.finalised_on.isoformat())
    inbox.close("remote_interviews", interview.id, unit_id=unit.id, key_prefix=f"interview:{interview.id}:participate:")
    inbox.post(unit, f"interview:{interview.id}:check", kind=InboxKind.TASK, object_type="remote_interviews",
               object_id=interview.id, roles=(Role.CASE_ADMIN.value,),
               title=_("远程取证已完成，待案管核查：%(n)s", n=interview.number))


def check(interview: RemoteInterview, data: dict, account, *, expected_version: int | None = None) -> None:
    """案管核查: the case-management office records its check of a finalised interview, with its note."""
    check_version(interview, expected_version)
    if interview.state != "finalised":
        if interview.state == "checked":
            raise Conflict(_("该远程取证已经案管核查"))
        raise Conflict(_("远程取证完成后，案管才能核查；当前状态为“%(s)s”", s=interview.state_label),
                       detail={"current_state": interview.state})
    errors: dict[str, list[str]] = {}
    note = _note(data, errors, required=_("请填写核查意见"))
    if errors:
        raise InvalidInput(errors)
    unit = db.session.get(Unit, interview.unit_id)
    interview.checked_on, interview.checked_by_id, interview.check_note = calendar.today(), account.id, note
    INTERVIEW_FLOW.apply(interview, "check", reason=note)
    tenancy_ops.bump_stat(unit, "evidence.interviews.checked", 1)
    tenancy_ops.bump_stat(unit, "evidence.interviews.checked", 1, interview.checked_on.isoformat())
    inbox.close("remote_interviews", interview.id, unit_id=unit.id, key_prefix=f"interview:{interview.id}:check")


# ---------------------------------------------------------------- a finalised interview's files stay as they are


def _closed_interview(object_type, object_id) -> str | None:
    if object_type != RemoteInterview.__tablename__ or object_id is None:
        return None
    row = db.session.execute(select(RemoteInterview.state, RemoteInterview.number)
                             .where(RemoteInterview.id == object_id)).first()
    return row.number if row is not None and row.state in CLOSED else None


@event.listens_for(Attachment, "init")
def _no_new_file(target, args, kwargs) -> None:
    """No file is added to a finalised interview (the attachments page and API alike: 422, nothing stored)."""
    number = _closed_interview(kwargs.get("object_type"), kwargs.get("object_id"))
    if number:
        raise InvalidInput({"file": [_("%(n)s已完成，只读，不能再上传附件", n=number)]})


@event.listens_for(Attachment.archived_at, "set")
def _no_archive(target, value, oldvalue, initiator) -> None:
    """No file of a finalised interview is archived: the recording and the transcript stay its evidence."""
    number = _closed_interview(target.object_type, target.object_id)
    if number and value is not None:
        raise InvalidInput({"reason": [_("%(n)s已完成，只读，其附件不能归档", n=number)]})


# ---------------------------------------------------------------- figures


def recount(unit: Unit, today: date) -> dict[tuple[str, str], int]:
    """The unit's remote-evidence figures counted from its records: what the stats rows must hold."""
    figures: Counter = Counter()
    rows = db.session.execute(select(RemoteInterview.state, RemoteInterview.held_on, RemoteInterview.finalised_on,
                                     RemoteInterview.checked_on).where(RemoteInterview.unit_id == unit.id))
    for state, held_on, finalised_on, checked_on in rows:
        if state in OPEN:
            figures[("evidence.interviews.open", "")] += 1
        for metric, day in (("held", held_on), ("finalised", finalised_on), ("checked", checked_on)):
            if day is not None:
                figures[(f"evidence.interviews.{metric}", "")] += 1
                figures[(f"evidence.interviews.{metric}", day.isoformat())] += 1
    return with_coarser_keys(figures)
