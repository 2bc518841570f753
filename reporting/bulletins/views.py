"""HTML pages of bulletins (/u/<unit>/bulletins): those published to the unit (its own and its children's),
one bulletin (printable, with Word and Excel downloads) and a leader's bulletin of a chosen past period."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import calendar
from core.documents import docx_response, workbook_response
from core.errors import InvalidInput
from core.extensions import db
from core.renditions.serve import pdf_download
from reporting.bulletins import documents
from reporting.bulletins import operations as ops
from reporting.bulletins.models import KINDS, Bulletin
from reporting.bulletins.queries import load_bulletin, readable, reads_bulletins_of
from reporting.figures import FIGURES
from tenants.access import Action, can, deny, ensure
from tenants.models import Unit

bp = Blueprint("bulletins", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/bulletins")
PER_PAGE = 50


@bp.app_template_global()
def bulletin_figure_label(bulletin: Bulletin, key: str) -> str:
    """The figure's label in the reader's language; the stored one if the catalogue no longer has it."""
    return str(FIGURES[key].label) if key in FIGURES else bulletin.snapshot["figures"][key]["label"]


@bp.app_template_filter()
def bulletin_value(value, unit: str = "") -> str:
    return documents.number(value, unit)


@bp.get("")
@login_required
def index(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.ROLLUPS_READ, unit, target=unit)
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    page = max(request.args.get("page", 1, type=int), 1)
    reader = reads_bulletins_of(current_user, unit, unit)
    items, total = ops.published_to(unit, kind, page=page, per_page=PER_PAGE) if reader else ([], 0)
    return render_template("bulletins/index.html", unit=unit, items=readable(items, unit), total=total, page=page,
                           per_page=PER_PAGE, kind=kind, KINDS=KINDS, reader=reader,
                           has_own=ops.has_bulletins(unit),
                           may_build=ops.has_bulletins(unit) and can(current_user, Action.BULLETINS_BUILD, unit))


def _ensure_builder(unit: Unit) -> None:
    # Building publishes an official document of the unit: its leaders, at a unit above township (the
    # units that send directives down the tree).
    ensure(current_user, Action.BULLETINS_BUILD, unit, target=unit)
    if not ops.has_bulletins(unit):
        deny(Action.BULLETINS_BUILD, unit=unit, object_type="bulletins")


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(unit_id: int):
    unit = g.unit
    _ensure_builder(unit)
    today = calendar.today()
    errors: dict = {}
    form = {"kind": "weekly", "period": ops.period_of("weekly", today=today).key}
    if request.method == "POST":
        form = {"kind": request.form.get("kind", ""), "period": request.form.get("period", "").strip()}
        try:
            bulletin, built = ops.build_on_demand(unit, form["kind"], form["period"], current_user.id)
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已生成并发布通报") if built else _("该期通报已发布（通报一经发布即固定，不重新生成）"),
                  "success" if built else "info")
            return redirect(url_for("bulletins.show", unit_id=unit.id, bulletin_id=bulletin.id))
    return render_template("bulletins/new.html", unit=unit, form=form, errors=errors, KINDS=KINDS,
                           last_week=ops.period_of("weekly", today=today),
                           last_month=ops.period_of("monthly", today=today)), 422 if errors else 200


@bp.get("/<int:bulletin_id>")
@login_required
def show(unit_id: int, bulletin_id: int):
    bulletin = load_bulletin(bulletin_id)
    match request.args.get("format"):
        case "docx":
            return docx_response(documents.bulletin_docx(bulletin), f"{bulletin.title}.docx")
        case "pdf":
            return pdf_download(g.unit, "bulletin", bulletin.id, documents.bulletin_docx(bulletin),
                                f"{bulletin.title}.pdf", Action.ROLLUPS_READ)
        case "xlsx":
            return workbook_response(documents.bulletin_workbook(bulletin), f"{bulletin.title}.xlsx")
    return render_template("bulletins/show.html", unit=g.unit, bulletin=bulletin, s=bulletin.snapshot,
                           rows=documents.figure_rows(bulletin))
