"""The system administrator's page for the official holiday calendar (when the package lags behind)."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core import calendar
from core.errors import InvalidInput
from core.extensions import db
from core.identity.models import Account, PlatformRole

calendar_bp = Blueprint("calendar", __name__)


@calendar_bp.route("/admin/calendar", methods=["GET", "POST"])
@login_required
def admin():
    # The kernel cannot ask tenants.access; only the system admin manages platform data. Denials are 404.
    if current_user.platform_role != PlatformRole.SYSTEM:
        abort(404)
    this_year = calendar.today().year
    year = request.args.get("year", type=int)
    if year is None or not 2000 <= year <= 2100:
        year = this_year
    errors: dict = {}
    if request.method == "POST":
        try:
            rows = calendar.parse_official_dates(request.form.get("dates", ""))
            saved = calendar.save_official_dates(rows, current_user.id)
        except InvalidInput as exc:
            errors = exc.errors
        else:
            flash(_("已保存 %(n)s 个日期", n=saved), "success")
            return redirect(url_for("calendar.admin", year=rows[0][0].year))
    entered = db.session.execute(
        select(calendar.CalendarDay, Account.username)
        .outerjoin(Account, Account.id == calendar.CalendarDay.entered_by_id)
        .where(calendar.CalendarDay.day >= date(year, 1, 1),
               calendar.CalendarDay.day <= date(year, 12, 31))
        .order_by(calendar.CalendarDay.day)).all()
    coverage = [(y, calendar.year_coverage(y)) for y in (this_year, this_year + 1)]
    return render_template("calendar/admin.html", year=year, coverage=coverage, entered=entered, errors=errors,
                           text=request.form.get("dates", "") if errors else ""), 422 if errors else 200
