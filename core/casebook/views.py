"""HTML pages of the guidance case library (典型案例 · 指导案例): the casebook (search by words and tags, the list), a
case's page, the publisher's new/edit/withdraw, proposing a case upward, the proposals (the unit's own and those sent
to it) with the publisher leader's publish or return, and the 参照案例 panel of a record's page (add, remove)."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from core.attachments.responses import file_response
from core.casebook import operations as ops
from core.casebook import queries
from core.casebook.workflow import FAMILIES_OF, FIELD_LABELS, REFERABLE, TAG_FAMILIES
from core.errors import InvalidInput
from core.extensions import db
from core.schemas import bounded_int
from core.inbox.links import register_link
from tenants.access import Action, can, ensure

bp = Blueprint("casebook", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/casebook")


def _may(action: Action) -> bool:
    return can(current_user, action, g.unit, target=g.unit)


def _raw() -> dict:
    raw = request.form.to_dict()
    raw["tags"] = request.form.getlist("tags")
    return raw


def _flash_warnings(row) -> None:
    for messages in (row.warnings or {}).values():
        for message in messages:
            flash(message, "warning")


def _common(**kw) -> dict:
    return dict(unit=g.unit, families=TAG_FAMILIES, labels=FIELD_LABELS, **kw)


# ---------------------------------------------------------------- the casebook


@bp.get("")
@login_required
def index(unit_id: int):
    ensure(current_user, Action.CASEBOOK_READ, g.unit, target=g.unit)
    q, tag, family = (request.args.get(k, "")[:100] for k in ("q", "tag", "family"))
    page = max(request.args.get("page", 1, type=bounded_int) or 1, 1)
    cases, total = queries.search(g.unit, q, tag, family, page)
    may_publish = _may(Action.CASEBOOK_PUBLISH)
    return render_template(
        "casebook/index.html", **_common(
            cases=cases, total=total, page=page, per_page=queries.PER_PAGE, q=q, tag=tag, family=family,
            counts=queries.tag_counts(g.unit), may_publish=may_publish, may_propose=_may(Action.CASEBOOK_PROPOSE),
            own=queries.own_cases(g.unit) if may_publish else [],
            pending=len(queries.incoming(g.unit, pending_only=True)) if may_publish else 0))


def _form_page(template: str, *, errors=None, form=None, status=200, **kw):
    return render_template(f"casebook/{template}", **_common(errors=errors or {}, form=form or {}, **kw)), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(unit_id: int):
    ensure(current_user, Action.CASEBOOK_PUBLISH, g.unit, target=g.unit)
    if request.method == "GET":
        return _form_page("form.html", mode="new")
    try:
        case = ops.publish_case(g.unit, _raw(), current_user)
    except InvalidInput as exc:
        db.session.rollback()
        return _form_page("form.html", mode="new", errors=exc.errors, form=request.form, status=422)
    flash(_("已发布指导案例%(n)s", n=case.number), "success")
    _flash_warnings(case)
    return redirect(url_for("casebook.show", unit_id=unit_id, casebook_case_id=case.id))


@bp.get("/<int:casebook_case_id>")
@login_required
def show(unit_id: int, casebook_case_id: int):
    case = queries.load_case(casebook_case_id, g.unit, current_user)
    own = case.unit_id == g.unit.id
    return render_template("casebook/case.html", **_common(
        case=case, own=own, may_publish=own and _may(Action.CASEBOOK_PUBLISH),
        citing=queries.citing(case, g.unit), files=[] if own else queries.template_files(case)))


@bp.get("/<int:casebook_case_id>/files/<int:file_id>")
@login_required
def template_file(unit_id: int, casebook_case_id: int, file_id: int):
    """A document template's file of a case the unit reaches (published by a unit above it), downloaded."""
    case = queries.load_case(casebook_case_id, g.unit, current_user)
    return file_response(queries.load_template_file(case, file_id, g.unit), "download")


@bp.route("/<int:casebook_case_id>/edit", methods=["GET", "POST"])
@login_required
def edit(unit_id: int, casebook_case_id: int):
    case = queries.load_case(casebook_case_id, g.unit, current_user, Action.CASEBOOK_PUBLISH, own=True)
    if request.method == "GET":
        return _form_page("form.html", mode="edit", case=case)
    try:
        ops.edit_case(case, _raw(), current_user, expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        db.session.rollback()
        case = queries.load_case(casebook_case_id, g.unit, current_user, Action.CASEBOOK_PUBLISH, own=True)
        return _form_page("form.html", mode="edit", case=case, errors=exc.errors, form=request.form, status=422)
    flash(_("指导案例已修改"), "success")
    _flash_warnings(case)
    return redirect(url_for("casebook.show", unit_id=unit_id, casebook_case_id=case.id))


@bp.post("/<int:casebook_case_id>/withdraw")
@login_required
def withdraw(unit_id: int, casebook_case_id: int):
    case = queries.load_case(casebook_case_id, g.unit, current_user, Action.CASEBOOK_PUBLISH, own=True)
    try:
        ops.withdraw_case(case, request.form.to_dict(), current_user,
                          expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        db.session.rollback()
        flash("；".join(exc.messages), "error")
        return redirect(url_for("casebook.show", unit_id=unit_id, casebook_case_id=casebook_case_id))
    flash(_("指导案例已撤回"), "success")
    return redirect(url_for("casebook.show", unit_id=unit_id, casebook_case_id=casebook_case_id))


# ---------------------------------------------------------------- proposals


@bp.route("/propose", methods=["GET", "POST"])
@login_required
def propose(unit_id: int):
    ensure(current_user, Action.CASEBOOK_PROPOSE, g.unit, target=g.unit)
    publishers = ops.publishers_for(g.unit)
    if request.method == "GET":
        return _form_page("form.html", mode="propose", publishers=publishers)
    try:
        proposal = ops.propose(g.unit, _raw(), current_user)
    except InvalidInput as exc:
        db.session.rollback()
        return _form_page("form.html", mode="propose", publishers=publishers, errors=exc.errors, form=request.form,
                          status=422)
    flash(_("已报送%(u)s审核", u=proposal.publisher.name), "success")
    _flash_warnings(proposal)
    return redirect(url_for("casebook.proposal", unit_id=unit_id, casebook_proposal_id=proposal.id))


@bp.get("/proposals")
@login_required
def proposals(unit_id: int):
    may_propose, may_publish = _may(Action.CASEBOOK_PROPOSE), _may(Action.CASEBOOK_PUBLISH)
    if not (may_propose or may_publish):
        ensure(current_user, Action.CASEBOOK_PROPOSE, g.unit, target=g.unit)
    return render_template("casebook/proposals.html", **_common(
        mine=queries.proposals_of(g.unit) if may_propose else [],
        incoming=queries.incoming(g.unit) if may_publish else [], may_propose=may_propose, may_publish=may_publish))


def _proposal_action() -> Action:
    return Action.CASEBOOK_PUBLISH if _may(Action.CASEBOOK_PUBLISH) else Action.CASEBOOK_PROPOSE


def _proposal_page(proposal, *, errors=None, form=None, status=200):
    at_publisher = proposal.publisher_id == g.unit.id
    return _form_page("proposal.html", proposal=proposal, at_publisher=at_publisher,
                      may_decide=at_publisher and proposal.state == "proposed" and _may(Action.CASEBOOK_PUBLISH),
                      may_resubmit=not at_publisher and proposal.state == "returned" and _may(Action.CASEBOOK_PROPOSE),
                      errors=errors, form=form, status=status)


@bp.get("/proposals/<int:casebook_proposal_id>")
@login_required
def proposal(unit_id: int, casebook_proposal_id: int):
    return _proposal_page(queries.load_proposal(casebook_proposal_id, g.unit, current_user, _proposal_action()))


@bp.post("/proposals/<int:casebook_proposal_id>/<any(publish, return, resubmit):step>")
@login_required
def decide(unit_id: int, casebook_proposal_id: int, step: str):
    action = Action.CASEBOOK_PROPOSE if step == "resubmit" else Action.CASEBOOK_PUBLISH
    side = "proposer" if step == "resubmit" else "publisher"
    item = queries.load_proposal(casebook_proposal_id, g.unit, current_user, action, side=side)
    version = request.form.get("version", type=int)
    try:
        if step == "publish":
            case = ops.publish_proposal(item, g.unit, _raw(), current_user, expected_version=version)
        elif step == "return":
            ops.return_proposal(item, g.unit, request.form.to_dict(), current_user, expected_version=version)
        else:
            ops.resubmit(item, _raw(), current_user, expected_version=version)
    except InvalidInput as exc:
        db.session.rollback()
        return _proposal_page(queries.load_proposal(casebook_proposal_id, g.unit, current_user, action, side=side),
                              errors=exc.errors, form=request.form, status=422)
    if step == "publish":
        flash(_("已采用并发布为指导案例%(n)s", n=case.number), "success")
        _flash_warnings(case)
        return redirect(url_for("casebook.show", unit_id=unit_id, casebook_case_id=case.id))
    flash(_("已退回推荐单位") if step == "return" else _("已修改并重新报送"), "success")
    return redirect(url_for("casebook.proposal", unit_id=unit_id, casebook_proposal_id=casebook_proposal_id))


# ---------------------------------------------------------------- 参照案例 of a record


def _record_url(record_type: str, record_id: int) -> str:
    entry = REFERABLE[record_type]
    return url_for(entry[3], unit_id=g.unit.id, **{entry[4]: record_id})


@bp.post("/references")
@login_required
def add_reference(unit_id: int):
    ensure(current_user, Action.CASEBOOK_READ, g.unit, target=g.unit)
    record_type = request.form.get("record_type", "")[:32]
    record_obj = queries.load_record(record_type, request.form.get("record_id"), g.unit, current_user, write=True)
    case = queries.load_case(request.form.get("case_id"), g.unit, current_user)
    try:
        ops.add_reference(g.unit, record_type, record_obj, case, current_user)
    except InvalidInput as exc:
        db.session.rollback()
        flash("；".join(exc.messages), "error")
    else:
        flash(_("已添加参照案例：%(t)s", t=case.title), "success")
    return redirect(_record_url(record_type, record_obj.id))


@bp.post("/references/<int:casebook_reference_id>/remove")
@login_required
def remove_reference(unit_id: int, casebook_reference_id: int):
    ensure(current_user, Action.CASEBOOK_READ, g.unit, target=g.unit)
    ref = queries.load_reference(casebook_reference_id, g.unit, current_user, Action.CASEBOOK_READ)
    record_obj = queries.load_record(ref.record_type, ref.record_id, g.unit, current_user, write=True)
    ops.remove_reference(ref, current_user)
    flash(_("已移除参照案例"), "success")
    return redirect(_record_url(ref.record_type, record_obj.id))


def record_panel(record) -> Markup:
    """参照案例 on the page of one of the unit's own clearing cases, leads or petitions (``record_panels``): the
    cases it names (links), and for those who may write the record, add and remove."""
    unit = g.get("unit")
    record_type = getattr(record, "__tablename__", "")
    actions = queries.referable_actions(record_type)
    if unit is None or actions is None or getattr(record, "unit_id", None) != unit.id \
            or not can(current_user, Action.CASEBOOK_READ, unit) or not can(current_user, actions[0], unit):
        return Markup("")
    refs = queries.references_of(unit, record_type, record.id)
    cases = queries.cases_by_id([r.case_id for r in refs])
    may_edit = can(current_user, actions[1], unit)
    choices = []
    if may_edit:
        taken = {r.case_id for r in refs}
        preferred = FAMILIES_OF.get(record_type, ())
        visible = [c for c in queries.visible_cases(unit) if c.id not in taken]
        choices = sorted(visible, key=lambda c: not any(t.split(":", 1)[0] in preferred for t in c.tags or []))
    return Markup(render_template("casebook/_panel.html", unit=unit, refs=refs, cases=cases, may_edit=may_edit,
                                  choices=choices, record_type=record_type, record_id=record.id))


@register_link("casebook_proposals")
def _proposal_link(item, unit_id: int) -> str:
    return url_for("casebook.proposal", unit_id=unit_id, casebook_proposal_id=item.object_id)
