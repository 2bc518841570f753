"""HTML pages of remote evidence (远程取证): the unit's interviews, planning one (from a lead's or a petition's page:
?subject_type=…&subject_id=…), and the interview's page with its procedure: the step due as the one button, the
staff's confirmations, the files (recording, signed transcript) while open, finalising and the case admin's check."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core import calendar
from core.attachments.kinds import KINDS
from core.errors import Conflict, InvalidInput
from core.evidence import operations as ops
from core.evidence import queries
from core.evidence.models import RemoteInterview
from core.evidence.queries import load_interview
from core.evidence.workflow import CLOSED, INTERVIEW_FLOW, MODE_LABELS, STEPS, SUBJECTS, due_step
from core.extensions import db
from core.inbox.links import register_link
from core.timefmt import local
from core.workflow import history
from tenants.access import Action, can, ensure

bp = Blueprint("evidence", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/evidence")
PER_PAGE = 50
RECENT = 100  # records of each kind offered on the planning form


@bp.get("")
@login_required
def index(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.EVIDENCE_READ, unit, target=unit)
    f = queries.InterviewFilter.from_args(request.args, current_user.id)
    page = max(request.args.get("page", 1, type=int), 1)
    rows = db.session.scalars(queries.list_query(unit, f).offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)).all()
    return render_template("evidence/list.html", unit=unit, interviews=rows[:PER_PAGE], page=page,
                           has_more=len(rows) > PER_PAGE, f=f, args=f.as_args(), flow=INTERVIEW_FLOW,
                           can_plan=can(current_user, Action.EVIDENCE_CONDUCT, unit, target=unit))


def _subject_choices(unit) -> list[tuple[str, str]]:
    """(``type:id``, label) of the unit's recent records of each registered kind the account reads."""
    choices = []
    for key, subject in SUBJECTS.items():
        if not can(current_user, subject.read, unit):
            continue
        for row in db.session.scalars(select(subject.model).where(subject.model.unit_id == unit.id)
                                      .order_by(subject.model.id.desc()).limit(RECENT)):
            choices.append((f"{key}:{row.id}", f"{subject.label} {subject.title(row)}"))
    return choices


def _raw_from_form(form) -> dict:
    raw = {k: form.get(k, "") for k in ("witness_name", "witness_position", "witness_work_unit",
                                        "witness_id_number", "staff1_id", "staff2_id", "planned_at", "mode",
                                        "place")}
    kind, _sep, record_id = form.get("subject", "").partition(":")
    raw["subject_type"], raw["subject_id"] = kind, record_id
    return raw


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.EVIDENCE_CONDUCT, unit, target=unit)
    errors: dict = {}
    if request.method == "POST":
        form = request.form
        try:
            interview = ops.plan_interview(unit, _raw_from_form(request.form), current_user)
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已安排远程取证：%(n)s", n=interview.number), "success")
            return redirect(url_for("evidence.show", unit_id=unit.id, interview_id=interview.id))
    else:
        form = {"staff1_id": str(current_user.id)}
        if request.args.get("subject_type") in dict(SUBJECTS.items()) and request.args.get("subject_id", type=int):
            record = queries.load_subject(request.args["subject_type"], request.args["subject_id"], unit, current_user)
            form["subject"] = f"{request.args['subject_type']}:{record.id}"
    choices = _subject_choices(unit)
    if form.get("subject") and form["subject"] not in dict(choices):
        kind, _sep, record_id = form["subject"].partition(":")
        subject = SUBJECTS.get(kind)
        record = db.session.scalar(select(subject.model).where(
            subject.model.id == int(record_id), subject.model.unit_id == unit.id)) if subject and record_id.isdigit() \
            else None
        if record is not None:
            choices.insert(0, (form["subject"], f"{subject.label} {subject.title(record)}"))
    return render_template("evidence/form.html", unit=unit, form=form, errors=errors, choices=choices,
                           staff=queries.conducting_staff(unit), modes=MODE_LABELS), 422 if errors else 200


def _subject_link(interview: RemoteInterview) -> dict | None:
    subject = SUBJECTS.get(interview.subject_type)
    record = queries.subject_of(interview)
    if subject is None or record is None:
        return None
    href = (url_for(subject.endpoint, unit_id=g.unit.id, **subject.args(record))
            if can(current_user, subject.read, g.unit) else None)
    return {"label": subject.label, "title": subject.title(record), "href": href}


def _detail(interview: RemoteInterview, *, errors: dict | None = None, form=None):
    unit = g.unit
    is_staff = current_user.id in interview.staff_ids()
    conducting = is_staff and can(current_user, Action.EVIDENCE_CONDUCT, unit)
    recordings, transcripts = queries.candidates(interview) if interview.state not in CLOSED else ([], [])
    confirmed = {interview.staff1_id: interview.staff1_confirmed_at, interview.staff2_id: interview.staff2_confirmed_at}
    return render_template(
        "evidence/detail.html", unit=unit, i=interview, flow=INTERVIEW_FLOW, steps=queries.procedure(interview),
        staff=queries.participation(interview), due=due_step(interview.state), closed=interview.state in CLOSED,
        conducting=conducting, may_confirm=conducting and confirmed.get(current_user.id) is None,
        may_check=interview.state == "finalised" and can(current_user, Action.EVIDENCE_CHECK, unit),
        recordings=recordings, transcripts=transcripts, kinds=KINDS, subject=_subject_link(interview),
        recording=queries.file_of(interview, interview.recording_file_id),
        transcript=queries.file_of(interview, interview.transcript_file_id),
        history=history("remote_interviews", interview.id), errors=errors or {}, form=form or {}, STEPS=STEPS,
        mode_label=interview.mode_label, planned=local(interview.planned_at), today=calendar.today())


@bp.get("/<int:interview_id>")
@login_required
def show(unit_id: int, interview_id: int):
    return _detail(load_interview(interview_id, Action.EVIDENCE_READ, g.unit, current_user))


@bp.post("/<int:interview_id>/steps/<any(consent, show_id, inform_rights, verify_identity, question, "
         "check_transcript, sign, confirm_participation, finalise, check):step>")
@login_required
def step(unit_id: int, interview_id: int, step: str):
    action = Action.EVIDENCE_CHECK if step == "check" else Action.EVIDENCE_CONDUCT
    interview = load_interview(interview_id, action, g.unit, current_user)
    data = request.form.to_dict()
    version = request.form.get("version", type=int)
    try:
        if step in STEPS:
            ops.take_step(interview, step, data, current_user, expected_version=version)
        elif step == "confirm_participation":
            ops.confirm_participation(interview, current_user)
        elif step == "finalise":
            ops.finalise(interview, data, current_user, expected_version=version)
        else:
            ops.check(interview, data, current_user, expected_version=version)
    except InvalidInput as exc:
        db.session.rollback()
        return _detail(db.session.get(RemoteInterview, interview_id), errors=exc.errors, form=request.form), 422
    except Conflict as exc:
        db.session.rollback()
        return _detail(db.session.get(RemoteInterview, interview_id), errors={"step": [exc.message]}), 409
    labels = {"confirm_participation": _("已确认参与本次远程取证"), "finalise": _("远程取证已完成，等待案管核查"),
              "check": _("已记录案管核查意见")}
    flash(labels.get(step) or _("已确认：%(s)s", s=INTERVIEW_FLOW.step_label(step)), "success")
    return redirect(url_for("evidence.show", unit_id=unit_id, interview_id=interview_id))


@register_link("remote_interviews")
def _interview_link(item, unit_id: int) -> str:
    return url_for("evidence.show", unit_id=unit_id, interview_id=item.object_id)


# ---------------------------------------------------------------- what a lead's, case's or petition's page shows


def subject_panel(record) -> Markup:
    """The remote interviews of one of the unit's records (the Jinja global ``remote_interviews_panel(record)``
    for the lead's, case's or petition's page): their numbers and states, and the link planning a new one; empty
    where the account reads no interviews or the record is not of a registered kind."""
    unit = g.get("unit")
    key = getattr(record, "__tablename__", "")
    if unit is None or key not in dict(SUBJECTS.items()) or getattr(record, "unit_id", None) != unit.id \
            or not can(current_user, Action.EVIDENCE_READ, unit):
        return Markup("")
    return Markup(render_template(
        "evidence/_subject_panel.html", unit=unit, interviews=queries.interviews_of(key, record.id, unit),
        new_url=url_for("evidence.new", unit_id=unit.id, subject_type=key, subject_id=record.id)
        if can(current_user, Action.EVIDENCE_CONDUCT, unit) else None))
