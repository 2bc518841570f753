"""HTML pages of petitions: the unit's list, registration, the detail (informant masked) and the audited reveal."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core import calendar
from core.errors import InvalidInput
from core.extensions import db
from core.petitions import operations as ops
from core.petitions.models import CHANNEL_LABELS, FEEDBACK_WAYS, INFORMANT_FIELDS, OUTCOME_LABELS, Channel, Petition
from core.petitions.workflow import OPEN, PETITION_FLOW
from core.workflow import history
from tenants.access import Action, can, deny, ensure
from tenants.scoping import load_scoped

petitions_bp = Blueprint("petitions", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/petitions")
PER_PAGE = 50


@petitions_bp.get("")
@login_required
def index(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.PETITIONS_READ, unit, target=unit)
    page = max(request.args.get("page", 1, type=int), 1)
    rows = db.session.scalars(
        select(Petition).where(Petition.unit_id == unit.id)
        .order_by(Petition.year.desc(), Petition.seq.desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)).all()
    return render_template("petitions/list.html", unit=unit, petitions=rows[:PER_PAGE], page=page,
                           has_more=len(rows) > PER_PAGE, today=calendar.today(), due_state=calendar.due_state,
                           DUE_LABELS=calendar.DUE_STATE_LABELS,
                           can_register=can(current_user, Action.PETITIONS_REGISTER, unit, target=unit))


@petitions_bp.route("/new", methods=["GET", "POST"])
@login_required
def new(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.PETITIONS_REGISTER, unit, target=unit)
    errors: dict = {}
    form = request.form if request.method == "POST" else {"received_on": calendar.today().isoformat(),
                                                           "channel": Channel.LETTER.value}
    if request.method == "POST":
        try:
            raw = {k: form.get(k, "") for k in ("channel", "received_on", "accused_name", "accused_position",
                                                 "accused_work_unit", "accused_level", "accused_party_member",
                                                 "category", "summary", "content")}
            raw.update(anonymous=form.get("anonymous") == "1",
                       informant={f: form.get(f"informant_{f}", "") for f in INFORMANT_FIELDS})
            petition = ops.register_petition(unit, raw)
        except InvalidInput as exc:
            errors = exc.errors
        else:
            flash(_("已登记：%(number)s", number=petition.number), "success")
            return redirect(url_for("petitions.show", unit_id=unit.id, petition_id=petition.id))
    return render_template("petitions/form.html", unit=unit, form=form, errors=errors,
                           channels=CHANNEL_LABELS, fields=INFORMANT_FIELDS), 422 if errors else 200


def _detail(petition: Petition, *, revealed: dict | None = None, errors=None, reason: str = "",
            step_errors: dict | None = None, form=None):
    unit = g.unit
    own = petition.unit_id == unit.id
    may_handle = own and can(current_user, Action.PETITIONS_HANDLE, unit)
    today = calendar.today()
    return render_template(
        "petitions/detail.html", unit=unit, petition=petition, own=own, fields=INFORMANT_FIELDS,
        steps=[t.name for t in PETITION_FLOW.available(petition)] if may_handle else [],
        OUTCOME_LABELS=OUTCOME_LABELS, FEEDBACK_WAYS=FEEDBACK_WAYS, today=today,
        due=calendar.due_state(petition.due_on, today) if petition.due_on and petition.state in OPEN else None,
        DUE_LABELS=calendar.DUE_STATE_LABELS, history=history("petitions", petition.id) if own else [],
        flow=PETITION_FLOW, step_errors=step_errors or {}, form=form or {},
        candidate=_candidate(petition) if own else None,
        # Read through a share (a supervising unit): no informant data at all, not even masked.
        informant=ops.masked_informant(petition) if own else None, revealed=revealed, errors=errors,
        reason=reason, can_reveal=own and not petition.anonymous and can(current_user, Action.INFORMANT_REVEAL, unit),
    )


@petitions_bp.get("/<int:petition_id>")
@login_required
def show(unit_id: int, petition_id: int):
    petition = load_scoped(Petition, petition_id, unit=g.unit, account=current_user, action=Action.PETITIONS_READ)
    return _detail(petition)


@petitions_bp.post("/<int:petition_id>/reveal")
@login_required
def reveal(unit_id: int, petition_id: int):
    petition = load_scoped(Petition, petition_id, unit=g.unit, account=current_user, action=Action.INFORMANT_REVEAL)
    if petition.unit_id != g.unit.id:  # never through a share
        deny(Action.INFORMANT_REVEAL, unit=g.unit, object_type="petitions", object_id=petition.id)
    reason = request.form.get("reason", "")
    try:
        revealed = ops.reveal_informant(petition, reason)
    except InvalidInput as exc:
        return _detail(petition, errors=exc.errors, reason=reason), 422
    return _detail(petition, revealed=revealed)


def _candidate(petition: Petition):
    """The clearing candidate an unfounded outcome put in the pool, for the link to it."""
    from core.clearing.models import ClearingCandidate

    return db.session.scalar(select(ClearingCandidate).where(ClearingCandidate.petition_id == petition.id))


@petitions_bp.post("/<int:petition_id>/steps/<any(start, conclude, feedback):step>")
@login_required
def step(unit_id: int, petition_id: int, step: str):
    petition = load_scoped(Petition, petition_id, unit=g.unit, account=current_user, action=Action.PETITIONS_HANDLE)
    if petition.unit_id != g.unit.id:  # a supervising unit reads, never handles
        deny(Action.PETITIONS_HANDLE, unit=g.unit, object_type="petitions", object_id=petition.id)
    try:
        ops.take_step(petition, step, request.form.to_dict(), expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        db.session.rollback()
        return _detail(db.session.get(Petition, petition_id), step_errors=exc.errors, form=request.form), 422
    flash(_("已办理：%(s)s", s=PETITION_FLOW.step_label(step)), "success")
    return redirect(url_for("petitions.show", unit_id=unit_id, petition_id=petition_id))
