"""HTML pages of directives and campaigns: send, inbox copy, acknowledge, return, forward, track, remind."""
from __future__ import annotations

from datetime import date
from io import BytesIO

from flask import Blueprint, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core import calendar
from core.directives import operations as ops
from core.directives import queries
from core.directives.models import (FIELD_TYPES, KIND_LABELS, Directive, DirectiveKind, DirectiveReceipt,
                                    DirectiveReturn)
from core.directives.queries import load_attachment, load_directive, load_received
from core.directives.workflow import DIRECTIVE_FLOW
from core.errors import InvalidInput
from core.extensions import db
from core.inbox.links import register_link
from core.workflow import history
from tenants.access import Action, can, deny, ensure
from tenants.models import LEVEL_LABELS, UnitLevel, descendants_query

bp = Blueprint("directives", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/directives")
FIELD_ROWS = 6
PHASE_ROWS = 4


def _date(name: str) -> date | None:
    value = (request.form.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput({name: [_("日期格式应为 2026-11-23")]})


def directive_fields_from_form() -> dict:
    """The send/forward form, as arguments of operations.send_directive."""
    form = request.form
    schedule = form.get("schedule", "none")
    cadence = None
    if schedule == "weekly":
        cadence = f"weekly:{form.get('weekday', '1')}"
    elif schedule == "monthly":
        cadence = f"monthly:{form.get('month_day', '20')}"
    fields = [{"label": form.get(f"field_label_{i}", ""), "type": form.get(f"field_type_{i}", "number"),
               "required": bool(form.get(f"field_required_{i}")),
               "choices": form.get(f"field_choices_{i}", "").replace("，", ",").split(",")}
              for i in range(FIELD_ROWS)]
    phases = [{"name": form.get(f"phase_name_{i}", ""), "starts_on": _date(f"phase_start_{i}"),
               "ends_on": _date(f"phase_end_{i}")} for i in range(PHASE_ROWS)]
    uploads = [ops.Upload(f.filename, f.mimetype, f.read()) for f in request.files.getlist("attachments")
               if f and f.filename]
    return dict(
        kind=form.get("kind", DirectiveKind.DIRECTIVE), title=form.get("title", ""), body=form.get("body", ""),
        requires_ack=bool(form.get("requires_ack")),
        audience={"mode": form.get("audience_mode"), "levels": form.getlist("levels"),
                  "unit_ids": form.getlist("unit_ids")},
        return_fields=fields, return_due_on=_date("return_due_on") if schedule == "once" else None,
        return_cadence=cadence, return_ends_on=_date("return_ends_on") if cadence else None, phases=phases,
        attachments=uploads, account_id=current_user.id,
    )


def _form_page(template_args: dict, errors: list[str], status: int = 200):
    unit = g.unit
    descendants = db.session.scalars(descendants_query(unit)).all()
    levels = [lvl for lvl in UnitLevel if any(u.level == lvl for u in descendants)]
    return render_template("directives/form.html", unit=unit, errors=errors, form=request.form,
                           descendants=descendants, levels=levels, LEVEL_LABELS=LEVEL_LABELS,
                           FIELD_TYPES=FIELD_TYPES, KIND_LABELS=KIND_LABELS, weekdays=list(calendar.WEEKDAY_LABELS.items()),
                           field_rows=range(FIELD_ROWS), phase_rows=range(PHASE_ROWS), **template_args), status


@bp.get("")
@login_required
def index(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.INBOX_READ, unit, target=unit)
    today = calendar.today()
    sent = received = []
    if can(current_user, Action.DIRECTIVES_TRACK, unit):
        sent = db.session.scalars(select(Directive).where(Directive.unit_id == unit.id)
                                  .order_by(Directive.id.desc())).all()
    if can(current_user, Action.DIRECTIVES_RECEIVE, unit):
        received = db.session.scalars(select(DirectiveReceipt).where(DirectiveReceipt.unit_id == unit.id)
                                      .order_by(DirectiveReceipt.id.desc())).all()
    return render_template("directives/index.html", unit=unit, sent=sent, received=received, today=today,
                           current_period=ops.current_period, phase_on=queries.phase_on,
                           can_send=can(current_user, Action.DIRECTIVES_SEND, unit))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(unit_id: int):
    ensure(current_user, Action.DIRECTIVES_SEND, g.unit, target=g.unit)
    if request.method == "POST":
        try:
            directive = ops.send_directive(g.unit, **directive_fields_from_form())
        except InvalidInput as exc:
            return _form_page({"forwarding": None}, exc.messages, 422)
        flash(_("已下发至 %(n)s 个单位", n=len(queries.receipts(directive))), "success")
        return redirect(url_for("directives.show", unit_id=g.unit.id, directive_id=directive.id))
    return _form_page({"forwarding": None}, [])


@bp.get("/<int:directive_id>")
@login_required
def show(unit_id: int, directive_id: int):
    directive, receipt = load_directive(directive_id, g.unit, current_user)
    today = calendar.today()
    args = dict(unit=g.unit, directive=directive, receipt=receipt, today=today, FIELD_TYPES=FIELD_TYPES,
                phase=queries.phase_on(directive, today), current=ops.current_period(directive, today),
                flow=DIRECTIVE_FLOW)
    if directive.forwarded_from_id and receipt is None:
        # The sender forwarded it: its own copy of the original, seen through its own receipt.
        args["original"] = db.session.get(Directive, directive.forwarded_from_id)
    if receipt is None:
        periods = queries.periods_for_tracking(directive, today)
        # By default the latest period already due (its late units are the news), else the current one.
        default = next((p for p in periods if p.due_on < today), periods[0] if periods else None)
        chosen = next((p for p in periods if p.key == request.args.get("period")), default)
        rows = queries.tracking(directive)
        return render_template(
            "directives/track.html", rows=rows, periods=periods, chosen=chosen,
            returned_now=sum(1 for r in rows if chosen and chosen.key in r.returns),
            rollup=queries.rollup(directive, chosen) if chosen and directive.numeric_fields else None,
            late=queries.late(directive, today, rows), history=history("directives", directive.id),
            can_send=can(current_user, Action.DIRECTIVES_SEND, g.unit), **args)
    returns = db.session.scalars(select(DirectiveReturn).where(
        DirectiveReturn.directive_id == directive.id, DirectiveReturn.unit_id == g.unit.id)
        .order_by(DirectiveReturn.due_on.desc())).all()
    forwarded = db.session.get(Directive, receipt.forwarded_as_id) if receipt.forwarded_as_id else None
    return render_template("directives/received.html", returns=returns, forwarded=forwarded,
                           can_forward=can(current_user, Action.DIRECTIVES_SEND, g.unit),
                           filed={r.period: r for r in returns}, generated=ops.returns_generated(directive), **args)


@bp.post("/<int:directive_id>/acknowledge")
@login_required
def acknowledge(unit_id: int, directive_id: int):
    _directive, receipt = load_received(directive_id, g.unit, current_user)
    ops.acknowledge(receipt)
    flash(_("已签收"), "success")
    return redirect(url_for("directives.show", unit_id=unit_id, directive_id=directive_id))


@bp.post("/<int:directive_id>/returns")
@login_required
def submit_return(unit_id: int, directive_id: int):
    directive, receipt = load_received(directive_id, g.unit, current_user)
    values = {f["key"]: request.form.get(f"value_{f['key']}", "") for f in directive.return_fields}
    try:
        ops.submit_return(receipt, request.form.get("period", ""), values)
    except InvalidInput as exc:
        for message in exc.messages:
            flash(message, "error")
        return redirect(url_for("directives.show", unit_id=unit_id, directive_id=directive_id)), 303
    flash(_("报表已报送"), "success")
    return redirect(url_for("directives.show", unit_id=unit_id, directive_id=directive_id))


@bp.route("/<int:directive_id>/forward", methods=["GET", "POST"])
@login_required
def forward(unit_id: int, directive_id: int):
    directive, receipt = load_received(directive_id, g.unit, current_user)
    ensure(current_user, Action.DIRECTIVES_SEND, g.unit, target=g.unit)
    if request.method == "POST":
        try:
            mine = ops.forward(receipt, g.unit, **directive_fields_from_form())
        except InvalidInput as exc:
            return _form_page({"forwarding": directive}, exc.messages, 422)
        flash(_("已转发"), "success")
        return redirect(url_for("directives.show", unit_id=unit_id, directive_id=mine.id))
    return _form_page({"forwarding": directive}, [])


@bp.post("/<int:directive_id>/remind")
@login_required
def remind(unit_id: int, directive_id: int):
    directive, receipt = load_directive(directive_id, g.unit, current_user)
    if receipt is not None:
        deny(Action.DIRECTIVES_TRACK, unit=g.unit, object_type="directives", object_id=directive_id)
    today = calendar.today()
    what = request.form.get("period", "ack")
    period = ops.find_period(directive, what, today) if what != "ack" else None
    if what != "ack" and period is None:
        flash(_("没有这一期"), "error")
        return redirect(url_for("directives.show", unit_id=unit_id, directive_id=directive_id)), 303
    if period is not None and period.due_on >= today:
        # The current period: remind everyone who has not yet returned.
        rows = [r for r in queries.tracking(directive) if period.key not in r.returns]
    else:
        rows = queries.late(directive, today).get(what, [])
    sent = ops.remind(directive, [r.receipt for r in rows], period)
    flash(_("已向 %(n)s 个单位发出催办", n=sent), "success")
    return redirect(url_for("directives.show", unit_id=unit_id, directive_id=directive_id,
                            period=period.key if period else None))


@bp.post("/<int:directive_id>/close")
@login_required
def close(unit_id: int, directive_id: int):
    directive, receipt = load_directive(directive_id, g.unit, current_user)
    if receipt is not None:
        deny(Action.DIRECTIVES_SEND, unit=g.unit, object_type="directives", object_id=directive_id)
    ensure(current_user, Action.DIRECTIVES_SEND, g.unit, target=g.unit)
    ops.close_directive(directive)
    flash(_("已结束"), "success")
    return redirect(url_for("directives.show", unit_id=unit_id, directive_id=directive_id))


@bp.get("/<int:directive_id>/attachments/<int:attachment_id>")
@login_required
def attachment(unit_id: int, directive_id: int, attachment_id: int):
    directive, _receipt = load_directive(directive_id, g.unit, current_user)
    file = load_attachment(directive, attachment_id, g.unit, current_user)
    return send_file(BytesIO(file.content), mimetype=file.content_type, as_attachment=True,
                     download_name=file.filename)


@register_link("directive_receipts")
def _receipt_link(item, unit_id: int) -> str | None:
    receipt = db.session.get(DirectiveReceipt, item.object_id)
    return url_for("directives.show", unit_id=unit_id, directive_id=receipt.directive_id) if receipt else None
