"""HTML pages of petitions: the unit's list and ledger, registration (also 再次信访), the detail (informant
masked) with the audited reveal, handling, repeat links, routing down the tree, and the category taxonomy."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core import calendar
from core.errors import InvalidInput
from core.extensions import db
from core.inbox.links import register_link
from core.petitions import operations as ops
from core.petitions import queries
from core.petitions.models import (ACCUSED_LEVEL_LABELS, CHANNEL_LABELS, FEEDBACK_WAYS, FLAG_LABELS,
                                   INFORMANT_FIELDS, OUTCOME_LABELS, PROBLEM_CATEGORY_DEFAULTS, ROUTING_LABELS,
                                   Channel, Petition,
                                   WORK_AREA_LABELS, PetitionCategory, ReplyTemplate, RoutingMode)
from core.petitions.queries import load_handled, load_own, load_own_link, share_for_step, steps_through_shares
from core.petitions.workflow import OPEN, PETITION_FLOW, UNFOUNDED_FOLLOW_UPS
from core.workflow import history
from core import parameters
from sqlalchemy import select
from tenants.access import Action, can, ensure
from tenants.models import LEVEL_LABELS, Unit
from tenants.queries import active_shares, share_access_log
from tenants.scoping import load_scoped

petitions_bp = Blueprint("petitions", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/petitions")
PER_PAGE = 50
REGISTRATION_FIELDS = ("channel", "received_on", "accused_name", "accused_position", "accused_work_unit",
                       "accused_level", "accused_party_member", "category", "summary", "content")
PARTY_LABELS = {"1": _l("中共党员"), "0": _l("非中共党员")}


def _labels() -> dict:
    return {"CHANNEL_LABELS": CHANNEL_LABELS, "OUTCOME_LABELS": OUTCOME_LABELS, "FEEDBACK_WAYS": FEEDBACK_WAYS,
            "FLAG_LABELS": FLAG_LABELS, "ACCUSED_LEVEL_LABELS": ACCUSED_LEVEL_LABELS, "WORK_AREA_LABELS": WORK_AREA_LABELS,
            "PROBLEM_CATEGORY_DEFAULTS": PROBLEM_CATEGORY_DEFAULTS,
            "ROUTING_LABELS": ROUTING_LABELS, "LEVEL_LABELS": LEVEL_LABELS, "PARTY_LABELS": PARTY_LABELS,
            "DUE_LABELS": calendar.DUE_STATE_LABELS, "due_state": calendar.due_state, "flow": PETITION_FLOW,
            "OPEN": OPEN}


# ---------------------------------------------------------------- the list and the ledger


@petitions_bp.get("")
@login_required
def index(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.PETITIONS_READ, unit, target=unit)
    f = queries.PetitionFilter.from_args(request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    rows = db.session.scalars(queries.list_query(unit, f).offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)).all()
    return render_template("petitions/list.html", **_labels(), unit=unit, petitions=rows[:PER_PAGE], page=page,
                           has_more=len(rows) > PER_PAGE, today=calendar.today(), f=f, args=f.as_args(),
                           can_register=can(current_user, Action.PETITIONS_REGISTER, unit, target=unit),
                           can_define=can(current_user, Action.PETITIONS_CATEGORIES, unit, target=unit))


@petitions_bp.get("/ledger.xlsx")
@login_required
def ledger(unit_id: int):
    """信访举报登记台账: an older link, now the export of the list (counted, audited, a job when long)."""
    return redirect(url_for("exports.confirm", unit_id=unit_id, kind="petitions", **request.args.to_dict()))


# ---------------------------------------------------------------- registration (and 再次信访)


def _prefill_again(earlier: Petition) -> dict:
    """The form of a 再次信访, filled from the earlier petition: the matter, never the informant."""
    return {"channel": earlier.channel, "received_on": calendar.today().isoformat(),
            "accused_name": earlier.accused_name, "accused_position": earlier.accused_position,
            "accused_work_unit": earlier.accused_work_unit, "accused_level": earlier.accused_level,
            "accused_work_areas": list(earlier.accused_work_areas or []),
            "accused_party_member": "" if earlier.accused_party_member is None
            else ("1" if earlier.accused_party_member else "0"),
            "category": earlier.category, "summary": earlier.summary, "again_of": str(earlier.id),
            "same_informant": "1"}


@petitions_bp.route("/new", methods=["GET", "POST"])
@login_required
def new(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.PETITIONS_REGISTER, unit, target=unit)
    again_id = request.values.get("again_of") or None
    # The earlier petition of a 再次信访 must be the unit's own (404 otherwise, like any other object).
    again_of = load_own(again_id, Action.PETITIONS_REGISTER, unit, current_user) if again_id else None
    errors: dict = {}
    if request.method == "POST":
        form = request.form
        raw = {k: form.get(k, "") for k in REGISTRATION_FIELDS}
        raw["accused_work_areas"] = form.getlist("accused_work_areas")
        raw.update(anonymous=form.get("anonymous") == "1",
                   informant={f: form.get(f"informant_{f}", "") for f in INFORMANT_FIELDS})
        try:
            if again_of is not None:
                petition = ops.register_again(unit, raw, again_of, same_informant=form.get("same_informant") == "1")
            else:
                petition = ops.register_petition(unit, raw)
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已登记：%(number)s", number=petition.number), "success")
            proposed = sum(1 for link in queries.own_links(petition) if link.state == "proposed")
            if proposed:
                flash(_("发现 %(n)s 件疑似重复件，请在“疑似重复件/关联件”中确认或排除", n=proposed), "warning")
            return redirect(url_for("petitions.show", unit_id=unit.id, petition_id=petition.id))
    else:
        form = _prefill_again(again_of) if again_of is not None else {
            "received_on": calendar.today().isoformat(), "channel": Channel.LETTER.value}
    return render_template("petitions/form.html", **_labels(), unit=unit, form=form, errors=errors,
                           channels=CHANNEL_LABELS, fields=INFORMANT_FIELDS, again_of=again_of,
                           categories=ops.categories_for(unit)), 422 if errors else 200


# ---------------------------------------------------------------- the detail


def _detail(petition: Petition, *, revealed: dict | None = None, errors=None, reason: str = "",
            step_errors: dict | None = None, form=None, route_errors: dict | None = None, route_form=None,
            link_errors: dict | None = None):
    unit = g.unit
    own = petition.unit_id == unit.id
    may_handle = own and can(current_user, Action.PETITIONS_HANDLE, unit)
    purposes = set() if own else {s.purpose for s in active_shares("petitions", petition.id)}
    through = {} if own else steps_through_shares(petition, unit, current_user)
    available = [t.name for t in PETITION_FLOW.available(petition) if t.name != "route"]
    may_route = own and can(current_user, Action.PETITIONS_ROUTE, unit) and "route" in {
        t.name for t in PETITION_FLOW.available(petition)}
    today = calendar.today()
    targets = queries.routing_targets(unit) if may_route else []
    routing_item = queries.routing_item(petition) if own and petition.origin_petition_id else None
    return render_template(
        "petitions/detail.html", **_labels(), unit=unit, petition=petition, own=own, fields=INFORMANT_FIELDS,
        steps=available if may_handle else [s for s in available if s in through],
        today=today,
        due=calendar.due_state(petition.due_on, today) if petition.due_on and petition.state in OPEN else None,
        # A cross-handler or cross-inspector reads the handling so far; a supervising unit reads the record only.
        cross=bool(purposes & {"cross_handle", "cross_inspect"}),
        history=history("petitions", petition.id) if own or purposes & {"cross_handle", "cross_inspect"} else [],
        share_log=share_access_log("petitions", petition.id, petition.unit_id, PETITION_FLOW.step_label)
        if own else None,
        step_errors=step_errors or {}, form=form or {},
        candidate=_candidate(petition) if own else None,
        # The pool's link only where the pool opens (intake reads petitions, not clearing).
        pool_link=url_for("clearing.pool", unit_id=unit.id) if can(current_user, Action.CLEARING_READ, unit) else None,
        # Read through a share (a supervising or routing unit): no informant data at all, not even masked.
        informant=ops.masked_informant(petition) if own and not petition.informant_moved else None, revealed=revealed, errors=errors,
        reason=reason, can_reveal=own and not petition.anonymous and not petition.informant_moved
        and can(current_user, Action.INFORMANT_REVEAL, unit),
        links=queries.own_links(petition) if own else [],
        may_decide_links=own and can(current_user, Action.PETITIONS_LINKS, unit), link_errors=link_errors or {},
        targets=targets, route_errors=route_errors or {},
        route_form=route_form or {"mode": RoutingMode.ASSIGN.value, "due_on": calendar.add_workdays(
            today, parameters.get("PETITION_HANDLING_WORKDAYS")).isoformat()},
        routed=queries.routed_copy(petition) if own and petition.routing else None,
        routing_item=routing_item, origin_unit=routing_item.unit if routing_item is not None else None,
        may_read_items=can(current_user, Action.SUPERVISION_READ, unit),
        may_register_again=own and petition.state in ops.AGAIN_FROM_STATES
        and can(current_user, Action.PETITIONS_REGISTER, unit),
        # The feedback form's standard texts (反馈模板), picked and edited by the officer (core/static/app.js).
        reply_templates=queries.reply_templates(unit) if may_handle and "feedback" in available else [],
    )


@petitions_bp.get("/<int:petition_id>")
@login_required
def show(unit_id: int, petition_id: int):
    petition = load_scoped(Petition, petition_id, unit=g.unit, account=current_user, action=Action.PETITIONS_READ)
    return _detail(petition)


@petitions_bp.post("/<int:petition_id>/reveal")
@login_required
def reveal(unit_id: int, petition_id: int):
    petition = load_own(petition_id, Action.INFORMANT_REVEAL, g.unit, current_user)  # never through a share
    reason = request.form.get("reason", "")
    try:
        revealed = ops.reveal_informant(petition, reason)
    except InvalidInput as exc:
        return _detail(petition, errors=exc.errors, reason=reason), 422
    return _detail(petition, revealed=revealed)


def _candidate(petition: Petition):
    """What an unfounded outcome started in a higher area (the clearing pool's candidate), for the link to it."""
    return next((found for follow_up in UNFOUNDED_FOLLOW_UPS.values() if (found := follow_up.find(petition))), None)


@petitions_bp.post("/<int:petition_id>/steps/<any(start, conclude, feedback, settle):step>")
@login_required
def step(unit_id: int, petition_id: int, step: str):
    # A supervising unit reads, never handles; a cross-handler takes the steps its share names (交叉办案).
    petition = load_handled(petition_id, g.unit, current_user)
    share = share_for_step(petition, step, g.unit, current_user)
    try:
        ops.take_step(petition, step, request.form.to_dict(), expected_version=request.form.get("version", type=int),
                      share=share)
    except InvalidInput as exc:
        db.session.rollback()
        return _detail(db.session.get(Petition, petition_id), step_errors=exc.errors, form=request.form), 422
    flash(_("已办理：%(s)s", s=PETITION_FLOW.step_label(step)), "success")
    return redirect(url_for("petitions.show", unit_id=unit_id, petition_id=petition_id))


# ---------------------------------------------------------------- repeat links and routing


@petitions_bp.post("/<int:petition_id>/links/<int:link_id>")
@login_required
def decide_link(unit_id: int, petition_id: int, link_id: int):
    petition = load_own(petition_id, Action.PETITIONS_LINKS, g.unit, current_user)
    link = load_own_link(petition, link_id, g.unit, current_user)
    decision = request.form.get("decision", "")
    try:
        ops.decide_link(link, decision)
    except InvalidInput as exc:
        db.session.rollback()
        return _detail(db.session.get(Petition, petition_id), link_errors=exc.errors), 422
    flash(_("已确认为同一事项") if decision == "confirmed" else _("已排除：不是同一事项"), "success")
    return redirect(url_for("petitions.show", unit_id=unit_id, petition_id=petition_id) + "#links")


@petitions_bp.post("/<int:petition_id>/route")
@login_required
def route(unit_id: int, petition_id: int):
    petition = load_own(petition_id, Action.PETITIONS_ROUTE, g.unit, current_user)
    form = request.form
    to_unit_id = form.get("to_unit_id", type=int)
    to_unit = db.session.get(Unit, to_unit_id) if to_unit_id else None
    try:
        copy = ops.route_petition(petition, to_unit, mode=form.get("mode", ""), due_on=form.get("due_on") or None,
                                  instructions=form.get("instructions", ""),
                                  expected_version=form.get("version", type=int))
    except InvalidInput as exc:
        db.session.rollback()
        return _detail(db.session.get(Petition, petition_id), route_errors=exc.errors, route_form=form), 422
    flash(_("已%(mode)s%(unit)s，对方编号 %(n)s", mode=ROUTING_LABELS[RoutingMode(form["mode"])],
            unit=to_unit.name, n=copy.number), "success")
    return redirect(url_for("petitions.show", unit_id=unit_id, petition_id=petition_id))


# ---------------------------------------------------------------- the category taxonomy (问题类别)


@petitions_bp.route("/categories", methods=["GET", "POST"])
@login_required
def categories(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.PETITIONS_READ, unit, target=unit)
    may_define = can(current_user, Action.PETITIONS_CATEGORIES, unit)
    errors: dict = {}
    if request.method == "POST":
        ensure(current_user, Action.PETITIONS_CATEGORIES, unit, target=unit)
        try:
            category = ops.add_category(unit, request.form.get("name", ""))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已加入问题类别：%(name)s", name=category.name), "success")
            return redirect(url_for("petitions.categories", unit_id=unit_id))
    in_force = db.session.scalars(select(PetitionCategory).where(
        PetitionCategory.unit_id.in_([*unit.ancestor_ids, unit.id]), PetitionCategory.archived.is_(False))
        .order_by(PetitionCategory.unit_path, PetitionCategory.name)).all()
    owners = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_({c.unit_id for c in in_force})))}
    return render_template("petitions/categories.html", unit=unit, categories=in_force, owners=owners,
                           suggested=[name for name in PROBLEM_CATEGORY_DEFAULTS.values()
                                      if name not in {c.name for c in in_force}],
                           may_define=may_define, errors=errors, form=request.form), 422 if errors else 200


@petitions_bp.post("/categories/<int:category_id>/archive")
@login_required
def archive_category(unit_id: int, category_id: int):
    # own: an inherited category is the defining unit's to archive (404 below it)
    category = load_scoped(PetitionCategory, category_id, unit=g.unit, account=current_user,
                           action=Action.PETITIONS_CATEGORIES, own=True)
    ops.archive_category(category, expected_version=request.form.get("version", type=int))
    flash(_("已停用问题类别：%(name)s", name=category.name), "success")
    return redirect(url_for("petitions.categories", unit_id=unit_id))


@petitions_bp.route("/reply-templates", methods=["GET", "POST"])
@login_required
def reply_templates(unit_id: int):
    """The unit's standard texts of the feedback to informants (反馈模板), kept by its leader."""
    unit = g.unit
    ensure(current_user, Action.REPLY_TEMPLATES_MANAGE, unit, target=unit)
    errors: dict = {}
    if request.method == "POST":
        try:
            template = ops.add_reply_template(unit, request.form.get("title", ""), request.form.get("text", ""))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已加入反馈模板：%(title)s", title=template.title), "success")
            return redirect(url_for("petitions.reply_templates", unit_id=unit_id))
    return render_template("petitions/reply_templates.html", unit=unit, templates=queries.reply_templates(unit),
                           errors=errors, form=request.form), 422 if errors else 200


@petitions_bp.post("/reply-templates/<int:template_id>/archive")
@login_required
def archive_reply_template(unit_id: int, template_id: int):
    template = load_scoped(ReplyTemplate, template_id, unit=g.unit, account=current_user,
                           action=Action.REPLY_TEMPLATES_MANAGE, own=True)
    ops.archive_reply_template(template, expected_version=request.form.get("version", type=int))
    flash(_("已停用反馈模板：%(title)s", title=template.title), "success")
    return redirect(url_for("petitions.reply_templates", unit_id=unit_id))


@register_link("petitions")
def _petition_link(item, unit_id: int) -> str:
    return url_for("petitions.show", unit_id=unit_id, petition_id=item.object_id)
