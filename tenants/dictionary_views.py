"""数据字典 (system admin): the drop-down lists' entries — relabel, reorder, deactivate/activate, add, remove unused.

The routes hang on the admin blueprint (tenants.views); the mechanism and every write are core.dictionaries.
No case data: a page shows the entries only, never a record carrying them."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import dictionaries
from core.errors import InvalidInput
from core.extensions import db
from tenants.access import Action, ensure
from tenants.views import admin_bp

OPERATIONS = ("relabel", "up", "down", "deactivate", "activate", "add", "remove")


@admin_bp.get("/dictionaries", endpoint="dictionaries")
@login_required
def dictionaries_page():
    ensure(current_user, Action.DICTIONARIES_MANAGE)
    rows = [{"dictionary": d, "count": len(dictionaries.entries(d.name, active_only=False)),
             "active": len(dictionaries.entries(d.name))}
            for d in sorted(dictionaries.DICTIONARIES.values(), key=lambda d: (str(d.area), d.name))]
    return render_template("tenants/admin_dictionaries.html", rows=rows)


@admin_bp.route("/dictionaries/<name>", methods=["GET", "POST"])
@login_required
def dictionary(name: str):
    ensure(current_user, Action.DICTIONARIES_MANAGE)
    declared = dictionaries.DICTIONARIES.get(name)
    if declared is None:
        abort(404)
    errors: dict = {}
    if request.method == "POST":
        op, code, form = request.form.get("op", ""), request.form.get("code", ""), request.form
        try:
            if op == "relabel":
                dictionaries.relabel(name, code, form.get("label_zh"), form.get("label_en"),
                                     account_id=current_user.id)
                message = _("已修改名称")
            elif op in ("up", "down"):
                dictionaries.move(name, code, op, account_id=current_user.id)
                message = _("已调整顺序")
            elif op in ("deactivate", "activate"):
                dictionaries.set_active(name, code, op == "activate", account_id=current_user.id)
                message = _("已启用") if op == "activate" else _("已停用：新登记时不再可选，已有记录照常显示")
            elif op == "add":
                dictionaries.add(name, code, form.get("label_zh"), form.get("label_en"), account_id=current_user.id)
                message = _("已增加条目")
            elif op == "remove":
                dictionaries.remove(name, code, account_id=current_user.id)
                message = _("已删除条目")
            else:
                raise InvalidInput({"op": [_("请选择一项操作")]})
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:  # committed with the answer (core.app: one commit per request)
            flash(message, "success")
            return redirect(url_for("admin.dictionary", name=name))
    return render_template("tenants/admin_dictionary.html", dictionary=declared,
                           entries=dictionaries.entries(name, active_only=False), errors=errors, form=request.form), \
        (422 if errors else 200)
