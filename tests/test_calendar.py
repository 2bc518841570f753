"""The working-day calendar: holidays and 调休 from the package, admin-entered years, due states, the admin page."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from core import calendar as cal
from core.errors import InvalidInput
from core.extensions import db
from tests.conftest import run_queued_jobs

# A made-up 2027 schedule for the tests (the package stops at 2026 and the State Council's notice for 2027
# could not be found): 元旦 Fri 01-01..Sun 01-03; 春节 Sat 02-06..Fri 02-12 with make-up Saturday 02-13; ...
SCHEDULE_2027 = {
    "new_year_start": "2027-01-01", "new_year_end": "2027-01-03",
    "spring_start": "2027-02-06", "spring_end": "2027-02-12", "spring_workdays": "2027-02-13",
    "qingming_start": "2027-04-03", "qingming_end": "2027-04-05",
    "labour_start": "2027-05-01", "labour_end": "2027-05-05", "labour_workdays": "2027-04-25",
    "dragon_boat_start": "2027-06-12", "dragon_boat_end": "2027-06-14",
    "mid_autumn_start": "2027-09-15", "mid_autumn_end": "2027-09-17",
    "national_start": "2027-10-01", "national_end": "2027-10-07", "national_workdays": "2027-09-26、2027-10-09",
}
MID_2026 = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)
MARK = "（节假日未公布，按工作日估算）"


def schedules(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(cal.HolidaySchedule.id)))


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


def test_2027_is_counted_on_weekdays_until_its_whole_schedule_is_entered(app_ctx, factory):
    admin_id = factory.account("sys", platform_role="system")
    assert cal.year_coverage(2026) == "package" and cal.year_known(2026)
    assert cal.year_coverage(2027) == "weekends_only" and not cal.year_known(2027)
    assert cal.is_estimated(date(2027, 1, 29)) and not cal.is_estimated(date(2026, 12, 31))
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 1)  # 元旦 counted as a working day

    cal.save_schedule(2027, cal.parse_schedule(2027, SCHEDULE_2027), admin_id)
    assert cal.year_coverage(2027) == "schedule" and not cal.is_estimated(date(2027, 1, 29))
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert cal.add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 13)  # the make-up Saturday
    assert cal.add_workdays(date(2027, 2, 5), 2) == date(2027, 2, 15)
    assert cal.is_workday(date(2027, 10, 9)) and not cal.is_workday(date(2027, 10, 7))
    assert cal.is_workday(date(2027, 3, 1)) and not cal.is_workday(date(2027, 3, 6))  # outside: Mon–Fri


def test_a_partial_or_inconsistent_schedule_is_refused_in_chinese(app_ctx):
    with pytest.raises(InvalidInput) as exc:  # one date is not a year's schedule
        cal.parse_schedule(2027, {"spring_start": "2027-02-06", "spring_end": "2027-02-06"})
    message = exc.value.errors["schedule"][0]
    assert "放假安排不完整" in message and "元旦" in message and "国庆节" in message and "春节" not in message

    bad = {**SCHEDULE_2027, "spring_workdays": "2027-02-15", "qingming_end": "2027-04-02",
           "labour_start": "2026-05-01", "dragon_boat_start": "2027-06-31"}
    with pytest.raises(InvalidInput) as exc:
        cal.parse_schedule(2027, bad)
    errors = exc.value.errors
    assert errors["spring"] == ["春节：调休上班日应是周六或周日"]
    assert errors["qingming"] == ["清明节：放假结束日期不能早于开始日期"]
    assert errors["labour"] == ["劳动节：日期应在 2027 年内"]
    assert "格式" in errors["dragon_boat"][0]

    with pytest.raises(InvalidInput) as exc:  # overlapping holidays that are not one combined holiday
        cal.parse_schedule(2027, {**SCHEDULE_2027, "mid_autumn_start": "2027-09-30", "mid_autumn_end": "2027-10-02"})
    assert "重叠" in exc.value.errors["national"][0]
    # 中秋节 and 国庆节 taken together: the same dates on both rows
    combined = cal.parse_schedule(2027, {**SCHEDULE_2027, "mid_autumn_start": "2027-10-01", "mid_autumn_end": "2027-10-07"})
    assert cal.schedule_days(combined)[date(2027, 10, 1)] == (False, "中秋节、国庆节")


def _petition_form(**overrides):
    return {"channel": "letter", "category": "违反廉洁纪律", "accused_name": "李四", "accused_position": "村委会主任",
            "accused_work_unit": "东镇东村", "summary": "反映李四违规收受礼金", "content": "详见来信。",
            "informant_name": "张三丰", "informant_phone": "13812345678", **overrides}


def test_a_deadline_in_an_unknown_year_is_marked_and_recomputed_when_the_schedule_arrives(app, browser, factory):
    tree = factory.tree()
    factory.account("east-intake", [(tree.town, "intake")])
    factory.account("sys", platform_role="system")
    factory.account("aud", platform_role="audit")
    with time_machine.travel(datetime(2026, 12, 21, 2, 0, tzinfo=timezone.utc)):
        browser.login("east-intake")
        response = browser.post(f"/u/{tree.town}/petitions/new", _petition_form(received_on="2026-12-20"))
        assert response.status_code == 302, response.get_data(as_text=True)
        url = response.location
        pid = int(url.rstrip("/").rsplit("/", 1)[1])
        # 40 working days counted Monday–Friday: 元旦 and the Spring Festival week counted as working days
        page = browser.get(url).get_data(as_text=True)
        assert "2027-02-12" in page and MARK in page
        assert MARK in browser.get(f"/u/{tree.town}/petitions").get_data(as_text=True)
        api = browser.get(f"/api/v1/u/{tree.town}/petitions/{pid}").get_json()
        assert api["due_on"] == "2027-02-12" and api["due_on_estimated"] is True
        browser.logout()

        browser.login("sys")
        page = browser.get("/admin/calendar").get_data(as_text=True)
        assert 'data-coverage="2027:weekends_only"' in page and "暂按周一至周五" in page
        # one date alone is refused, and nothing is saved
        response = browser.post("/admin/calendar", {"year": "2027", "new_year_start": "2027-01-01",
                                                    "new_year_end": "2027-01-01", "action": "save"})
        assert response.status_code == 422 and "放假安排不完整：缺少春节、清明节" in response.get_data(as_text=True)
        # the preview shows the difference against Monday–Friday and saves nothing
        response = browser.post("/admin/calendar", {"year": "2027", **SCHEDULE_2027, "action": "preview"})
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and "data-preview" in page
        assert "共 261 个工作日；按本安排共 246 个工作日（19 个工作日放假，4 个周末调休上班）" in page
        assert 'data-preview-day="2027-01-01"' in page and 'data-preview-day="2027-02-13"' in page
        assert 'data-preview-day="2027-01-02"' not in page  # a Saturday off either way: no difference
        assert "确认保存" in page and schedules(app) == 0

        response = browser.post("/admin/calendar", {"year": "2027", **SCHEDULE_2027, "action": "save"})
        assert response.status_code == 302
        run_queued_jobs(app)
        page = browser.get(response.location).get_data(as_text=True)
        assert 'data-coverage="2027:schedule"' in page and "已保存 2027 年放假安排" in page
        browser.logout()

        # 元旦 and 春节 skipped, the make-up Saturday counted: the deadline moved later, logged, no mark
        browser.login("east-intake")
        page = browser.get(url).get_data(as_text=True)
        assert "2027-02-19" in page and MARK not in page
        assert "期限调整" in page and "2027 年节假日安排已更新，办理期限由 2027-02-12 调整为 2027-02-19" in page
        api = browser.get(f"/api/v1/u/{tree.town}/petitions/{pid}").get_json()
        assert api["due_on"] == "2027-02-19" and api["due_on_estimated"] is False
        browser.logout()

        browser.login("aud")
        assert "2027-02-19" in browser.get("/admin/audit?action=petitions.deadline").get_data(as_text=True)
        assert "春节 2027-02-06～2027-02-12" in browser.get("/admin/audit?action=calendar.schedule").get_data(as_text=True)


def test_only_deadlines_counted_by_the_old_rule_move_and_a_second_run_changes_nothing(app, app_ctx, factory):
    from core import context
    from core.petitions import operations as ops
    from core.workflow import history
    from tenants.models import Unit

    admin_id = factory.account("sys", platform_role="system")
    unit = db.session.get(Unit, factory.tree().town)
    raw = {**_petition_form(received_on="2026-12-20"), "informant": {"name": "张三丰"}}
    with time_machine.travel(datetime(2026, 12, 21, 2, 0, tzinfo=timezone.utc)):
        with context.writing_as(unit.id, unit.path):
            counted = ops.register_petition(unit, dict(raw))
            by_hand = ops.register_petition(unit, {**raw, "due_on": "2027-02-10"})
        before = cal.year_rule(2027)
        cal.save_schedule(2027, cal.parse_schedule(2027, SCHEDULE_2027), admin_id)
        db.session.commit()
        run_queued_jobs(app)
        db.session.expire_all()
        assert (counted.due_on, by_hand.due_on) == (date(2027, 2, 19), date(2027, 2, 10))
        assert [h.transition for h in history("petitions", counted.id)] == ["create", "deadline"]
        assert [h.transition for h in history("petitions", by_hand.id)] == ["create"]
        assert cal.recompute_deadlines(2027, before.as_job_arg()) == 0  # idempotent


def test_system_admin_page_prefills_the_saved_schedule(app, browser, factory):
    with time_machine.travel(MID_2026):
        factory.account("sys", platform_role="system")
        browser.login("sys")
        page = browser.get("/admin/calendar").get_data(as_text=True)
        assert 'data-coverage="2026:package"' in page and 'data-coverage="2027:weekends_only"' in page
        assert browser.post("/admin/calendar", {"year": "2027", **SCHEDULE_2027, "action": "save"}).status_code == 302
        page = browser.get("/admin/calendar?year=2027").get_data(as_text=True)
        assert "data-schedule-entered" in page and 'value="2027-02-06"' in page and "2027-09-26、2027-10-09" in page


def test_only_the_system_admin_reaches_the_page(app, browser, factory):
    factory.account("sec", platform_role="security")
    factory.account("li", [(factory.tree().town, "leader")])
    assert browser.get("/admin/calendar").status_code == 302  # to the login page
    for username in ("sec", "li"):
        browser.login(username)
        assert browser.get("/admin/calendar").status_code == 404
        assert browser.post("/admin/calendar", {"year": "2027", **SCHEDULE_2027, "action": "save"},
                            form_page="/").status_code == 404
        browser.logout()
    assert schedules(app) == 0
