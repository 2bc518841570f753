"""HTML pages of leads: the unit's registry (filters: state, source, 我承办的), registration, the lead's page with
the four disposal forms, and the conversion of a petition (the petition's page shows its button and its lead)."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core import calendar
from core.errors import InvalidInput
from core.extensions import db
from core.inbox.links import register_link
from core.leads import operations as ops
from core.leads import queries
from core.leads.models import (ASSESSMENT_LABELS, FORM_LABELS, LEVEL_LABELS, RECOMMENDATION_LABELS, SOURCE_LABELS,
                               TALK_LABELS, Lead, Source)
from core.leads.queries import load_for_step, load_lead, load_petition_to_convert
from core.leads.workflow import LEAD_FLOW, OPEN, STEP_ACTIONS, WAYS
from core.workflow import history
from tenants.access import Action, can, ensure

bp = Blueprint("leads", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/leads")
PER_PAGE = 50
FORM_ROWS = 3  # rows of persons on the registration form
PARTY_LABELS = {"1": _l("中共党员"), "0": _l("非中共党员")}


def _labels() -> dict:
    return {"SOURCE_LABELS": SOURCE_LABELS, "LEVEL_LABELS": LEVEL_LABELS, "FORM_LABELS": FORM_LABELS,
            "TALK_LABELS": TALK_LABELS, "ASSESSMENT_LABELS": ASSESSMENT_LABELS,
            "RECOMMENDATION_LABELS": RECOMMENDATION_LABELS, "PARTY_LABELS": PARTY_LABELS,
            "DUE_LABELS": calendar.DUE_STATE_LABELS, "due_state": calendar.due_state, "flow": LEAD_FLOW, "OPEN": OPEN}


@bp.get("")
@login_required
def index(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.LEADS_READ, unit, target=unit)
    f = queries.LeadFilter.from_args(request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    rows = db.session.scalars(queries.list_query(unit, f).offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)).all()
    return render_template("leads/list.html", **_labels(), unit=unit, leads=rows[:PER_PAGE], page=page,
                           has_more=len(rows) > PER_PAGE, today=calendar.today(), f=f, args=f.as_args(),
                           can_register=can(current_user, Action.LEADS_REGISTER, unit, target=unit))


def _raw_from_form(form) -> dict:
    persons = [{k: form.get(f"persons-{i}-{k}", "") for k in ("name", "position", "work_unit", "level",
                                                                "party_member")} for i in range(FORM_ROWS)]
    for person in persons:
        person["party_member"] = person["party_member"] or None
    return {"source": form.get("source", ""), "source_note": form.get("source_note", ""),
            "received_on": form.get("received_on", ""), "summary": form.get("summary", ""), "persons": persons}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.LEADS_REGISTER, unit, target=unit)
    errors: dict = {}
    form = request.form if request.method == "POST" else {"received_on": calendar.today().isoformat()}
    if request.method == "POST":
        try:
            lead = ops.register_lead(unit, _raw_from_form(request.form))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已登记问题线索：%(number)s", number=lead.number), "success")
            return redirect(url_for("leads.show", unit_id=unit.id, lead_id=lead.id))
    sources = {k: v for k, v in SOURCE_LABELS.items() if k != Source.PETITION}
    return render_template("leads/form.html", **_labels(), unit=unit, form=form, errors=errors, sources=sources,
                           rows=range(FORM_ROWS)), 422 if errors else 200


@bp.post("/from-petition/<int:petition_id>")
@login_required
def from_petition(unit_id: int, petition_id: int):
    """转为问题线索: one of the unit's petitions becomes a lead (its informant stays with the petition)."""
    petition = load_petition_to_convert(petition_id, g.unit, current_user)
    try:
        lead = ops.convert_petition(petition, g.unit)
    except InvalidInput as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
        return redirect(url_for("petitions.show", unit_id=unit_id, petition_id=petition_id))
    flash(_("已转为问题线索：%(number)s", number=lead.number), "success")
    return redirect(url_for("leads.show", unit_id=unit_id, lead_id=lead.id))


def _detail(lead: Lead, *, step_errors: dict | None = None, form=None, failed_step: str = ""):
    unit = g.unit
    available = {t.name for t in LEAD_FLOW.available(lead)}
    steps = [w for w in WAYS if w in available and can(current_user, STEP_ACTIONS[w], unit)]
    today = calendar.today()
    petition = queries.petition_of(lead)
    return render_template(
        "leads/detail.html", **_labels(), unit=unit, lead=lead, steps=steps, today=today,
        due=calendar.due_state(lead.due_on, today) if lead.due_on and lead.state in OPEN else None,
        history=history("leads", lead.id), step_errors=step_errors or {}, form=form or {}, failed_step=failed_step,
        petition=petition, may_read_petition=can(current_user, Action.PETITIONS_READ, unit))


@bp.get("/<int:lead_id>")
@login_required
def show(unit_id: int, lead_id: int):
    return _detail(load_lead(lead_id, Action.LEADS_READ, g.unit, current_user))


@bp.post("/<int:lead_id>/steps/<any(talk, verify, shelve, close):step>")
@login_required
def step(unit_id: int, lead_id: int, step: str):
    lead = load_for_step(lead_id, step, g.unit, current_user)
    try:
        ops.dispose(lead, step, request.form.to_dict(), expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        db.session.rollback()
        return _detail(db.session.get(Lead, lead_id), step_errors=exc.errors, form=request.form,
                       failed_step=step), 422
    flash(_("已处置：%(s)s", s=LEAD_FLOW.step_label(step)), "success")
    return redirect(url_for("leads.show", unit_id=unit_id, lead_id=lead_id))


# ---------------------------------------------------------------- what the petition's page shows (area.py install)


def petition_lead_url(lead: Lead, unit) -> str:
    return url_for("leads.show", unit_id=unit.id, lead_id=lead.id)


def petition_convert_url(petition, unit, account) -> str | None:
    """The button's action, where the account registers leads here and the petition may become one."""
    if petition.unit_id != unit.id or petition.state in ops.NOT_CONVERTIBLE \
            or not can(account, Action.LEADS_REGISTER, unit, target=unit):
        return None
    return url_for("leads.from_petition", unit_id=unit.id, petition_id=petition.id)


@register_link("leads")
def _lead_link(item, unit_id: int) -> str:
    return url_for("leads.show", unit_id=unit_id, lead_id=item.object_id)
