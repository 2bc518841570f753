"""HTML pages of supervision items: issue, receive, report, answer problems, accept, talk, documents."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from core import calendar
from core.documents import docx_response, letterhead, render_docx
from core.errors import InvalidInput
from core.extensions import db
from core.supervision import operations as ops
from core.supervision.models import CHECK_PHASE_LABELS, KIND_LABELS, RECORD_KINDS, ItemKind, SupervisionItem
from core.supervision.queries import ISSUER_STEPS, RECIPIENT_STEPS, load_item, load_problem
from core.supervision.workflow import ITEM_FLOW
from core.handlers.queries import handled_by, resolved_handler
from core.inbox.links import register_link
from core.renditions.serve import pdf_download
from core.workflow import history
from tenants.access import Action, can, deny, ensure
from tenants.models import Unit, descendants_query

bp = Blueprint("supervision", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/supervision")
PROBLEM_ROWS = 6


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("")
@login_required
def index(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.SUPERVISION_READ, unit, target=unit)
    items = db.session.scalars(
        select(SupervisionItem).where(or_(SupervisionItem.unit_id == unit.id,
                                          SupervisionItem.recipient_unit_id == unit.id))
        .order_by(SupervisionItem.id.desc())).all()
    today = calendar.today()
    handler = resolved_handler(request.args)  # 承办人 of the items received ("我承办的")
    return render_template("supervision/index.html", unit=unit, today=today, flow=ITEM_FLOW,
                           issued=[i for i in items if i.unit_id == unit.id],
                           received=[i for i in items if i.recipient_unit_id == unit.id and handled_by(i, handler)],
                           handler_filtered=bool(handler),
                           due_state=calendar.due_state, DUE_LABELS=calendar.DUE_STATE_LABELS,
                           can_issue=can(current_user, Action.SUPERVISION_ISSUE, unit))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.SUPERVISION_ISSUE, unit, target=unit)
    errors: list[str] = []
    if request.method == "POST":
        form = request.form
        recipient = db.session.get(Unit, form.get("recipient_unit_id", type=int) or 0)
        weekday = form.get("report_weekday")
        try:
            item = ops.issue_item(
                unit, recipient, kind=form.get("kind", ""), title=form.get("title", ""), body=form.get("body", ""),
                due_on=_date(form.get("due_on")), report_cadence=f"weekly:{weekday}" if weekday else None,
                subject_number=form.get("subject_number"),
                problems=[{"description": form.get(f"problem_{i}", ""), "requirement": form.get(f"requirement_{i}", "")}
                          for i in range(PROBLEM_ROWS)])
        except InvalidInput as exc:
            errors = exc.messages
        else:
            flash(_("已下发 %(n)s", n=item.number), "success")
            return redirect(url_for("supervision.show", unit_id=unit.id, item_id=item.id))
    return render_template("supervision/form.html", unit=unit, errors=errors, form=request.form,
                           descendants=db.session.scalars(descendants_query(unit)).all(), kinds=[k for k in ItemKind if k not in RECORD_KINDS],
                           KIND_LABELS=KIND_LABELS,
                           weekdays=[(n, label) for n, label in calendar.WEEKDAY_LABELS.items() if n <= 5],
                           problem_rows=range(PROBLEM_ROWS)), 422 if errors else 200


@bp.route("/checks/new", methods=["GET", "POST"])
@login_required
def new_check(unit_id: int):
    """三期检查: record a plan, progress or effect check of a lower unit's clearing case, with findings."""
    unit = g.unit
    ensure(current_user, Action.SUPERVISION_ISSUE, unit, target=unit)
    errors: dict = {}
    form = request.form if request.method == "POST" else {"checked_on": calendar.today().isoformat(),
                                                           "subject_number": request.args.get("number", ""),
                                                           "recipient_unit_id": request.args.get("unit", "")}
    if request.method == "POST":
        try:
            record = ops.record_check(unit, db.session.get(Unit, form.get("recipient_unit_id", type=int) or 0),
                                      phase=form.get("phase", ""), subject_number=form.get("subject_number", ""),
                                      checked_on=_date(form.get("checked_on")), checked_by=form.get("checked_by", ""),
                                      findings=form.get("findings", ""))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("检查已记录：%(n)s", n=record.number), "success")
            return redirect(url_for("supervision.show", unit_id=unit.id, item_id=record.id))
    return render_template("supervision/check_form.html", unit=unit, errors=errors, form=form,
                           descendants=db.session.scalars(descendants_query(unit)).all(),
                           phases=CHECK_PHASE_LABELS), 422 if errors else 200


@bp.get("/<int:item_id>")
@login_required
def show(unit_id: int, item_id: int):
    item, is_issuer = load_item(item_id, g.unit, current_user)
    today = calendar.today()
    talks = db.session.scalars(select(SupervisionItem).where(SupervisionItem.parent_id == item.id)).all()
    return render_template(
        "supervision/show.html", unit=g.unit, item=item, is_issuer=is_issuer, flow=ITEM_FLOW, today=today,
        due=calendar.due_state(item.due_on, today) if item.due_on and item.is_open else None,
        DUE_LABELS=calendar.DUE_STATE_LABELS, history=history("supervision_items", item.id), talks=talks,
        recipient=db.session.get(Unit, item.recipient_unit_id),
        may_decide=is_issuer and can(current_user, Action.SUPERVISION_ISSUE, g.unit),
        may_handle=not is_issuer and can(current_user, Action.SUPERVISION_HANDLE, g.unit),
        subject_visible=bool(item.subject_id and (not is_issuer or item.is_open)),
    )


@bp.post("/<int:item_id>/<any(receive, progress, done, accept, send_back, close):step>")
@login_required
def step(unit_id: int, item_id: int, step: str):
    item, is_issuer = load_item(item_id, g.unit, current_user)
    if is_issuer:
        ensure(current_user, Action.SUPERVISION_ISSUE, g.unit, object_type="supervision_items", object_id=item_id)
        if step not in ISSUER_STEPS:
            deny(Action.SUPERVISION_ISSUE, unit=g.unit, object_type="supervision_items", object_id=item_id)
    else:
        ensure(current_user, Action.SUPERVISION_HANDLE, g.unit, object_type="supervision_items", object_id=item_id)
        if step not in RECIPIENT_STEPS:
            deny(Action.SUPERVISION_HANDLE, unit=g.unit, object_type="supervision_items", object_id=item_id)
    body, reason = request.form.get("body", ""), request.form.get("reason", "")
    try:
        match step:
            case "receive":
                ops.receive(item)
            case "progress":
                ops.report_progress(item, body)
            case "done":
                ops.report_done(item, body)
            case "accept":
                ops.accept(item)
            case "send_back":
                ops.send_back(item, reason)
            case "close":
                ops.close(item, reason)
    except InvalidInput as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
        return redirect(url_for("supervision.show", unit_id=unit_id, item_id=item_id)), 303
    flash(_("已办理"), "success")
    return redirect(url_for("supervision.show", unit_id=unit_id, item_id=item_id))


@bp.post("/<int:item_id>/problems/<int:problem_id>/<any(answer, check):step>")
@login_required
def problem_step(unit_id: int, item_id: int, problem_id: int, step: str):
    item, is_issuer = load_item(item_id, g.unit, current_user)
    problem = load_problem(item, problem_id, g.unit, current_user)
    needed = Action.SUPERVISION_ISSUE if step == "check" else Action.SUPERVISION_HANDLE
    if is_issuer != (step == "check"):
        deny(needed, unit=g.unit, object_type="supervision_problems", object_id=problem_id)
    ensure(current_user, needed, g.unit, object_type="supervision_problems", object_id=problem_id)
    try:
        if step == "answer":
            ops.answer_problem(problem, request.form.get("answer", ""))
        else:
            ops.check_problem(problem, checked=request.form.get("checked", "1") == "1")
    except InvalidInput as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
        return redirect(url_for("supervision.show", unit_id=unit_id, item_id=item_id)), 303
    return redirect(url_for("supervision.show", unit_id=unit_id, item_id=item_id))


@bp.post("/<int:item_id>/talk")
@login_required
def talk(unit_id: int, item_id: int):
    item, is_issuer = load_item(item_id, g.unit, current_user)
    if not is_issuer:
        deny(Action.SUPERVISION_ISSUE, unit=g.unit, object_type="supervision_items", object_id=item_id)
    ensure(current_user, Action.SUPERVISION_ISSUE, g.unit, object_type="supervision_items", object_id=item_id)
    form = request.form
    try:
        record = ops.record_talk(g.unit, item, db.session.get(Unit, item.recipient_unit_id), who=form.get("who", ""),
                                 whom=form.get("whom", ""), held_on=_date(form.get("held_on")),
                                 reason=form.get("reason", ""), outcome=form.get("outcome", ""))
    except InvalidInput as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
        return redirect(url_for("supervision.show", unit_id=unit_id, item_id=item_id)), 303
    flash(_("约谈已记录：%(n)s", n=record.number), "success")
    return redirect(url_for("supervision.show", unit_id=unit_id, item_id=item_id))


@bp.get("/<int:item_id>/document.docx")
@login_required
def document(unit_id: int, item_id: int):
    """整改交办单 for rectification orders, 督办单 for the other kinds."""
    item, _template, data = _document(item_id)
    return docx_response(data, f"{item.number}.docx")


@bp.get("/<int:item_id>/document.pdf")
@login_required
def document_pdf(unit_id: int, item_id: int):
    """The same as PDF (converted by a job, cached): at once when made, else the page that waits for it."""
    item, template, data = _document(item_id)
    return pdf_download(g.unit, template, item.id, data, f"{item.number}.pdf", Action.SUPERVISION_READ)


def _document(item_id: int) -> tuple[SupervisionItem, str, bytes]:
    item, _is_issuer = load_item(item_id, g.unit, current_user)
    if item.kind in RECORD_KINDS:
        deny(Action.SUPERVISION_READ, unit=g.unit, object_type="supervision_items", object_id=item_id)
    recipient = db.session.get(Unit, item.recipient_unit_id)
    fields = {"number": item.number, "issuer": item.unit.name, "receiver": recipient.name, "subject": item.title,
              "issued_on": _cn_date(item.issued_on), "due_on": _cn_date(item.due_on)}
    head = letterhead(item.unit.name, item.unit.level, item.issued_on or calendar.today())
    if item.kind == ItemKind.RECTIFICATION:
        return item, "rectification_order", render_docx("rectification_order", {
            **fields, "requirements": item.body or "—"}, {
            "problems": [[str(p.seq), p.description, p.requirement, p.answer or "", "已核销" if p.checked else ""]
                         for p in item.problems]}, letterhead=head)
    cadence = (_("每%(d)s报送进展", d=calendar.WEEKDAY_LABELS[int(item.report_cadence.split(":")[1])])
               if item.report_cadence else _("按要求报送进展"))
    return item, "supervision_order", render_docx("supervision_order", {
        **fields, "kind": item.kind_label, "body": item.body or "—", "cadence": cadence}, {
        "progress": [[r.reported_on.isoformat(), r.body] for r in item.reports]}, letterhead=head)


def _cn_date(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else "—"


@register_link("supervision_items")
def _item_link(item, unit_id: int) -> str:
    return url_for("supervision.show", unit_id=unit_id, item_id=item.object_id)
