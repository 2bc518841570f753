"""巡察现场办公会: a county's inspection tour of its townships' villages, an on-site meeting with one issue answered on
the spot and one registered with a deadline (overdue: the scan warns the tour team once; then done with its note);
the figures move in the same transaction and the recount agrees; an anonymous villager's name shows nowhere; bad
input is refused in Chinese with nothing saved; a sibling county, a township and the province's analyst get 404."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from core import calendar, context
from core.extensions import db
from tests.conftest import Browser, bearer

CJK = re.compile(r"[\u4e00-\u9fff]")


def _people(factory, tree) -> dict:
    return {"officer": factory.account("m-officer", [(tree.county, "officer")]),
            "leader": factory.account("m-leader", [(tree.county, "leader")]),
            "reviewer": factory.account("m-reviewer", [(tree.county, "reviewer")]),
            "town": factory.account("m-town", [(tree.town, "leader")]),
            "other": factory.account("m-other", [(tree.other_county, "leader")]),
            "analyst": factory.account("m-analyst", [(tree.province, "analyst")])}


def _villages(app, tree) -> dict:
    from core.villages import operations as village_ops
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        east, west = db.session.get(Unit, tree.town), db.session.get(Unit, tree.town2)
        a = village_ops.add_village(east, {"name": "叶庄村", "code": "980121001201", "kind": "village"})
        b = village_ops.add_village(west, {"name": "西岭村", "code": "980121002201", "kind": "village"})
        db.session.commit()
        return {"east": a.id, "west": b.id}


def _stats(app, unit_id: int) -> dict:
    from tenants.models import UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return {row.metric: row.value for row in db.session.scalars(select(UnitStat).where(
            UnitStat.unit_id == unit_id, UnitStat.period == "", UnitStat.metric.like("meetings.%")))}


def _recount_agrees(app, unit_id: int) -> None:
    from core.meetings import operations as ops
    from tenants.models import Unit, UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        stored = {(row.metric, row.period): row.value for row in db.session.scalars(select(UnitStat).where(
            UnitStat.unit_id == unit_id, UnitStat.metric.like("meetings.%"))) if row.value}
        counted = ops.recount(db.session.get(Unit, unit_id), calendar.today())
    assert stored == counted


def _count(app, model) -> int:
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return db.session.scalar(select(func.count(model.id)))


class Tour:
    """A tour, a meeting 20 days ago and its issues, driven through the API by the county's officer."""

    def __init__(self, app, tree, people, villages):
        self.app, self.tree, self.people, self.villages = app, tree, people, villages
        self.client = app.test_client()
        self.h = bearer(app, "m-officer")
        today = calendar.today()
        self.held = today - timedelta(days=20)
        r = self.client.post(self.url("inspection-tours"), headers=self.h, json={
            "name": "县委第三巡察组第八轮巡察", "leader_name": "王组长", "members": ["李组员", "赵组员"],
            "account_ids": [people["officer"], people["leader"]],
            "starts_on": (today - timedelta(days=30)).isoformat(), "ends_on": (today + timedelta(days=30)).isoformat(),
            "village_ids": [villages["east"], villages["west"]]})
        assert r.status_code == 201, r.get_json()
        self.tour = r.get_json()
        r = self.client.post(self.url("onsite-meetings"), headers=self.h, json={
            "tour_id": self.tour["id"], "village_id": villages["east"], "held_on": self.held.isoformat(),
            "place": "叶庄村党群服务中心", "leaders": ["王组长", "东镇党委书记"], "departments": ["县交通运输局", "县自然资源局"]})
        assert r.status_code == 201, r.get_json()
        self.meeting = r.get_json()

    def url(self, tail: str) -> str:
        return f"/api/v1/u/{self.tree.county}/{tail}"

    @property
    def issues_url(self) -> str:
        return self.url(f"onsite-meetings/{self.meeting['id']}/issues")

    def log(self, **body):
        return self.client.post(self.issues_url, headers=self.h, json=body)


def test_meeting_issue_answered_and_registered_overdue_warned_then_done(app, factory, browser):
    from core.inbox.models import InboxItem
    from core.meetings import operations as ops

    tree = factory.tree()
    people = _people(factory, tree)
    t = Tour(app, tree, people, _villages(app, tree))
    assert [v["name"] for v in t.tour["villages"]] == ["叶庄村", "西岭村"]
    answered = t.log(category="road", summary="二十多米断头路多年未修", named=True, villager_name="叶长青",
                     outcome="answered", answer="已列入农村公路计划，月底开工")
    assert answered.status_code == 201, answered.get_json()
    assert answered.get_json()["state"] == "answered" and answered.get_json()["villager_name"] == "叶长青"
    registered = t.log(category="multi_house", summary="两处宅基地被认定一户多宅有异议", named=False,
                       villager_name="叶保密", outcome="registered", body_kind="township", body_unit_id=tree.town,
                       deadline=(t.held + timedelta(days=15)).isoformat())
    assert registered.status_code == 201, registered.get_json()
    issue = registered.get_json()
    assert issue["state"] == "open" and issue["body_name"] == "东镇" and issue["villager_name"] is None

    stats = _stats(app, tree.county)
    assert stats["meetings.held"] == 1 and stats["meetings.issues"] == 2
    assert stats["meetings.issues.answered_on_site"] == 1 and stats["meetings.issues.open"] == 1
    assert stats["meetings.issues.category.road"] == 1 and stats["meetings.issues.category.multi_house"] == 1
    assert stats["meetings.issues.overdue"] == 1  # its deadline (5 days ago) has passed
    _recount_agrees(app, tree.county)

    # The anonymous villager's name shows on no page and in no answer; the named one does.
    browser.login("m-officer")
    page = browser.get(f"/u/{tree.county}/meetings/{t.meeting['id']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "叶长青" in text and "叶保密" not in text and "不愿具名" in text and "已逾期" in text
    assert "叶保密" not in t.client.get(t.issues_url, headers=t.h).get_data(as_text=True)
    issue_page = browser.get(f"/u/{tree.county}/meetings/issues/{issue['id']}").get_data(as_text=True)
    assert "叶保密" not in issue_page and "办结" in issue_page
    assert browser.get(f"/u/{tree.county}/meetings").status_code == 200
    assert "叶庄村" in browser.get(f"/u/{tree.county}/meetings/tours/{t.tour['id']}").get_data(as_text=True)

    # The scan warns each account of the tour team once, and the township the issue is registered with.
    def scan():
        with app.app_context(), context.acting(context.maintenance_context(), db.session):
            result = ops.scan(calendar.today())
            db.session.commit()
            return result
    assert scan()["warned"] == 3
    assert scan()["warned"] == 0
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        warned = set(db.session.scalars(select(InboxItem.account_id).where(
            InboxItem.object_type == "onsite_meetings", InboxItem.done_at.is_(None))))
    assert warned == {people["officer"], people["leader"]}

    # Done: without its note refused (nothing saved), then with it.
    done_url = f"{t.issues_url}/{issue['id']}/done"
    refused = t.client.post(done_url, headers=t.h, json={"evidence": ""})
    assert refused.status_code == 422 and CJK.search(str(refused.get_json()))
    assert _stats(app, tree.county)["meetings.issues.open"] == 1
    done = t.client.post(done_url, headers=t.h, json={"evidence": "镇里逐户核实，已答复并公示"})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["state"] == "done"
    again = t.client.post(done_url, headers=t.h, json={"evidence": "再次办结"})
    assert again.status_code == 409
    stats = _stats(app, tree.county)
    assert stats["meetings.issues.resolved"] == 1 and stats["meetings.issues.open"] == 0
    assert stats["meetings.issues.overdue"] == 0
    _recount_agrees(app, tree.county)
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        open_warnings = db.session.scalar(select(func.count(InboxItem.id)).where(
            InboxItem.object_type == "onsite_meetings", InboxItem.done_at.is_(None)))
    assert open_warnings == 0


def test_bad_input_is_refused_in_chinese_and_nothing_is_saved(app, factory, browser):
    from core.meetings.models import InspectionTour, MeetingIssue, OnsiteMeeting

    tree = factory.tree()
    people = _people(factory, tree)
    villages = _villages(app, tree)
    t = Tour(app, tree, people, villages)
    client, h = t.client, t.h
    empty = client.post(t.url("inspection-tours"), headers=h, json={})
    assert empty.status_code == 422
    body = str(empty.get_json())
    for field in ("name", "leader_name", "starts_on", "ends_on", "village_ids", "account_ids"):
        assert field in body, field
    assert CJK.search(body)
    foreign = client.post(t.url("inspection-tours"), headers=h, json={
        "name": "乙县的村", "leader_name": "某", "starts_on": "2026-01-01", "ends_on": "2025-01-01",
        "account_ids": [people["other"]], "village_ids": [999999]})
    assert foreign.status_code == 422 and "结束日期不能早于开始日期" in str(foreign.get_json())
    assert _count(app, InspectionTour) == 1
    outside = client.post(t.url("onsite-meetings"), headers=h, json={
        "tour_id": t.tour["id"], "village_id": 999999, "held_on": (calendar.today() + timedelta(days=1)).isoformat(),
        "place": "", "leaders": []})
    assert outside.status_code == 422
    assert all(f in str(outside.get_json()) for f in ("village_id", "held_on", "place", "leaders"))
    assert _count(app, OnsiteMeeting) == 1
    for body in ({"category": "nope", "summary": "", "outcome": ""},
                 {"category": "road", "summary": "路", "outcome": "answered", "answer": ""},
                 {"category": "road", "summary": "路", "named": True, "outcome": "registered",
                  "body_kind": "department", "body_name": "", "deadline": "2000-01-01"},
                 {"category": "road", "summary": "路", "outcome": "registered", "body_kind": "township",
                  "body_unit_id": tree.other_town, "deadline": calendar.today().isoformat()}):
        refused = t.log(**body)
        assert refused.status_code == 422, (body, refused.get_json())
        assert CJK.search(str(refused.get_json()))
    assert _count(app, MeetingIssue) == 0
    assert _stats(app, tree.county).get("meetings.issues", 0) == 0
    # The page form: 422 with the messages, nothing saved.
    browser.login("m-officer")
    page = browser.post(f"/u/{tree.county}/meetings/{t.meeting['id']}/issues",
                        {"category": "road", "summary": "", "outcome": "answered"},
                        form_page=f"/u/{tree.county}/meetings/{t.meeting['id']}")
    assert page.status_code == 422 and "请填写群众反映的问题" in page.get_data(as_text=True)
    assert _count(app, MeetingIssue) == 0


def test_strangers_get_404_on_every_tour_meeting_and_issue(app, factory):
    tree = factory.tree()
    people = _people(factory, tree)
    t = Tour(app, tree, people, _villages(app, tree))
    # Registered with 西镇: 东镇 (a sibling township of it) still gets 404.
    issue = t.log(category="road", summary="断头路", outcome="registered", body_kind="township",
                  body_unit_id=tree.town2, deadline=calendar.today().isoformat()).get_json()
    paths = [f"inspection-tours/{t.tour['id']}", f"onsite-meetings/{t.meeting['id']}",
             f"onsite-meetings/{t.meeting['id']}/issues"]
    pages = [f"tours/{t.tour['id']}", f"{t.meeting['id']}", f"issues/{issue['id']}"]
    for username, own in (("m-other", tree.other_county), ("m-town", tree.town), ("m-analyst", tree.province)):
        h = bearer(app, username)
        client = app.test_client()
        for unit_id in {own, tree.county}:
            for path in paths:
                r = client.get(f"/api/v1/u/{unit_id}/{path}", headers=h)
                assert r.status_code == 404, (username, unit_id, path, r.status_code)
            r = client.post(f"/api/v1/u/{unit_id}/onsite-meetings/{t.meeting['id']}/issues", headers=h,
                            json={"category": "road", "summary": "x", "outcome": "answered", "answer": "x"})
            assert r.status_code == 404
            r = client.post(f"/api/v1/u/{unit_id}/onsite-meetings/{t.meeting['id']}/issues/{issue['id']}/done",
                            headers=h, json={"evidence": "x"})
            assert r.status_code == 404
        browser = Browser(app, factory)
        browser.login(username)
        for unit_id in {own, tree.county}:
            for page in pages:
                r = browser.get(f"/u/{unit_id}/meetings/{page}")
                assert r.status_code == 404, (username, unit_id, page, r.status_code)
                assert "断头路" not in r.get_data(as_text=True)
    # The county's reviewer reads but does not write.
    h = bearer(app, "m-reviewer")
    assert t.client.get(t.issues_url, headers=h).status_code == 200
    assert t.client.post(t.issues_url, headers=h, json={"category": "road"}).status_code == 404


def test_the_township_an_issue_is_registered_with_reads_and_closes_it_through_its_share(app, factory):
    from core.inbox.models import InboxItem

    tree = factory.tree()
    people = _people(factory, tree)
    west = factory.account("m-west", [(tree.town2, "officer")])
    t = Tour(app, tree, people, _villages(app, tree))
    issue = t.log(category="multi_house", summary="一户多宅认定有异议", named=False, villager_name="叶保密",
                  outcome="registered", body_kind="township", body_unit_id=tree.town,
                  deadline=(calendar.today() + timedelta(days=10)).isoformat()).get_json()
    other = t.log(category="road", summary="县交通局的事", outcome="registered", body_kind="department",
                  body_name="县交通运输局", deadline=calendar.today().isoformat()).get_json()
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert db.session.scalar(select(func.count(InboxItem.id)).where(
            InboxItem.unit_id == tree.town, InboxItem.object_type == "meeting_issues")) == 1
    town = Browser(app, factory)
    town.login("m-town")
    listing = town.get(f"/u/{tree.town}/meetings")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert "一户多宅认定有异议" in text and "县交通局的事" not in text
    page = town.get(f"/u/{tree.town}/meetings/issues/{issue['id']}")
    assert page.status_code == 200 and "叶保密" not in page.get_data(as_text=True)
    assert town.get(f"/u/{tree.town}/meetings/issues/{other['id']}").status_code == 404
    assert town.get(f"/u/{tree.town}/meetings/{t.meeting['id']}").status_code == 404  # the meeting: the county's
    assert town.get(f"/u/{tree.town}/meetings/tours/{t.tour['id']}").status_code == 404
    sibling = Browser(app, factory)
    sibling.login("m-west")
    assert sibling.get(f"/u/{tree.town2}/meetings/issues/{issue['id']}").status_code == 404
    assert "一户多宅认定有异议" not in sibling.get(f"/u/{tree.town2}/meetings").get_data(as_text=True)
    refused = town.post(f"/u/{tree.town}/meetings/issues/{issue['id']}/done", {"evidence": ""},
                        form_page=f"/u/{tree.town}/meetings/issues/{issue['id']}")
    assert refused.status_code == 422 and "请填写办结情况" in refused.get_data(as_text=True)
    done = town.post(f"/u/{tree.town}/meetings/issues/{issue['id']}/done", {"evidence": "镇里逐户核实并答复"},
                     form_page=f"/u/{tree.town}/meetings/issues/{issue['id']}")
    assert done.status_code == 302, done.get_data(as_text=True)
    got = [i for i in t.client.get(t.issues_url, headers=t.h).get_json() if i["id"] == issue["id"]][0]
    assert got["state"] == "done" and got["evidence"] == "镇里逐户核实并答复"
    assert _stats(app, tree.county)["meetings.issues.resolved"] == 1
    _recount_agrees(app, tree.county)
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert db.session.scalar(select(func.count(InboxItem.id)).where(
            InboxItem.unit_id == tree.town, InboxItem.object_type == "meeting_issues",
            InboxItem.done_at.is_(None))) == 0
    assert west
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from sqlalchemy import text
        stored = db.session.execute(text("SELECT villager_name FROM meeting_issues WHERE id = :i"),
                                    {"i": issue["id"]}).scalar()
    assert stored and "叶保密" not in stored  # sealed at rest
    # The ledger (the export registry's shape): the anonymous villager is not named, the state and note are there.
    from core.meetings import queries
    from tenants.models import Unit
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        header = queries.issues_header()
        rows = list(queries.issues_rows(db.session.get(Unit, tree.county), {}))
        done_rows = list(queries.issues_rows(db.session.get(Unit, tree.county), {"state": "done"}))
    assert len(header) == len(rows[0]) and len(rows) == 2 and len(done_rows) == 1
    assert "叶保密" not in str(rows) and "不愿具名" in str(rows) and "镇里逐户核实并答复" in str(done_rows)


def test_categories_are_the_countys_own(app, factory):
    from core.meetings import operations as ops
    from core.meetings import queries
    from tenants.models import Unit

    tree = factory.tree()
    people = _people(factory, tree)
    t = Tour(app, tree, people, _villages(app, tree))
    with app.app_context(), context.acting(context.maintenance_context(account_id=people["officer"]), db.session):
        county = db.session.get(Unit, tree.county)
        added = ops.add_category(county, {"name": "集体经济"})
        ops.archive_category(county, "other")
        db.session.commit()
        codes = [c.code for c in queries.categories_of(county)]
        other = [c.name for c in queries.categories_of(db.session.get(Unit, tree.other_county))]
    assert added.code in codes and "other" not in codes and "其他" in other
    assert t.log(category=added.code, summary="集体经济收益分配不公开", outcome="answered",
                 answer="当场说明").status_code == 201
    assert t.log(category="other", summary="停用类别", outcome="answered", answer="x").status_code == 422
    assert _stats(app, tree.county)[f"meetings.issues.category.{added.code}"] == 1
    _recount_agrees(app, tree.county)


def test_the_demo_tour_has_issues_in_every_state_and_its_figures_agree(app):
    from core.inbox.models import InboxItem
    from core.meetings.models import MeetingIssue, OnsiteMeeting
    from tenants.models import Unit

    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    today = calendar.today()
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        county = db.session.scalar(select(Unit).where(Unit.code == "990121"))
        assert db.session.scalar(select(func.count(OnsiteMeeting.id)).where(OnsiteMeeting.unit_id == county.id)) == 2
        issues = list(db.session.scalars(select(MeetingIssue).where(MeetingIssue.unit_id == county.id)))
        states = {("overdue" if i.overdue(today) else i.state) for i in issues}
        assert states == {"answered", "done", "overdue", "open"}
        assert db.session.scalar(select(func.count(InboxItem.id)).where(
            InboxItem.object_type == "onsite_meetings", InboxItem.done_at.is_(None))) >= 1
        county_id = county.id
    assert _stats(app, county_id)["meetings.issues.overdue"] == 1
    _recount_agrees(app, county_id)


def test_the_issue_ledger_exports_through_the_registry_without_an_anonymous_villagers_name(app, factory, browser):
    """现场办公会问题台账: the county's list exports every issue of its tours, each saying whether its villager is
    named, never a villager's name (the ledger travels); a township (which reads only the issues shared to it) has
    no such export."""
    from tests.test_exports import sheet_rows, xlsx_text

    tree = factory.tree()
    people = _people(factory, tree)
    t = Tour(app, tree, people, _villages(app, tree))
    t.log(category="road", summary="断头路多年未修", named=True, villager_name="叶长青", outcome="answered",
          answer="已列入农村公路计划")
    t.log(category="multi_house", summary="一户多宅认定有异议", named=False, villager_name="叶保密",
          outcome="registered", body_kind="township", body_unit_id=tree.town,
          deadline=(t.held + timedelta(days=15)).isoformat())
    browser.login("m-officer")
    list_page = f"/u/{tree.county}/meetings"
    assert 'data-export="meeting_issues"' in browser.get(list_page).get_data(as_text=True)
    response = browser.post(f"/u/{tree.county}/exports/new", {"kind": "meeting_issues"}, form_page=list_page)
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet"), response.status_code
    rows = sheet_rows(response.data)
    assert len(rows) == 3 and sorted(r[7] for r in rows[1:]) == ["不愿具名", "具名"]
    assert "叶长青" not in xlsx_text(response.data) and "叶保密" not in xlsx_text(response.data)
    browser.logout()
    browser.login("m-town")
    assert browser.post(f"/u/{tree.town}/exports/new", {"kind": "meeting_issues"},
                        form_page=f"/u/{tree.town}/meetings").status_code == 404
