"""HTML of handlers: the panel every handled record's page includes (the handler, the history of handlers and,
for a leader, the reassign form), the reassign and bulk-assign posts, and the unit's workload page (open and
overdue records per handler, with links to each area's list filtered by that handler).

The areas' pages reach the panel and the list helpers through Jinja globals this area installs
(``install_globals``), so an area's view passes nothing new for them."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from core import calendar
from core.errors import Conflict, InvalidInput
from core.extensions import db
from core.schemas import selected_ids
from core.handlers import operations as ops
from core.handlers import queries
from core.handlers.registry import handled_type, handled_type_of
from core.identity.models import Account
from tenants.access import Action, can, deny, ensure
from tenants.models import Unit

bp = Blueprint("handlers", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>")


def _back(default: str) -> str:
    """Where a form came from (a path of this site only), else ``default``."""
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else default


def _account(form) -> Account | None:
    account_id = form.get("account_id", type=int)
    return db.session.get(Account, account_id) if account_id else None


# ---------------------------------------------------------------- reassign one record, assign many


@bp.post("/handlers/<record_type>/<int:record_id>/reassign")
@login_required
def reassign(unit_id: int, record_type: str, record_id: int):
    record = queries.load_handled(record_type, record_id, g.unit, current_user, Action.HANDLERS_ASSIGN)
    entry = handled_type(record_type)
    page = url_for(entry.detail_endpoint, unit_id=unit_id, **entry.detail_args(record)) + "#handler"
    try:
        change = ops.reassign(record, _account(request.form), unit=g.unit, reason=request.form.get("reason", ""),
                              expected_version=request.form.get("version", type=int))
    except (InvalidInput, Conflict) as exc:
        db.session.rollback()
        for message in (exc.messages if isinstance(exc, InvalidInput) else [exc.message or _("记录已被他人修改")]):
            flash(message, "error")
        return redirect(page, 303)
    if change is None:
        flash(_("承办人未变"), "info")
    else:
        flash(_("已将承办人更换为 %(name)s", name=change.to_account.display_name), "success")
    return redirect(page)


@bp.post("/handlers/bulk-assign")
@login_required
def bulk_assign(unit_id: int):
    """指定承办人 for the rows selected on a list: each row checked on its own, failures listed with the reason."""
    unit = g.unit
    ensure(current_user, Action.HANDLERS_ASSIGN, unit, target=unit)
    entry = queries.entry_or_404(request.form.get("record_type", ""), unit)
    back = _back(url_for(entry.list_endpoint, unit_id=unit.id, **(entry.list_args(unit) or {})))
    try:
        ids = selected_ids(request.form.getlist("ids"))
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(back, 303)
    if not ids:
        flash(_("请先勾选要指定承办人的记录"), "error")
        return redirect(back, 303)
    try:
        results = ops.bulk_assign(queries.records_for_bulk(entry, ids, unit), _account(request.form),
                                  request.form.get("reason", ""), unit=unit)
    except InvalidInput as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
        return redirect(back, 303)
    done = [r for r in results if r.ok]
    if done:
        flash(_("已为 %(n)s 条记录指定承办人", n=len(done)), "success")
    for row in results:
        if not row.ok:
            flash(_("%(r)s 未指定：%(why)s", r=row.title, why=row.error), "error")
    return redirect(back)


# ---------------------------------------------------------------- the unit's workload


@bp.get("/workload")
@login_required
def workload(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.HANDLERS_WORKLOAD, unit, target=unit)
    entries, rows = queries.workload(unit)
    list_args = {entry.key: entry.list_args(unit) for entry in entries}

    def link(entry, who: str, overdue: bool) -> str | None:
        """The area's list of ``who``'s records (its overdue ones), or None where the unit has no such list."""
        args = list_args[entry.key]
        if args is None:
            return None
        return url_for(entry.list_endpoint, unit_id=unit.id, **{
            **args, **(entry.overdue_args if overdue else entry.open_args), entry.handler_param: who})

    return render_template("handlers/workload.html", unit=unit, entries=entries, rows=rows, link=link,
                           today=calendar.today(), NOBODY=queries.NOBODY, children=queries.children_of(unit))


@bp.get("/workload/<int:child_id>")
@login_required
def child_workload(unit_id: int, child_id: int):
    """A unit below's workload, for the leader of a unit above it (a county over its townships): the counts per
    handler only, without links, since the records stay the township's."""
    unit = g.unit
    ensure(current_user, Action.HANDLERS_WORKLOAD, unit, target=unit)
    child = db.session.get(Unit, child_id)
    # Only the units right below (a county over its townships), as its workload page lists them.
    if child is None or child.parent_id != unit.id or not child.takes_casework \
            or not can(current_user, Action.ROLLUPS_READ, unit, target=child):
        deny(Action.HANDLERS_WORKLOAD, unit=unit, object_type="unit", object_id=child_id)
    entries, rows = queries.workload_below(child)
    return render_template("handlers/workload.html", unit=child, above=unit, entries=entries, rows=rows,
                           link=lambda *_args: None, today=calendar.today(), NOBODY=queries.NOBODY,
                           children=[])


# ---------------------------------------------------------------- what the areas' pages call (Jinja globals)


def handler_panel(record) -> Markup:
    """The record page's 承办人 card: the handler, the history, and for a leader the reassign form. Empty on a
    page of a record the acting unit does not handle (read through a share; a supervision item it issued)."""
    entry = handled_type_of(record)
    unit = g.get("unit")
    if entry is None or unit is None or entry.owner_id(record) != unit.id:
        return Markup("")
    may_assign = can(current_user, Action.HANDLERS_ASSIGN, unit) and entry.is_open(record)
    return Markup(render_template(
        "handlers/_panel.html", unit=unit, entry=entry, record=record,
        handler=db.session.get(Account, record.handler_id) if record.handler_id else None,
        history=queries.history(entry.key, record.id), may_assign=may_assign,
        candidates=queries.candidates(unit, entry) if may_assign else []))


def handler_names(records) -> dict[int, str]:
    return queries.names(getattr(r, "handler_id", None) for r in records)


def handler_candidates(record_type: str) -> list[Account]:
    """The officers a list's bulk form offers (empty for whoever may not assign)."""
    unit, entry = g.get("unit"), handled_type(record_type)
    if unit is None or entry is None or not can(current_user, Action.HANDLERS_ASSIGN, unit):
        return []
    return queries.candidates(unit, entry)


def handler_filter_label(value: str) -> str:
    """The list's filter by one handler (from the workload page), in words."""
    if value == queries.NOBODY:
        return _("未指定承办人")
    if value.isdigit():
        return _("承办人：%(name)s", name=queries.member_names(g.unit, [int(value)]).get(int(value), "—"))
    return ""


def may_assign_handlers() -> bool:
    unit = g.get("unit")
    return unit is not None and can(current_user, Action.HANDLERS_ASSIGN, unit)


def install_globals(app) -> None:
    app.jinja_env.globals.update(handler_panel=handler_panel, handler_names=handler_names,
                                 handler_candidates=handler_candidates, may_assign_handlers=may_assign_handlers,
                                 handler_filter_value=queries.handler_arg,
                                 handler_filter_label=handler_filter_label)
