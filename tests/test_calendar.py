"""The working-day calendar: holidays and 调休 from the package, admin-entered years, due states, the admin page."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from core import calendar as cal
from core.errors import InvalidInput
from core.extensions import db

# Made-up dates for 2027 (the package stops at 2026): 春节 Sat 02-06 .. Fri 02-12, make-up workday Sat 02-13.
DATES_2027 = "\n".join([f"2027-02-{d:02d} 休 春节" for d in range(6, 13)] + ["2027-02-13 班 春节调休"])
MID_2026 = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)


def entered_days(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(cal.CalendarDay.id)))


def test_spring_festival_2026_deadlines_skip_the_holiday_and_count_make_up_saturdays(app_ctx):
    friday = date(2026, 2, 13)
    assert cal.is_workday(date(2026, 2, 14))  # Saturday, 调休
    assert not any(cal.is_workday(date(2026, 2, d)) for d in range(15, 24))
    assert cal.is_workday(date(2026, 2, 28))  # Saturday, 调休
    # 5 working days from Friday: Sat 14th, then Tue 24th .. Fri 27th
    assert cal.add_workdays(friday, 5) == date(2026, 2, 27)
    assert cal.add_workdays(friday, 6) == date(2026, 2, 28)
    assert cal.add_workdays(date(2026, 2, 27), -5) == friday
    assert cal.workdays_between(friday, date(2026, 2, 28)) == 6
    assert cal.workdays_between(date(2026, 2, 28), friday) == -6
    assert cal.workdays_between(friday, friday) == 0
    # Counting from a holiday or asking for 0 days lands on the first day back
    assert cal.add_workdays(date(2026, 2, 18), 0) == date(2026, 2, 24)
    assert cal.add_workdays(date(2026, 2, 18), 1) == date(2026, 2, 24)
    assert cal.add_workdays(date(2026, 2, 18), 2) == date(2026, 2, 25)
    assert cal.add_workdays(friday, 0) == friday


def test_national_day_2026_and_monthly_due_dates_move_to_the_next_working_day(app_ctx):
    # Mid-autumn Fri 09-25 .. Sun 09-27, National Day 10-01 .. 10-07; make-up workdays Sun 09-20 and Sat 10-10
    assert cal.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert cal.add_workdays(date(2026, 10, 8), 2) == date(2026, 10, 10)
    assert cal.workdays_between(date(2026, 9, 30), date(2026, 10, 9)) == 2
    # "by the 20th": Sunday 2026-09-20 is a make-up workday, so it stays; October's holiday moves it
    assert cal.next_workday_on_or_after(date(2026, 9, 20)) == date(2026, 9, 20)
    assert cal.next_workday_on_or_after(date(2026, 10, 1)) == date(2026, 10, 8)
    assert cal.next_workday_on_or_after(date(2026, 12, 20)) == date(2026, 12, 21)  # an ordinary Sunday


def test_due_state_boundaries_in_working_days(app_ctx):
    tuesday = date(2026, 2, 24)  # first day back after Spring Festival
    assert cal.due_state(date(2026, 2, 23), today=tuesday) == "overdue"
    assert cal.due_state(tuesday, today=tuesday) == "due_soon"
    assert cal.due_state(date(2026, 2, 27), today=tuesday) == "due_soon"  # 3 working days away
    assert cal.due_state(date(2026, 2, 28), today=tuesday) == "ok"  # 4 (the make-up Saturday)
    assert cal.due_state(date(2026, 2, 28), today=tuesday, soon=4) == "due_soon"
    # 12 calendar days but only 3 working days across the holiday
    assert cal.due_state(date(2026, 2, 25), today=date(2026, 2, 13)) == "due_soon"
    assert str(cal.DUE_STATE_LABELS["overdue"]) == "已逾期"
    # "today" is the date in China: 17:00 UTC on the 23rd is already the 24th in Beijing
    with time_machine.travel(datetime(2026, 2, 23, 17, 0, tzinfo=timezone.utc), tick=False):
        assert cal.today() == tuesday
        assert cal.due_state(date(2026, 2, 23)) == "overdue"


def test_2027_falls_back_to_weekdays_until_an_admin_enters_its_dates(app_ctx, factory):
    admin_id = factory.account("sys", platform_role="system")
    assert cal.year_coverage(2026) == "package"
    assert cal.year_coverage(2027) == "weekends_only"
    assert cal.add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 8)  # plain Monday

    cal.save_official_dates(cal.parse_official_dates(DATES_2027), admin_id)
    assert cal.year_coverage(2027) == "manual"
    assert cal.add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 13)  # the make-up Saturday
    assert cal.add_workdays(date(2027, 2, 5), 2) == date(2027, 2, 15)
    assert cal.is_workday(date(2027, 3, 1)) and not cal.is_workday(date(2027, 3, 6))  # outside: Mon–Fri

    # Entering a date again changes it; an entered date also overrides the package
    cal.save_official_dates(cal.parse_official_dates("2027-02-13 休 春节\n2026-02-27 休 临时调整"), admin_id)
    assert cal.add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 15)
    assert cal.add_workdays(date(2026, 2, 13), 5) == date(2026, 2, 28)
    assert cal.year_coverage(2026) == "package"
    assert db.session.scalar(select(func.count(cal.CalendarDay.id))) == 9


def test_pasted_lines_accept_common_words_and_report_bad_lines_by_number(app_ctx):
    rows = cal.parse_official_dates("# 2027\n2027-10-01\t放假\t国庆节\n\n2027/10/9 上班 国庆节调休\n2027-10-02 holiday")
    assert rows == [(date(2027, 10, 1), False, "国庆节"), (date(2027, 10, 9), True, "国庆节调休"),
                    (date(2027, 10, 2), False, "")]
    with pytest.raises(InvalidInput) as exc:
        cal.parse_official_dates("2027-10-01 休 国庆节\n2027-13-01 休\n2027-10-03 歇\n2027-10-01 班")
    messages = exc.value.errors["dates"]
    assert len(messages) == 3
    assert "第 2 行" in messages[0] and "第 3 行" in messages[1] and "与第 1 行日期重复" in messages[2]
    with pytest.raises(InvalidInput):
        cal.parse_official_dates("\n  \n")


def test_system_admin_enters_a_year_on_the_page(app, browser, factory):
    with time_machine.travel(MID_2026):
        factory.account("sys", platform_role="system")
        browser.login("sys")
        page = browser.get("/admin/calendar").get_data(as_text=True)
        assert 'data-coverage="2026:package"' in page and 'data-coverage="2027:weekends_only"' in page
        assert "暂按周一至周五" in page

        response = browser.post("/admin/calendar", {"dates": DATES_2027})
        assert response.status_code == 302
        page = browser.get(response.location).get_data(as_text=True)
        assert "已保存 8 个日期" in page
        assert 'data-coverage="2027:manual"' in page
        assert "2027-02-13" in page and "春节调休" in page and "<td>sys</td>" in page

        factory.account("aud", platform_role="audit")  # the change is in the audit trail
        browser.logout()
        browser.login("aud")
        page = browser.get("/admin/audit?action=calendar.update&account=sys").get_data(as_text=True)
        assert "<td>calendar.update</td>" in page and "2027-02-13 班 春节调休" in page


def test_a_bad_line_saves_nothing_and_is_shown_in_chinese(app, browser, factory):
    with time_machine.travel(MID_2026):
        factory.account("sys", platform_role="system")
        browser.login("sys")
        response = browser.post("/admin/calendar", {"dates": DATES_2027 + "\n2027-02-30 休 春节"})
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "第 9 行" in page
        assert "2027-02-06 休 春节" in page  # the paste is kept for correcting
        assert 'data-coverage="2027:weekends_only"' in page
    assert entered_days(app) == 0


def test_only_the_system_admin_reaches_the_page(app, browser, factory):
    factory.account("sec", platform_role="security")
    factory.account("li", [(factory.tree().town, "leader")])
    assert browser.get("/admin/calendar").status_code == 302  # to the login page
    for username in ("sec", "li"):
        browser.login(username)
        assert browser.get("/admin/calendar").status_code == 404
        assert browser.post("/admin/calendar", {"dates": DATES_2027}, form_page="/").status_code == 404
        browser.logout()
    assert entered_days(app) == 0
