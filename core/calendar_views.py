"""The system administrator's page for a year's holiday schedule, and the deadline filter every page uses."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import select

from core import calendar
from core.errors import InvalidInput
from core.extensions import db
from core.identity.models import Account, PlatformRole

calendar_bp = Blueprint("calendar", __name__)


@calendar_bp.app_template_filter("deadline")
def deadline_filter(due: date | str | None, empty: str = "—") -> Markup:
    """A deadline as shown everywhere: the date, and the estimate mark when its year's holidays are not known."""
    if not due:
        return Markup(escape(empty))
    if isinstance(due, str):  # kept as text in a record's JSON (e.g. a routing's deadline)
        due = date.fromisoformat(due)
    mark = Markup('<span class="warning" data-estimated>{}</span>').format(calendar.ESTIMATE_MARK) \
        if calendar.is_estimated(due) else ""
    return Markup("{}{}").format(due.isoformat(), mark)


def _form_from(periods: list[dict]) -> dict[str, str]:
    form = {}
    for p in periods:
        form.update({f"{p['festival']}_start": p["start"], f"{p['festival']}_end": p["end"],
                     f"{p['festival']}_workdays": "、".join(p["workdays"])})
    return form


@calendar_bp.route("/admin/calendar", methods=["GET", "POST"])
@login_required
def admin():
    # The kernel cannot ask tenants.access; only the system admin manages platform data. Denials are 404.
    if current_user.platform_role != PlatformRole.SYSTEM:
        abort(404)
    this_year = calendar.today().year
    years = (this_year, this_year + 1)
    year = request.values.get("year", type=int)
    if year is None or not 2000 <= year <= 2100:
        year = next((y for y in years if not calendar.year_known(y)), this_year + 1)
    schedule = db.session.scalar(select(calendar.HolidaySchedule).where(calendar.HolidaySchedule.year == year))
    form, errors, preview = (_form_from(schedule.periods) if schedule else {}), {}, None
    if request.method == "POST":
        form = request.form
        try:
            periods = calendar.parse_schedule(year, form)
            if request.form.get("action") == "save":
                calendar.save_schedule(year, periods, current_user.id)
                flash(_("已保存 %(y)s 年放假安排；按原安排计算的未办结期限将重新计算", y=year), "success")
                return redirect(url_for("calendar.admin", year=year))
            preview = calendar.preview(year, periods)
        except InvalidInput as exc:
            errors = exc.errors
    singles = db.session.execute(
        select(calendar.CalendarDay, Account.username)
        .outerjoin(Account, Account.id == calendar.CalendarDay.entered_by_id)
        .where(calendar.CalendarDay.day >= date(year, 1, 1), calendar.CalendarDay.day <= date(year, 12, 31))
        .order_by(calendar.CalendarDay.day)).all()
    entered_by = db.session.get(Account, schedule.entered_by_id) if schedule and schedule.entered_by_id else None
    return render_template("calendar/admin.html", year=year, coverage=[(y, calendar.year_coverage(y)) for y in years],
                           festivals=calendar.FESTIVALS, form=form, errors=errors, preview=preview,
                           schedule=schedule, entered_by=entered_by, singles=singles,
                           mark=calendar.ESTIMATE_MARK), 422 if errors else 200
