"""Correcting a tour, a meeting and a registered issue's deadline from their pages: what a meeting stands on stays (a
village with a meeting cannot leave the tour, the period keeps every meeting), a new deadline clears the overdue
warning and reaches the township's to-do, each change is audited old and new, and only the county's managers see
the forms."""
from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select

from core import calendar, context
from core.extensions import db
from tests.test_meetings import Tour, _people, _stats, _villages

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _form(page: str) -> str:
    return CSRF.search(page).group(1)


def test_a_tour_is_corrected_but_keeps_what_its_meetings_stand_on(app, factory, browser):
    from core.audit.models import AuditEvent
    from core.meetings.models import InspectionTour

    tree = factory.tree()
    people = _people(factory, tree)
    villages = _villages(app, tree)
    t = Tour(app, tree, people, villages)
    browser.login("m-officer")
    url = f"/u/{tree.county}/meetings/tours/{t.tour['id']}"
    page = browser.get(url).get_data(as_text=True)
    assert "修改巡察信息" in page
    today = calendar.today()
    base = {"csrf_token": _form(page), "name": "县委第三巡察组第八轮巡察（调整）", "leader_name": "王组长",
            "members": "李组员、赵组员、钱组员", "account_ids": [str(people["officer"])],
            "starts_on": (today - timedelta(days=30)).isoformat(), "ends_on": (today + timedelta(days=30)).isoformat()}

    # Dropping the village that held a meeting, or a period that leaves the meeting out: refused, nothing saved.
    refused = browser.post(url, data={**base, "village_ids": [str(villages["west"])]})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "已召开现场办公会的村（社区）不能移出巡察范围：叶庄村" in text
    refused = browser.post(url, data={**base, "village_ids": [str(villages["east"])],
                                      "starts_on": (today - timedelta(days=10)).isoformat()})
    assert refused.status_code == 422 and "巡察期间须包含已召开的现场办公会" in refused.get_data(as_text=True)
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        tour = db.session.get(InspectionTour, t.tour["id"])
        assert tour.name == "县委第三巡察组第八轮巡察" and len(tour.villages) == 2

    saved = browser.post(url, data={**base, "village_ids": [str(villages["east"])]})
    assert saved.status_code == 302
    page = browser.get(url).get_data(as_text=True)
    assert "县委第三巡察组第八轮巡察（调整）" in page and "钱组员" in page and "西岭村" not in page.split("data-edit-tour")[0]
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        tour = db.session.get(InspectionTour, t.tour["id"])
        assert tour.account_ids == [people["officer"]] and [v["name"] for v in tour.villages] == ["叶庄村"]
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "inspection_tour.update")).one()
        assert json.loads(event.detail)["changed"]["villages"] == {"from": ["叶庄村", "西岭村"], "to": ["叶庄村"]}

    # A county reviewer reads the tour but gets no form, and posting is refused.
    browser.login("m-reviewer")
    reviewer_page = browser.get(url)
    assert reviewer_page.status_code == 200 and "修改巡察信息" not in reviewer_page.get_data(as_text=True)
    fresh = {key: value for key, value in base.items() if key != "csrf_token"}
    assert browser.post(url, data={**fresh, "village_ids": [str(villages["east"])]}).status_code in (403, 404)


def test_a_meeting_is_corrected_and_an_issues_deadline_moved_with_its_reason(app, factory, browser):
    from core.audit.models import AuditEvent
    from core.inbox.models import InboxItem
    from core.meetings.models import OnsiteMeeting

    tree = factory.tree()
    people = _people(factory, tree)
    t = Tour(app, tree, people, _villages(app, tree))
    issue = t.log(category="road", summary="断头路", named=False, villager_name="", outcome="registered",
                  body_kind="township", body_unit_id=tree.town,
                  deadline=(t.held + timedelta(days=15)).isoformat()).get_json()
    assert _stats(app, tree.county)["meetings.issues.overdue"] == 1

    browser.login("m-officer")
    url = f"/u/{tree.county}/meetings/{t.meeting['id']}"
    page = browser.get(url).get_data(as_text=True)
    refused = browser.post(url, data={"csrf_token": _form(page), "place": "", "leaders": "王组长"})
    assert refused.status_code == 422 and "请填写办公会地点" in refused.get_data(as_text=True)
    saved = browser.post(url, data={"csrf_token": _form(page), "place": "叶庄村文化礼堂", "leaders": "王组长、东镇镇长",
                                    "departments": "县交通运输局"})
    assert saved.status_code == 302
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        meeting = db.session.get(OnsiteMeeting, t.meeting["id"])
        assert meeting.place == "叶庄村文化礼堂" and meeting.departments == ["县交通运输局"]
        assert meeting.held_on == t.held  # the day stays

    issue_url = f"/u/{tree.county}/meetings/issues/{issue['id']}"
    page = browser.get(issue_url).get_data(as_text=True)
    assert "调整办理时限" in page
    new_deadline = calendar.today() + timedelta(days=10)
    refused = browser.post(f"{issue_url}/deadline", data={"csrf_token": _form(page),
                                                         "deadline": new_deadline.isoformat(), "reason": ""})
    assert refused.status_code == 422 and "请填写调整时限的理由" in refused.get_data(as_text=True)
    assert _stats(app, tree.county)["meetings.issues.overdue"] == 1
    moved = browser.post(f"{issue_url}/deadline", data={"csrf_token": _form(page), "deadline": new_deadline.isoformat(),
                                                       "reason": "涉及县自然资源局重新测绘"})
    assert moved.status_code == 302
    assert _stats(app, tree.county)["meetings.issues.overdue"] == 0
    assert "已逾期" not in browser.get(issue_url).get_data(as_text=True)
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "meeting_issue.deadline")).one()
        detail = json.loads(event.detail)
        assert detail["reason"] == "涉及县自然资源局重新测绘" and detail["to"] == new_deadline.isoformat()
        todo = db.session.scalars(select(InboxItem).where(
            InboxItem.unit_id == tree.town, InboxItem.object_type == "meeting_issues", InboxItem.done_at.is_(None))).all()
        assert [item.due_on for item in todo] == [new_deadline]

    # The township the issue is registered with closes it, but cannot move its deadline.
    browser.login("m-town")
    town_page = browser.get(f"/u/{tree.town}/meetings/issues/{issue['id']}").get_data(as_text=True)
    assert "调整办理时限" not in town_page
    assert browser.post(f"/u/{tree.town}/meetings/issues/{issue['id']}/deadline",
                        data={"csrf_token": _form(town_page), "deadline": new_deadline.isoformat(),
                              "reason": "x"}).status_code == 404


def test_the_api_corrects_a_tour_a_meeting_and_a_deadline_and_refuses_in_chinese(app, factory):
    from tests.conftest import bearer

    tree = factory.tree()
    people = _people(factory, tree)
    villages = _villages(app, tree)
    t = Tour(app, tree, people, villages)
    tour_url = t.url(f"inspection-tours/{t.tour['id']}")
    renamed = t.client.patch(tour_url, headers=t.h, json={"name": "第八轮巡察（更名）", "version": t.tour["version"]})
    assert renamed.status_code == 200, renamed.get_json()
    body = renamed.get_json()
    assert body["name"] == "第八轮巡察（更名）" and len(body["villages"]) == 2 and body["leader_name"] == "王组长"
    stale = t.client.patch(tour_url, headers=t.h, json={"name": "再改", "version": t.tour["version"]})
    assert stale.status_code == 409
    refused = t.client.patch(tour_url, headers=t.h, json={"village_ids": [villages["west"]]})
    assert refused.status_code == 422 and "叶庄村" in str(refused.get_json())

    meeting_url = t.url(f"onsite-meetings/{t.meeting['id']}")
    moved = t.client.patch(meeting_url, headers=t.h, json={"place": "村委会二楼"})
    assert moved.status_code == 200 and moved.get_json()["place"] == "村委会二楼"
    assert moved.get_json()["departments"] == ["县交通运输局", "县自然资源局"]

    issue = t.log(category="road", summary="断头路", outcome="registered", body_kind="department",
                  body_name="县交通运输局", deadline=(t.held + timedelta(days=5)).isoformat()).get_json()
    deadline_url = f"{t.issues_url}/{issue['id']}/deadline"
    refused = t.client.post(deadline_url, headers=t.h, json={"deadline": "2026-13-01", "reason": ""})
    assert refused.status_code == 422 and set(refused.get_json()["errors"]) >= {"deadline", "reason"}
    new_deadline = (calendar.today() + timedelta(days=3)).isoformat()
    done = t.client.post(deadline_url, headers=t.h, json={"deadline": new_deadline, "reason": "需县里统筹资金"})
    assert done.status_code == 200 and done.get_json()["deadline"] == new_deadline

    # Another county's leader: 404 on each.
    other = bearer(app, "m-other")
    assert t.client.patch(tour_url, headers=other, json={"name": "x"}).status_code == 404
    assert t.client.patch(meeting_url, headers=other, json={"place": "x"}).status_code == 404
    assert t.client.post(deadline_url, headers=other, json={"deadline": new_deadline, "reason": "x"}).status_code == 404


def test_after_an_upload_on_a_refused_forms_page_the_browser_returns_to_the_record_not_the_form(app, factory, browser):
    """The attachments panel on a page answering a refused POST sends the browser back to the record's own page
    after an upload (app.js reloads only a page it reached by GET): the refused 办结 is never sent again."""
    tree = factory.tree()
    people = _people(factory, tree)
    t = Tour(app, tree, people, _villages(app, tree))
    issue = t.log(category="road", summary="断头路", outcome="registered", body_kind="department",
                  body_name="县交通运输局", deadline=(t.held + timedelta(days=25)).isoformat()).get_json()
    browser.login("m-officer")
    issue_url = f"/u/{tree.county}/meetings/issues/{issue['id']}"
    assert f'name="back" value="{issue_url}"' in browser.get(issue_url).get_data(as_text=True)
    refused = browser.post(f"{issue_url}/done", data={"evidence": ""}, form_page=issue_url)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "data-upload-form" in page and f'name="back" value="{issue_url}"' in page
    assert f'name="back" value="{issue_url}/done"' not in page
