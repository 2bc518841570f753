"""联系指导: a county's 纪检监察室 each guiding some of its townships (one office per township at a time, history kept);
an office's members see their townships' numbers (headline figures and ledger completeness) and never a township's
record; they log regular meetings and guidance visits; the county's leader sends a visit's problems to the township as
a rectification order it receives; the figures move with each write, agree with the recount and roll up; bad input is
refused in Chinese with nothing saved; a non-member officer, a sibling county and the county's analyst get 404."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from core import calendar, context
from core.extensions import db
from tests.conftest import Browser, bearer

CJK = re.compile(r"[\u4e00-\u9fff]")


def _people(factory, tree) -> dict:
    return {"leader": factory.account("g-leader", [(tree.county, "leader")]),
            "east": factory.account("g-east", [(tree.county, "officer")]),  # 第一室: 东镇 (then 第二室 takes it)
            "west": factory.account("g-west", [(tree.county, "officer")]),  # 第二室: 西镇
            "stranger": factory.account("g-stranger", [(tree.county, "officer")]),  # in no office
            "admin": factory.account("g-admin", [(tree.county, "unit_admin")]),
            "analyst": factory.account("g-analyst", [(tree.county, "analyst")]),
            "town2": factory.account("g-town2", [(tree.town2, "leader")]),
            "other": factory.account("g-other", [(tree.other_county, "leader")])}


def _count(app, model) -> int:
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return db.session.scalar(select(func.count(model.id)))


def _stats(app, unit_id: int) -> dict:
    from tenants.models import UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return {row.metric: row.value for row in db.session.scalars(select(UnitStat).where(
            UnitStat.unit_id == unit_id, UnitStat.period == "", UnitStat.metric.like("guidance.%")))}


def _recount_agrees(app, unit_id: int) -> None:
    from core.guidance import operations as ops
    from tenants.models import Unit, UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        stored = {(row.metric, row.period): row.value for row in db.session.scalars(select(UnitStat).where(
            UnitStat.unit_id == unit_id, UnitStat.metric.like("guidance.%"))) if row.value}
        counted = ops.recount(db.session.get(Unit, unit_id), calendar.today())
    assert stored == counted and stored


def _petition(app, town_id: int) -> str:
    """A petition of the township: its number, accused and summary must never reach a guidance page."""
    from core.petitions import operations as petition_ops
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        petition = petition_ops.register_petition(db.session.get(Unit, town_id), dict(
            channel="letter", received_on=calendar.today(), anonymous=False,
            informant={"name": "王秘密", "phone": "13800001111"}, accused_name="钱不露", summary="反映镇干部吃拿卡要"))
        db.session.commit()
        return petition.number


class County:
    """Two offices of 甲县 set up through the API by its leader: 第一室 (g-east) guiding 东镇 and 西镇, then 第二室
    (g-west) taking 西镇 over."""

    def __init__(self, app, tree, people):
        self.app, self.tree, self.people = app, tree, people
        self.client = app.test_client()
        self.lead = bearer(app, "g-leader")
        first = self.client.post(self.url("guidance/offices"), headers=self.lead, json={
            "name": "第一纪检监察室", "duties": "联系东镇、西镇", "member_account_ids": [people["east"]],
            "township_ids": [tree.town, tree.town2]})
        assert first.status_code == 201, first.get_json()
        second = self.client.post(self.url("guidance/offices"), headers=self.lead, json={
            "name": "第二纪检监察室", "member_account_ids": [people["west"]], "township_ids": [tree.town2]})
        assert second.status_code == 201, second.get_json()
        self.first, self.second = first.get_json(), second.get_json()

    def url(self, tail: str, unit: int | None = None) -> str:
        return f"/api/v1/u/{unit or self.tree.county}/{tail}"

    def visit(self, username: str, **body):
        return self.client.post(self.url("guidance/visits"), headers=bearer(self.app, username), json=body)


def test_each_township_is_guided_by_one_office_at_a_time_and_the_history_is_kept(app, factory, browser):
    from core.guidance import queries
    from core.guidance.models import GuidanceAssignment, OfficeMember
    from tenants.models import Unit

    tree = factory.tree()
    people = _people(factory, tree)
    c = County(app, tree, people)
    assert [t["name"] for t in c.first["townships"]] == ["东镇", "西镇"]
    listed = {o["name"]: o for o in c.client.get(c.url("guidance/offices"), headers=c.lead).get_json()}
    assert [t["name"] for t in listed["第一纪检监察室"]["townships"]] == ["东镇"]  # 西镇 went over to 第二室
    assert [t["name"] for t in listed["第二纪检监察室"]["townships"]] == ["西镇"]
    assert [m["name"] for m in listed["第一纪检监察室"]["members"]] == ["g-east 姓名"]
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        county = db.session.get(Unit, tree.county)
        rows = db.session.scalars(select(GuidanceAssignment).where(GuidanceAssignment.township_id == tree.town2)
                                  .order_by(GuidanceAssignment.id)).all()
        assert [(r.office_id, r.ends_on is None) for r in rows] == [(c.first["id"], False), (c.second["id"], True)]
        assert queries.guiding_office(db.session.get(Unit, tree.town2)).id == c.second["id"]
        assert len(queries.current_assignments(county)) == 2

    # The county's leader moves 东镇 to 第二室 and changes 第一室's members on the page; the history keeps all.
    browser.login("g-leader")
    page = browser.get(f"/u/{tree.county}/guidance/offices")
    assert page.status_code == 200 and "分工历史" in page.get_data(as_text=True)
    moved = browser.post(f"/u/{tree.county}/guidance/offices/{c.second['id']}/townships",
                         {"township_ids": [tree.town, tree.town2]}, form_page=f"/u/{tree.county}/guidance/offices")
    assert moved.status_code == 302
    changed = browser.post(f"/u/{tree.county}/guidance/offices/{c.first['id']}/members",
                           {"member_account_ids": [people["stranger"]]}, form_page=f"/u/{tree.county}/guidance/offices")
    assert changed.status_code == 302
    refused = browser.post(f"/u/{tree.county}/guidance/offices/{c.first['id']}/members",
                           {"member_account_ids": [people["other"]]}, form_page=f"/u/{tree.county}/guidance/offices")
    assert refused.status_code == 422 and "纪检监察室成员须为本单位的办案人员" in refused.get_data(as_text=True)
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        current = {a.township_id: a.office_id for a in db.session.scalars(
            select(GuidanceAssignment).where(GuidanceAssignment.ends_on.is_(None)))}
        assert current == {tree.town: c.second["id"], tree.town2: c.second["id"]}
        assert db.session.scalar(select(func.count(GuidanceAssignment.id))) == 4
        stays = {(m.account_id, m.left_on is None) for m in db.session.scalars(
            select(OfficeMember).where(OfficeMember.office_id == c.first["id"]))}
        assert stays == {(people["east"], False), (people["stranger"], True)}
    history = browser.get(f"/u/{tree.county}/guidance/offices").get_data(as_text=True)
    assert history.count("data-assignment=") == 4 and "至今" in history

    # The unit admin manages the offices (names only); an officer may not.
    admin = Browser(app, factory)
    admin.login("g-admin")
    assert admin.get(f"/u/{tree.county}/guidance/offices").status_code == 200
    assert admin.get(f"/u/{tree.county}/guidance").status_code == 404
    assert admin.get(f"/u/{tree.county}/guidance/offices/{c.first['id']}").status_code == 404
    officer = Browser(app, factory)
    officer.login("g-west")
    assert officer.get(f"/u/{tree.county}/guidance/offices").status_code == 404
    assert c.client.post(c.url("guidance/offices"), headers=bearer(app, "g-west"),
                         json={"name": "第九室"}).status_code == 404


def test_an_office_member_sees_only_the_numbers_of_the_townships_it_guides(app, factory):
    from core.ledgers import queries as ledger_queries
    from tenants.models import Unit

    tree = factory.tree()
    people = _people(factory, tree)
    number = _petition(app, tree.town)
    c = County(app, tree, people)
    east, west, leader, stranger = (Browser(app, factory) for _ in range(4))
    east.login("g-east")
    west.login("g-west")
    leader.login("g-leader")
    stranger.login("g-stranger")

    # 第一室 (东镇): its page shows 东镇's figures — the petition counted — and ledger completeness, no record.
    page = east.get(f"/u/{tree.county}/guidance/offices/{c.first['id']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'data-township="{tree.town}"' in text and f'data-township="{tree.town2}"' not in text
    row = text.split(f'data-township="{tree.town}"')[1].split("</tr>")[0]
    assert re.search(r'data-figure="petitions.received">1<', row)
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        expected = ledger_queries.completeness_by_unit([db.session.get(Unit, tree.town)], calendar.today())
    done = expected.get(tree.town, {})
    assert f"<td data-ledgers-current>{done.get('current', 0)}</td>" in row
    assert f"<td data-ledgers-missing>{done.get('missing', 0)}</td>" in row
    for marker in (number, "钱不露", "王秘密", "反映镇干部吃拿卡要", "13800001111"):
        assert marker not in text, marker
    # …and not 第二室's page (nor its API lists); the index lists 第一室 only.
    assert east.get(f"/u/{tree.county}/guidance/offices/{c.second['id']}").status_code == 404
    index = east.get(f"/u/{tree.county}/guidance").get_data(as_text=True)
    assert "第一纪检监察室" in index and "第二纪检监察室" not in index
    h = bearer(app, "g-east")
    assert [o["name"] for o in c.client.get(c.url("guidance/offices"), headers=h).get_json()] == ["第一纪检监察室"]
    assert c.client.get(c.url(f"guidance/visits?office_id={c.second['id']}"), headers=h).status_code == 404
    # 第二室 sees 西镇 (no petition there: 0), the leader sees both offices; a county officer in no office none.
    west_page = west.get(f"/u/{tree.county}/guidance/offices/{c.second['id']}").get_data(as_text=True)
    assert f'data-township="{tree.town2}"' in west_page and f'data-township="{tree.town}"' not in west_page
    assert number not in west_page
    assert leader.get(f"/u/{tree.county}/guidance/offices/{c.second['id']}").status_code == 200
    assert "第二纪检监察室" in leader.get(f"/u/{tree.county}/guidance").get_data(as_text=True)
    lonely = stranger.get(f"/u/{tree.county}/guidance")
    assert lonely.status_code == 200 and "您不是任何纪检监察室的成员" in lonely.get_data(as_text=True)
    for office in (c.first, c.second):
        assert stranger.get(f"/u/{tree.county}/guidance/offices/{office['id']}").status_code == 404
    assert c.client.get(c.url("guidance/meetings"), headers=bearer(app, "g-stranger")).get_json() == []
    # The county's analyst reads figures on the dashboards, not here.
    analyst = Browser(app, factory)
    analyst.login("g-analyst")
    assert analyst.get(f"/u/{tree.county}/guidance").status_code == 404
    assert analyst.get(f"/u/{tree.county}/guidance/offices/{c.first['id']}").status_code == 404


def test_a_visits_problem_becomes_a_rectification_order_the_township_receives(app, factory):
    from core.inbox.models import InboxItem
    from core.supervision.models import SupervisionItem

    tree = factory.tree()
    people = _people(factory, tree)
    c = County(app, tree, people)
    visited = c.visit("g-west", office_id=c.second["id"], township_id=tree.town2,
                      visited_on=(calendar.today() - timedelta(days=2)).isoformat(),
                      staff_account_ids=[people["west"]], checked="台账记录、谈话室使用登记", notes="总体规范",
                      problems=[{"description": "谈话室使用登记不全", "requirement": "补登并专人管理"},
                                {"description": "廉政教育台账缺9月记录"}])
    assert visited.status_code == 201, visited.get_json()
    visit = visited.get_json()
    assert [p["item_id"] for p in visit["problems"]] == [None, None]
    raise_url = c.url(f"guidance/visits/{visit['id']}/raise")
    # An officer of the office drafts; the county's leader sends it down (DESIGN: downward items are the leader's).
    assert c.client.post(raise_url, headers=bearer(app, "g-west"),
                         json={"due_on": (calendar.today() + timedelta(days=10)).isoformat()}).status_code == 404
    late = c.client.post(raise_url, headers=c.lead, json={"due_on": "2001-01-01"})
    assert late.status_code == 422 and CJK.search(str(late.get_json()))
    assert _count(app, SupervisionItem) == 0
    raised = c.client.post(raise_url, headers=c.lead,
                           json={"due_on": (calendar.today() + timedelta(days=10)).isoformat()})
    assert raised.status_code == 200, raised.get_json()
    item_ids = {p["item_id"] for p in raised.get_json()["problems"]}
    assert len(item_ids) == 1 and None not in item_ids
    again = c.client.post(raise_url, headers=c.lead,
                          json={"due_on": (calendar.today() + timedelta(days=10)).isoformat()})
    assert again.status_code == 422 and "没有待交办的问题" in str(again.get_json())
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        item = db.session.get(SupervisionItem, item_ids.pop())
        assert (item.unit_id, item.recipient_unit_id, item.kind) == (tree.county, tree.town2, "rectification")
        assert [p.description for p in item.problems] == ["谈话室使用登记不全", "廉政教育台账缺9月记录"]
        assert db.session.scalar(select(func.count(InboxItem.id)).where(
            InboxItem.unit_id == tree.town2, InboxItem.object_type == "supervision_items")) == 1
        number = item.number
    # 西镇 receives it on its own supervision page; the visit page shows the order's number to the leader.
    town = Browser(app, factory)
    town.login("g-town2")
    assert number in town.get(f"/u/{tree.town2}/supervision").get_data(as_text=True)
    leader = Browser(app, factory)
    leader.login("g-leader")
    page = leader.get(f"/u/{tree.county}/guidance/visits/{visit['id']}").get_data(as_text=True)
    assert number in page and "已交办" in page
    stats = _stats(app, tree.county)
    assert stats["guidance.visits_made"] == 1 and stats["guidance.problems_found"] == 2
    assert stats["guidance.problems_raised"] == 2
    _recount_agrees(app, tree.county)


def test_bad_input_is_refused_in_chinese_and_nothing_is_saved(app, factory, browser):
    from core.guidance.models import GuidanceMeeting, GuidanceOffice, GuidanceProblem, GuidanceVisit

    tree = factory.tree()
    people = _people(factory, tree)
    c = County(app, tree, people)
    empty = c.client.post(c.url("guidance/offices"), headers=c.lead, json={})
    assert empty.status_code == 422 and "name" in empty.get_json()["errors"] and CJK.search(str(empty.get_json()))
    foreign = c.client.post(c.url("guidance/offices"), headers=c.lead, json={
        "name": "第一纪检监察室", "member_account_ids": [people["other"]], "township_ids": [tree.other_town]})
    assert foreign.status_code == 422
    assert set(foreign.get_json()["errors"]) == {"name", "member_account_ids", "township_ids"}
    assert _count(app, GuidanceOffice) == 2
    h = bearer(app, "g-east")
    no_office = c.client.post(c.url("guidance/meetings"), headers=h, json={})
    assert no_office.status_code == 422 and "office_id" in no_office.get_json()["errors"]
    meeting = c.client.post(c.url("guidance/meetings"), headers=h, json={
        "office_id": c.first["id"], "held_on": (calendar.today() + timedelta(days=3)).isoformat(),
        "township_ids": [tree.town2], "attendees": [], "notes": ""})
    assert meeting.status_code == 422
    assert set(meeting.get_json()["errors"]) == {"held_on", "attendees", "township_ids", "notes"}
    assert all(CJK.search(m) for ms in meeting.get_json()["errors"].values() for m in ms)
    visit = c.visit("g-east", office_id=c.first["id"], township_id=tree.town2, visited_on="昨天",
                    staff_account_ids=[people["west"]], checked="", problems=[{"description": "问题"}])
    assert visit.status_code == 422
    assert set(visit.get_json()["errors"]) == {"township_id", "visited_on", "staff_account_ids", "checked"}
    # Another office's member may not log for it: 404, as for a stranger.
    assert c.visit("g-west", office_id=c.first["id"], township_id=tree.town, visited_on=calendar.today().isoformat(),
                   staff_account_ids=[people["west"]], checked="台账").status_code == 404
    assert c.visit("g-other", office_id=c.first["id"]).status_code == 404
    for model in (GuidanceMeeting, GuidanceVisit, GuidanceProblem):
        assert _count(app, model) == 0
    assert _stats(app, tree.county) == {}
    # The page's form: 422 with the messages, nothing saved.
    browser.login("g-east")
    office_page = f"/u/{tree.county}/guidance/offices/{c.first['id']}"
    page = browser.post(f"{office_page}/meetings", {"held_on": calendar.today().isoformat(), "attendees": "",
                                                    "township_ids": [tree.town], "notes": ""}, form_page=office_page)
    assert page.status_code == 422 and "请填写参会人员" in page.get_data(as_text=True)
    assert _count(app, GuidanceMeeting) == 0


def test_a_sibling_county_and_strangers_get_404_on_every_guidance_record(app, factory):
    tree = factory.tree()
    people = _people(factory, tree)
    c = County(app, tree, people)
    meeting = c.client.post(c.url("guidance/meetings"), headers=bearer(app, "g-east"), json={
        "office_id": c.first["id"], "held_on": calendar.today().isoformat(), "attendees": ["东镇纪委书记"],
        "township_ids": [tree.town], "notes": "通报东镇台账情况", "decisions": ["补齐台账"]}).get_json()
    visit = c.visit("g-east", office_id=c.first["id"], township_id=tree.town, visited_on=calendar.today().isoformat(),
                    staff_account_ids=[people["east"]], checked="东镇台账", problems=[{"description": "东镇问题"}]).get_json()
    pages = [f"offices/{c.first['id']}", f"meetings/{meeting['id']}", f"visits/{visit['id']}"]
    for username, own in (("g-other", tree.other_county), ("g-town2", tree.town2), ("g-stranger", tree.county)):
        browser = Browser(app, factory)
        browser.login(username)
        h = bearer(app, username)
        for unit_id in {own, tree.county}:
            for page in pages:
                r = browser.get(f"/u/{unit_id}/guidance/{page}")
                assert r.status_code == 404, (username, unit_id, page, r.status_code)
                assert "通报东镇台账情况" not in r.get_data(as_text=True)
            assert c.client.get(f"/api/v1/u/{unit_id}/guidance/visits/{visit['id']}", headers=h).status_code == 404
            r = c.client.post(f"/api/v1/u/{unit_id}/guidance/visits/{visit['id']}/raise", headers=h,
                              json={"due_on": calendar.today().isoformat()})
            assert r.status_code == 404
    # The office's member reads both.
    member = Browser(app, factory)
    member.login("g-east")
    assert "通报东镇台账情况" in member.get(f"/u/{tree.county}/guidance/meetings/{meeting['id']}").get_data(as_text=True)
    assert "东镇问题" in member.get(f"/u/{tree.county}/guidance/visits/{visit['id']}").get_data(as_text=True)


def test_the_figures_move_with_each_write_and_roll_up(app, factory):
    from reporting.periods import parse_period
    from reporting.rollups import rollup
    from tenants.models import Unit

    tree = factory.tree()
    people = _people(factory, tree)
    c = County(app, tree, people)
    h = bearer(app, "g-east")
    for place in ("县纪委监委会议室", "东镇会议室"):
        r = c.client.post(c.url("guidance/meetings"), headers=h, json={
            "office_id": c.first["id"], "held_on": calendar.today().isoformat(), "place": place,
            "attendees": ["室主任"], "township_ids": [tree.town], "notes": "例会"})
        assert r.status_code == 201, r.get_json()
    assert c.visit("g-east", office_id=c.first["id"], township_id=tree.town, visited_on=calendar.today().isoformat(),
                   staff_account_ids=[people["east"]], checked="台账", problems=[{"description": d} for d in ("甲", "乙", "丙")]).status_code == 201
    stats = _stats(app, tree.county)
    assert stats == {"guidance.meetings_held": 2, "guidance.visits_made": 1, "guidance.problems_found": 3}
    _recount_agrees(app, tree.county)
    keys = ["guidance.meetings_held", "guidance.visits_made", "guidance.problems_found", "guidance.problems_raised"]
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        lines = {unit_id: rollup(db.session.get(Unit, unit_id), parse_period("month"), keys)
                 for unit_id in (tree.county, tree.city, tree.province, tree.other_city)}
    for unit_id in (tree.county, tree.city, tree.province):
        assert [lines[unit_id][k] or 0 for k in keys] == [2, 1, 3, 0], unit_id
    assert [lines[tree.other_city][k] or 0 for k in keys] == [0, 0, 0, 0]


def test_the_demo_county_has_its_offices_a_meeting_a_visit_and_a_problem_raised(app):
    from core.guidance.models import GuidanceAssignment, GuidanceMeeting, GuidanceOffice, GuidanceVisit
    from core.supervision.models import SupervisionItem
    from tenants.models import Unit

    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        county = db.session.scalar(select(Unit).where(Unit.code == "990121"))
        offices = {o.name: o for o in db.session.scalars(select(GuidanceOffice).where(
            GuidanceOffice.unit_id == county.id))}
        assert set(offices) == {"第一纪检监察室", "第二纪检监察室", "第三纪检监察室"}
        guided = {a.township.name for a in db.session.scalars(select(GuidanceAssignment).where(
            GuidanceAssignment.office_id == offices["第一纪检监察室"].id, GuidanceAssignment.ends_on.is_(None)))}
        assert "城关镇" in guided and len(guided) == 2
        assert db.session.scalar(select(func.count(GuidanceMeeting.id))) == 1
        visit = db.session.scalar(select(GuidanceVisit))
        assert visit.township_name == "城关镇" and visit.problems[0].item_id is not None
        item = db.session.get(SupervisionItem, visit.problems[0].item_id)
        assert item.recipient_unit_id == visit.township_id
        county_id, first_id, visit_id, number = county.id, offices["第一纪检监察室"].id, visit.id, item.number
    _recount_agrees(app, county_id)
    # The demo's office staff open their page: 城关镇's numbers, the meeting and the visit, in Chinese.
    from tenants.demo import DEMO_PASSWORD

    client = Browser(app, None)
    assert client.login("county-officer", DEMO_PASSWORD).status_code == 302
    page = client.get(f"/u/{county_id}/guidance/offices/{first_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "城关镇" in text and "data-ledgers-current" in text and "None" not in text
    visit_page = client.get(f"/u/{county_id}/guidance/visits/{visit_id}").get_data(as_text=True)
    assert number in visit_page and "谈话室使用登记不全" in visit_page and "None" not in visit_page
    assert "联系指导" in client.get(f"/u/{county_id}/").get_data(as_text=True)


def test_an_archived_office_cannot_be_changed(app, factory):
    """撤销 is final: its members, townships and a second archive are refused (the page already hid them)."""
    import pytest

    from core.errors import Conflict
    from core.guidance import operations as ops
    from tenants.models import Unit

    tree = factory.tree()
    leader = factory.account("g-arch-leader", [(tree.county, "leader")])
    with app.app_context(), context.acting(context.maintenance_context(account_id=leader), db.session):
        county = db.session.get(Unit, tree.county)
        office = ops.create_office(county, {"name": "第九纪检监察室", "township_ids": [tree.town]})
        ops.archive_office(office)
        for change in (lambda: ops.set_members(office, {"account_ids": [leader]}),
                       lambda: ops.set_townships(office, {"township_ids": [tree.town2]}),
                       lambda: ops.archive_office(office)):
            with pytest.raises(Conflict):
                change()
        db.session.rollback()
