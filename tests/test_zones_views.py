"""Collaboration zones (协作区) through the pages and the API: the county defines and compares its zones,
the convener calls a joint meeting whose decisions become tracked tasks, the county grants and revokes
cross-handling, runs a cross-inspection round to a rectification order; members see their own zone only,
anyone else gets 404; bad input is a 422 in Chinese, a stale edit a 409."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from tests.conftest import Browser, bearer


@dataclass
class World:
    tree: object
    north: int
    middle: int
    group1: int
    group2: int
    zone_a: int  # 东片: 东镇 (convener first), 北镇
    zone_b: int  # 西片: 西镇, 中镇
    lead_id: int
    north_petition: int
    north_petition_number: str
    west_petition_number: str


def _run(app, fn):
    from core import context
    from core.extensions import db

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        result = fn()
        db.session.commit()
        return result


@pytest.fixture
def world(app, factory) -> World:
    tree = factory.tree()
    north = factory.unit("北镇", "township", "980121003", tree.county)
    middle = factory.unit("中镇", "township", "980121004", tree.county)
    group1 = factory.unit("甲县派驻第一纪检监察组", "stationed", "980121P01", tree.county)
    group2 = factory.unit("甲县派驻第二纪检监察组", "stationed", "980121P02", tree.county)
    lead_id = factory.account("county-leader", [(tree.county, "leader")])
    factory.account("county-admin", [(tree.county, "unit_admin")])
    factory.account("county-officer", [(tree.county, "officer")])
    factory.account("other-county-leader", [(tree.other_county, "leader")])
    for name, unit in (("east", tree.town), ("west", tree.town2), ("north", north), ("middle", middle)):
        factory.account(f"{name}-sec", [(unit, "leader")])
        factory.account(f"{name}-officer", [(unit, "officer")])
    factory.account("group1-head", [(group1, "leader")])

    def build():
        from core import calendar
        from core.extensions import db
        from core.petitions import operations as petition_ops
        from core.zones import operations as ops
        from tenants.models import Unit

        county = db.session.get(Unit, tree.county)
        a = ops.define_zone(county, name="东片协作区", lead_account_id=lead_id, guiding_office="第一纪检监察室",
                            member_unit_ids=[tree.town, north])
        b = ops.define_zone(county, name="西片协作区", lead_account_id=lead_id, guiding_office="第二纪检监察室",
                            member_unit_ids=[tree.town2, middle])
        petition = petition_ops.register_petition(db.session.get(Unit, north), dict(
            channel="letter", received_on=calendar.today(), anonymous=False,
            informant={"name": "北镇举报人", "phone": "13800002222"}, accused_name="钱北",
            accused_work_unit="北镇农业站", summary="反映北镇农业站钱北问题"))
        west = petition_ops.register_petition(db.session.get(Unit, tree.town2), dict(
            channel="letter", received_on=calendar.today(), anonymous=True, accused_name="孙西",
            accused_work_unit="西镇财政所", summary="反映孙西问题"))
        return a.id, b.id, petition.id, petition.number, west.number

    a, b, petition_id, number, west_number = _run(app, build)
    return World(tree, north, middle, group1, group2, a, b, lead_id, petition_id, number, west_number)


def _login(app, factory, username) -> Browser:
    browser = Browser(app, factory)
    response = browser.login(username)
    assert response.status_code == 302, username
    return browser


def _text(response) -> str:
    return response.get_data(as_text=True)


def _strip(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---------------------------------------------------------------- zones and their page


def test_county_leader_defines_a_zone_and_bad_members_are_refused_in_chinese(app, factory, world):
    county = _login(app, factory, "county-leader")
    base = f"/u/{world.tree.county}/zones"
    form = county.get(f"{base}/new")
    assert form.status_code == 200 and "设立协作区" in _text(form)
    assert "甲县派驻第一纪检监察组" in _text(form) and "county-leader 姓名" in _text(form)

    # 北镇 is already in 东片: one zone of a kind per unit; the form keeps what was typed.
    refused = county.post(f"{base}/new", {"name": "北片协作区", "kind": "township", "lead_account_id": world.lead_id,
                                          "guiding_office": "第三纪检监察室", "term_months": "3",
                                          "member_unit_ids": [world.north, world.middle]})
    assert refused.status_code == 422
    page = _text(refused)
    assert "北镇 已属于“东片协作区”，一个单位同类协作区只能加入一个" in page
    assert "中镇 已属于“西片协作区”" in page
    assert 'value="北片协作区"' in page

    # Stationed groups make a zone of their own kind; the first one convenes.
    made = county.post(f"{base}/new", {"name": "派驻组协作区", "kind": "stationed", "lead_account_id": world.lead_id,
                                       "guiding_office": "党风政风监督室", "term_months": "6",
                                       "member_unit_ids": [world.group1, world.group2]})
    assert made.status_code == 302
    zone_page = _text(county.get(made.location))
    assert "派驻组协作区" in zone_page and "党风政风监督室" in zone_page
    current = re.search(r"data-current-convener>(.*?)</dd>", zone_page, re.S).group(1)
    assert "甲县派驻第一纪检监察组" in current and "轮值" in current

    index = _text(county.get(base))
    for name in ("东片协作区", "西片协作区", "派驻组协作区"):
        assert name in index
    cards = re.findall(r'data-zone="(\d+)"', index)
    assert len(cards) == 3


def test_the_zones_page_sums_each_zones_members_and_compares_the_zones(app, factory, world):
    """东片 has 北镇's petition received this year, 西片 西镇's; a second petition at 东镇 makes 东片 lead."""
    def more():
        from core import calendar
        from core.extensions import db
        from core.petitions import operations as petition_ops
        from tenants.models import Unit

        petition_ops.register_petition(db.session.get(Unit, world.tree.town), dict(
            channel="phone", received_on=calendar.today(), anonymous=True, accused_name="李东",
            accused_work_unit="东镇", summary="反映李东问题"))

    _run(app, more)
    county = _login(app, factory, "county-leader")
    page = _text(county.get(f"/u/{world.tree.county}/zones?period=year"))
    assert "协作区工作情况对比" in page
    row_a = re.search(rf'data-zone-row="{world.zone_a}">(.*?)</tr>', page, re.S).group(1)
    row_b = re.search(rf'data-zone-row="{world.zone_b}">(.*?)</tr>', page, re.S).group(1)
    received = r'data-figure="petitions.received">(?:<strong>)?(\d+)'
    assert re.search(received, row_a).group(1) == "2"
    assert re.search(received, row_b).group(1) == "1"
    assert '<strong>2</strong>' in re.search(r'data-figure="petitions.received">.*?</td>', row_a).group(0)
    assert "交叉办案办理环节" in page and "受理信访举报" in page
    # Members, lead, convener and the open grants on each card.
    card_a = re.search(rf'data-zone="{world.zone_a}">(.*?)</section>', page, re.S).group(1)
    assert "东镇、北镇" in card_a and "county-leader 姓名" in card_a and "第一纪检监察室" in card_a
    assert f'data-convener="{world.tree.town}"' in card_a

    # A county officer sees the zones but not the figures by township (leaders and analysts only).
    officer = _login(app, factory, "county-officer")
    page = _text(officer.get(f"/u/{world.tree.county}/zones"))
    assert "东片协作区" in page and "协作区工作情况对比" not in page


def test_a_member_sees_its_own_zone_only_and_outsiders_get_404(app, factory, world):
    east = _login(app, factory, "east-sec")
    page = _text(east.get(f"/u/{world.tree.town}/zones"))
    assert "东片协作区" in page and "西片协作区" not in page
    assert east.get(f"/u/{world.tree.town}/zones/{world.zone_a}").status_code == 200
    assert east.get(f"/u/{world.tree.town}/zones/{world.zone_b}").status_code == 404
    assert east.get(f"/u/{world.tree.county}/zones").status_code == 404  # not a member of the county
    # The county's management pages are the county's: a township leader gets 404 at its own unit.
    assert east.get(f"/u/{world.tree.town}/zones/new").status_code == 404
    assert east.get(f"/u/{world.tree.town}/zones/{world.zone_a}/edit").status_code == 404
    assert east.get(f"/u/{world.tree.town}/zones/grants/new").status_code == 404

    other = _login(app, factory, "other-county-leader")
    for path in (f"/u/{world.tree.other_county}/zones/{world.zone_a}",
                 f"/u/{world.tree.other_county}/zones/{world.zone_a}/edit"):
        assert other.get(path).status_code == 404, path
    assert "东片协作区" not in _text(other.get(f"/u/{world.tree.other_county}/zones"))
    headers = bearer(app, "other-county-leader")
    client = app.test_client()
    assert client.get(f"/api/v1/zones/{world.zone_a}", headers=headers).status_code == 404
    assert client.patch(f"/api/v1/zones/{world.zone_a}", headers=headers, json={"name": "x"}).status_code == 404
    assert client.get(f"/api/v1/zones/{world.zone_a}/meetings", headers=headers).status_code == 404
    assert client.get("/api/v1/zones", headers=headers).get_json() == {"items": []}

    # A member that leaves (moved to the other zone) no longer sees its old zone.
    county = _login(app, factory, "county-leader")
    moved = county.post(f"/u/{world.tree.county}/zones/{world.zone_b}/members", {"unit_id": world.north},
                        form_page=f"/u/{world.tree.county}/zones/{world.zone_b}")
    assert moved.status_code == 302
    north = _login(app, factory, "north-sec")
    assert north.get(f"/u/{world.north}/zones/{world.zone_a}").status_code == 404
    assert north.get(f"/u/{world.north}/zones/{world.zone_b}").status_code == 200
    history = _text(county.get(f"/u/{world.tree.county}/zones/{world.zone_a}"))
    row = re.search(r"<tr><td>北镇</td><td>([\d-]+)</td><td>([\d-]+)</td></tr>", history)
    assert row, "北镇's dated stay in 东片 is in the history"


def test_edit_override_and_archive_with_errors_and_a_stale_version(app, factory, world):
    county = _login(app, factory, "county-leader")
    zone_url = f"/u/{world.tree.county}/zones/{world.zone_a}"
    edit = county.get(f"{zone_url}/edit")
    version = re.search(r'name="version" value="(\d+)"', _text(edit)).group(1)
    fields = {"name": "东片协作区（调整）", "lead_account_id": world.lead_id, "guiding_office": "第一纪检监察室",
              "term_months": "3", "member_unit_ids": [world.tree.town, world.north], "version": version}
    assert county.post(f"{zone_url}/edit", fields).status_code == 302
    stale = county.post(f"{zone_url}/edit", {**fields, "name": "又改了"}, form_page=f"{zone_url}/edit")
    assert stale.status_code == 409

    # Overriding the convener needs a reason (422 on the zone page), then 北镇 convenes.
    refused = county.post(f"{zone_url}/convener", {"unit_id": world.north, "reason": ""}, form_page=zone_url)
    assert refused.status_code == 422 and "请说明调整召集人的理由" in _text(refused)
    assert county.post(f"{zone_url}/convener", {"unit_id": world.north, "reason": "东镇书记外出学习"},
                       form_page=zone_url).status_code == 302
    page = _text(county.get(zone_url))
    current = re.search(r"data-current-convener>(.*?)</dd>", page, re.S).group(1)
    assert "北镇" in current and "县纪委指定" in current and "东镇书记外出学习" in current

    # The county admin may manage zones too; archiving ends the zone for its members.
    admin = _login(app, factory, "county-admin")
    version = re.search(r'data-archive-form>.*?name="version" value="(\d+)"', _text(admin.get(zone_url)), re.S).group(1)
    assert admin.post(f"{zone_url}/archive", {"version": version}, form_page=zone_url).status_code == 302
    east = _login(app, factory, "east-sec")
    assert east.get(f"/u/{world.tree.town}/zones/{world.zone_a}").status_code == 404
    assert "已撤销的协作区" in _text(county.get(f"/u/{world.tree.county}/zones"))


# ---------------------------------------------------------------- the API and its 422s


def test_api_defines_and_lists_zones_and_answers_the_issues_422s(app, factory, world):
    headers = bearer(app, "county-leader")
    client = app.test_client()
    base = {"unit": world.tree.county, "lead_account_id": world.lead_id, "guiding_office": "第三纪检监察室"}

    other_town = client.post("/api/v1/zones", headers=headers,
                             json={**base, "name": "跨县协作区", "member_unit_ids": [world.middle, world.tree.other_town]})
    assert other_town.status_code == 422
    assert "南镇 不是本县下辖的单位" in other_town.get_json()["errors"]["member_unit_ids"]

    overlapping = client.post("/api/v1/zones", headers=headers,
                              json={**base, "name": "重叠协作区", "member_unit_ids": [world.tree.town, world.middle]})
    assert overlapping.status_code == 422
    messages = overlapping.get_json()["errors"]["member_unit_ids"]
    assert any("东镇 已属于“东片协作区”" in m for m in messages)

    typed = client.post("/api/v1/zones", headers=headers, json={**base, "name": "x", "member_unit_ids": "东镇"})
    assert typed.status_code == 422 and typed.get_json()["errors"]["member_unit_ids"] == ["须为单位编号的列表"]
    missing = client.post("/api/v1/zones", headers=headers, json={"unit": world.tree.county})
    assert missing.status_code == 422 and missing.get_json()["errors"]["name"] == ["此项必填"]

    made = client.post("/api/v1/zones", headers=headers,
                       json={**base, "kind": "stationed", "name": "派驻组协作区",
                             "member_unit_ids": [world.group1, world.group2]})
    assert made.status_code == 201, made.get_json()
    zone = made.get_json()
    assert [m["name"] for m in zone["members"]] == ["甲县派驻第一纪检监察组", "甲县派驻第二纪检监察组"]
    assert zone["convener"]["unit_id"] == world.group1 and zone["lead_name"] == "county-leader 姓名"

    listed = client.get(f"/api/v1/zones?unit={world.tree.county}", headers=headers).get_json()["items"]
    assert {z["name"] for z in listed} == {"东片协作区", "西片协作区", "派驻组协作区"}
    east = client.get("/api/v1/zones", headers=bearer(app, "east-officer")).get_json()["items"]
    assert [z["name"] for z in east] == ["东片协作区"]

    patched = client.patch(f"/api/v1/zones/{zone['id']}", headers=headers,
                           json={"description": "派驻组联合监督", "version": zone["version"]})
    assert patched.status_code == 200 and patched.get_json()["description"] == "派驻组联合监督"
    stale = client.patch(f"/api/v1/zones/{zone['id']}", headers=headers, json={"name": "x", "version": zone["version"]})
    assert stale.status_code == 409
    # A township officer may read its zone but not change it.
    assert client.patch(f"/api/v1/zones/{world.zone_a}", headers=bearer(app, "east-officer"),
                        json={"name": "x"}).status_code == 404


def test_api_grants_cross_handling_and_refuses_a_grant_beyond_the_zone_or_ending_before_it_starts(app, factory, world):
    from core import calendar

    headers = bearer(app, "county-leader")
    client = app.test_client()
    today = calendar.today()
    east_officer = _account_id(app, "east-officer")
    grant = {"unit": world.tree.county, "grantee_unit_id": world.tree.town, "owner_unit_id": world.north,
             "number": world.north_petition_number, "scope": "inspect", "purpose": "交叉检查信访件办理质量",
             "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=7)).isoformat(),
             "grantee_account_ids": [east_officer]}

    beyond = client.post("/api/v1/cross-handling", headers=headers,
                         json={**grant, "owner_unit_id": world.tree.town2, "number": world.west_petition_number})
    assert beyond.status_code == 422
    assert beyond.get_json()["errors"]["grantee_unit_id"] == ["受托乡镇与案件所属乡镇须在授权时同属一个协作区"]

    backwards = client.post("/api/v1/cross-handling", headers=headers,
                            json={**grant, "ends_on": (today - timedelta(days=1)).isoformat()})
    assert backwards.status_code == 422
    assert "结束日期不能早于开始日期" in backwards.get_json()["errors"]["ends_on"]
    bad_date = client.post("/api/v1/cross-handling", headers=headers, json={**grant, "ends_on": "下周五"})
    assert bad_date.status_code == 422
    assert bad_date.get_json()["errors"]["ends_on"] == ["不是有效日期（应为 2026-11-21 这样的格式）"]

    made = client.post("/api/v1/cross-handling", headers=headers, json=grant)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["state"] == "active" and body["object_label"].startswith(world.north_petition_number)
    # The county's unit admin reads no records: the grants page names neither the record nor the typed 事由.
    admin = Browser(app, factory)
    admin.login("county-admin")
    grants_page = admin.get(f"/u/{world.tree.county}/zones/grants").get_data(as_text=True)
    assert "交叉检查信访件办理质量" not in grants_page and world.north_petition_number not in grants_page

    officer = bearer(app, "east-officer")
    mine = client.get("/api/v1/cross-handling", headers=officer).get_json()["items"]
    assert [g["id"] for g in mine] == [body["id"]]
    assert client.get("/api/v1/cross-handling", headers=bearer(app, "middle-officer")).get_json()["items"] == []
    # Only the county revokes; a grantee's revoke is a 404.
    assert client.post(f"/api/v1/cross-handling/{body['id']}/revoke", headers=officer, json={}).status_code == 404
    revoked = client.post(f"/api/v1/cross-handling/{body['id']}/revoke", headers=headers,
                          json={"reason": "检查完毕", "version": body["version"]})
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "revoked"


def _account_id(app, username) -> int:
    def find():
        from core.extensions import db
        from core.identity.models import Account

        return db.session.scalar(db.select(Account.id).where(Account.username == username))

    return _run(app, find)


def test_api_meetings_are_called_by_the_convener_only_and_read_by_the_zone(app, factory, world):
    from core import calendar

    client = app.test_client()
    url = f"/api/v1/zones/{world.zone_a}/meetings"
    body = {"title": "联席会议", "held_on": calendar.today().isoformat(), "agenda": "通报进展"}
    assert client.post(url, headers=bearer(app, "north-sec"), json=body).status_code == 404  # not the convener
    assert client.post(url, headers=bearer(app, "east-officer"), json=body).status_code == 404  # not a leader
    east = bearer(app, "east-sec")
    missing = client.post(url, headers=east, json={**body, "agenda": "", "held_on": "明天"})
    assert missing.status_code == 422
    assert missing.get_json()["errors"] == {"held_on": ["不是有效日期（应为 2026-11-21 这样的格式）"]}
    empty = client.post(url, headers=east, json={**body, "agenda": " "})
    assert empty.status_code == 422 and empty.get_json()["errors"]["agenda"] == ["请填写会议议程"]
    made = client.post(url, headers=east, json={**body, "attendee_unit_ids": [world.north]})
    assert made.status_code == 201, made.get_json()
    assert [a["unit"] for a in made.get_json()["attendees"]] == ["北镇"]
    for reader in ("north-officer", "county-leader"):
        items = client.get(url, headers=bearer(app, reader)).get_json()["items"]
        assert [m["title"] for m in items] == ["联席会议"], reader
    assert client.get(url, headers=bearer(app, "west-sec")).status_code == 404


def test_api_in_the_unit_scoped_form_lists_reads_and_changes_zones_and_another_units_zone_is_404(app, factory,
                                                                                                 world):
    """/api/v1/u/<unit>/zones…: the URL names the acting unit; a zone the unit may not see is 404 (audited), a
    member may read its zone but not change it, and the older forms are documented no more."""
    client = app.test_client()
    county, leader = world.tree.county, bearer(app, "county-leader")
    base = f"/api/v1/u/{county}/zones"
    listed = client.get(base, headers=leader)
    assert listed.status_code == 200
    assert {z["name"] for z in listed.get_json()["items"]} == {"东片协作区", "西片协作区"}
    east = bearer(app, "east-officer")
    assert [z["name"] for z in client.get(f"/api/v1/u/{world.tree.town}/zones", headers=east).get_json()["items"]] \
        == ["东片协作区"]
    assert client.get(f"/api/v1/u/{world.tree.town}/zones/{world.zone_a}", headers=east).get_json()["name"] == "东片协作区"
    assert client.get(f"/api/v1/u/{world.tree.town}/zones/{world.zone_b}", headers=east).status_code == 404
    assert client.get(f"/api/v1/u/{world.tree.town}/zones/{world.zone_b}/meetings", headers=east).status_code == 404
    assert client.get(base, headers=east).status_code == 404  # not a member of the county
    other = bearer(app, "other-county-leader")
    other_base = f"/api/v1/u/{world.tree.other_county}/zones"
    assert client.get(f"{other_base}/{world.zone_a}", headers=other).status_code == 404
    assert client.patch(f"{other_base}/{world.zone_a}", headers=other, json={"name": "x"}).status_code == 404
    assert client.get(other_base, headers=other).get_json() == {"items": []}

    def denials():
        from core import context
        from core.audit.models import AuditEvent
        from core.extensions import db

        context.activate(context.ActingContext(platform_role="audit"), db.session)
        return {(e.account_name, e.action, e.object_type, e.object_id) for e in db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.outcome == "denied"))}

    assert ("other-county-leader", "zones.read", "zones", str(world.zone_a)) in _run(app, denials)

    # A write: the county changes its zone (a stale version is a 409); a member gets 404 for the same change.
    zone = client.get(f"{base}/{world.zone_a}", headers=leader).get_json()
    changed = client.patch(f"{base}/{world.zone_a}", headers=leader,
                           json={"description": "东片联合监督", "version": zone["version"]})
    assert changed.status_code == 200 and changed.get_json()["description"] == "东片联合监督"
    assert client.patch(f"{base}/{world.zone_a}", headers=leader,
                        json={"name": "x", "version": zone["version"]}).status_code == 409
    assert client.patch(f"/api/v1/u/{world.tree.town}/zones/{world.zone_a}", headers=bearer(app, "east-sec"),
                        json={"name": "x"}).status_code == 404
    made = client.post(base, headers=leader, json={
        "name": "派驻组协作区", "kind": "stationed", "lead_account_id": world.lead_id, "guiding_office": "第三纪检监察室",
        "member_unit_ids": [world.group1, world.group2]})
    assert made.status_code == 201 and made.get_json()["county_id"] == county
    assert client.post(f"/api/v1/u/{world.tree.town}/zones", headers=bearer(app, "east-sec"),
                       json={"name": "x"}).status_code == 404

    document = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/u/{unit_id}/zones", "/u/{unit_id}/zones/{zone_id}", "/u/{unit_id}/cross-handling"} <= set(document)
    assert not {p for p in document if p.startswith(("/zones", "/cross-handling"))}


def test_api_in_the_unit_scoped_form_calls_meetings_and_grants_and_revokes_cross_handling(app, factory, world):
    from core import calendar

    client = app.test_client()
    today = calendar.today()
    meetings = f"/zones/{world.zone_a}/meetings"
    body = {"title": "联席会议", "held_on": today.isoformat(), "agenda": "通报进展"}
    # Only the convener (东镇's leader) calls a meeting, at its own unit; 北镇's leader is 404 at 北镇.
    assert client.post(f"/api/v1/u/{world.north}{meetings}", headers=bearer(app, "north-sec"),
                       json=body).status_code == 404
    made = client.post(f"/api/v1/u/{world.tree.town}{meetings}", headers=bearer(app, "east-sec"), json=body)
    assert made.status_code == 201 and made.get_json()["convener_unit_id"] == world.tree.town
    read = client.get(f"/api/v1/u/{world.north}{meetings}", headers=bearer(app, "north-officer")).get_json()
    assert [m["title"] for m in read["items"]] == ["联席会议"]

    leader = bearer(app, "county-leader")
    grants = f"/api/v1/u/{world.tree.county}/cross-handling"
    grant = {"grantee_unit_id": world.tree.town, "owner_unit_id": world.north, "number": world.north_petition_number,
             "scope": "inspect", "purpose": "交叉检查信访件办理质量", "starts_on": today.isoformat(),
             "ends_on": (today + timedelta(days=7)).isoformat(),
             "grantee_account_ids": [_account_id(app, "east-officer")]}
    assert client.post(f"/api/v1/u/{world.tree.town}/cross-handling", headers=bearer(app, "east-sec"),
                       json=grant).status_code == 404  # a township grants nothing
    created = client.post(grants, headers=leader, json=grant)
    assert created.status_code == 201, created.get_json()
    grant_id = created.get_json()["id"]
    east = bearer(app, "east-officer")
    mine = client.get(f"/api/v1/u/{world.tree.town}/cross-handling", headers=east).get_json()["items"]
    assert [g["id"] for g in mine] == [grant_id]
    assert client.get(grants, headers=leader).get_json()["items"][0]["id"] == grant_id
    # The grantee may not revoke it (404), nor may another county; the county does.
    assert client.post(f"/api/v1/u/{world.tree.town}/cross-handling/{grant_id}/revoke", headers=east,
                       json={}).status_code == 404
    assert client.post(f"/api/v1/u/{world.tree.other_county}/cross-handling/{grant_id}/revoke",
                       headers=bearer(app, "other-county-leader"), json={}).status_code == 404
    revoked = client.post(f"{grants}/{grant_id}/revoke", headers=leader,
                          json={"reason": "检查完毕", "version": created.get_json()["version"]})
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "revoked"


# ---------------------------------------------------------------- grants through the pages


def test_grant_page_the_grantee_reads_the_record_until_the_county_revokes(app, factory, world):
    from core import calendar

    county = _login(app, factory, "county-leader")
    new = f"/u/{world.tree.county}/zones/grants/new"
    form_page = _text(county.get(new))
    assert "east-officer 姓名" in form_page and "北镇（东片协作区）" in form_page
    east_officer = _account_id(app, "east-officer")
    today = calendar.today()
    data = {"owner_unit_id": world.north, "number": world.north_petition_number, "grantee_unit_id": world.tree.town,
            "grantee_account_ids": [east_officer], "scope": "inspect", "purpose": "交叉检查",
            "starts_on": today.isoformat(), "ends_on": (today - timedelta(days=2)).isoformat()}
    refused = county.post(new, data)
    assert refused.status_code == 422 and "结束日期不能早于开始日期" in _text(refused)
    assert "交叉检查</textarea>" in _text(refused)  # what was typed is kept
    made = county.post(new, {**data, "ends_on": (today + timedelta(days=5)).isoformat()})
    assert made.status_code == 302 and made.location.endswith(f"/zones/{world.zone_a}")
    zone_page = _text(county.get(made.location))
    assert 'data-grant-state="active"' in zone_page and "east-officer 姓名" in zone_page

    east = _login(app, factory, "east-officer")
    mine = _text(east.get(f"/u/{world.tree.town}/zones/grants"))
    record = f"/u/{world.tree.town}/petitions/{world.north_petition}"
    assert f'href="{record}"' in mine and "我的交叉办案/检查" in mine
    shown = east.get(record)
    assert shown.status_code == 200 and "钱北" in _text(shown)
    assert "北镇举报人" not in _text(shown)  # never the informant through a share
    # Another officer of the same township is not named: no link, and the record is 404.
    east_sec_view = _login(app, factory, "east-sec")
    assert east_sec_view.get(record).status_code == 404

    version = re.search(r'data-revoke-form>.*?name="version" value="(\d+)"', zone_page, re.S).group(1)
    grant_id = re.search(r'data-grant="(\d+)"', zone_page).group(1)
    revoked = county.post(f"/u/{world.tree.county}/zones/grants/{grant_id}/revoke",
                          {"reason": "提前结束", "version": version}, form_page=made.location)
    assert revoked.status_code == 302
    assert east.get(record).status_code == 404
    assert 'data-grant-state="revoked"' in _text(east.get(f"/u/{world.tree.town}/zones/grants"))
    assert f'href="{record}"' not in _text(east.get(f"/u/{world.tree.town}/zones/grants"))


# ---------------------------------------------------------------- joint meetings and their tasks


def test_the_convener_calls_a_meeting_whose_decisions_become_tracked_tasks(app, factory, world):
    from core import calendar

    zone = world.zone_a
    north = _login(app, factory, "north-sec")
    assert north.get(f"/u/{world.north}/zones/{zone}/meetings/new").status_code == 404  # not the convener

    east = _login(app, factory, "east-sec")
    new = f"/u/{world.tree.town}/zones/{zone}/meetings/new"
    form = _text(east.get(new))
    assert "north-sec 姓名" in form and "county-leader 姓名" in form and "牵头县领导" in form
    today = calendar.today().isoformat()
    refused = east.post(new, {"title": "第一季度联席会议", "held_on": today, "agenda": "",
                              "attendee_unit_ids": [world.tree.town, world.north]})
    assert refused.status_code == 422 and "请填写会议议程" in _text(refused)
    made = east.post(new, {"title": "第一季度联席会议", "held_on": today, "place": "东镇会议室",
                           "agenda": "通报交叉检查情况", "attendee_unit_ids": [world.tree.town, world.north,
                                                                             world.tree.county]})
    assert made.status_code == 302
    meeting_url = made.location
    page = _text(east.get(meeting_url))
    version = re.search(r'data-minutes-form>.*?name="version" value="(\d+)"', page, re.S).group(1)
    minutes = east.post(f"{meeting_url}/minutes",
                        {"minutes": "会议通报了交叉检查情况", "version": version,
                         "decision_1_text": "北镇补齐回访记录", "decision_1_units": [world.north],
                         "decision_1_due": (calendar.today() + timedelta(days=20)).isoformat(),
                         "decision_2_text": "下季度轮值召集"}, form_page=meeting_url)
    assert minutes.status_code == 302
    # The county sees the meeting (counterparty) and turns decision 1 into a task for 北镇.
    county = _login(app, factory, "county-leader")
    county_meeting = f"/u/{world.tree.county}/zones/{zone}/meetings/" + meeting_url.rsplit("/", 1)[1]
    page = _text(county.get(county_meeting))
    assert "会议通报了交叉检查情况" in page and page.count("data-issue-tasks") == 1
    decision_id = re.search(r'decisions/(\d+)/tasks', page).group(1)
    issued = county.post(f"{county_meeting}/decisions/{decision_id}/tasks", {}, form_page=county_meeting)
    assert issued.status_code == 302
    zone_page = _text(county.get(f"/u/{world.tree.county}/zones/{zone}"))
    task = re.search(r'data-task="(\d+)">(.*?)</tr>', zone_page, re.S)
    assert task and "北镇补齐回访记录" in task.group(2) and "已下发" in task.group(2)
    item_id = task.group(1)

    # 北镇 receives it as a supervision item and the zone page follows its state; 东镇 does not see it.
    assert north.post(f"/u/{world.north}/supervision/{item_id}/receive", {},
                      form_page=f"/u/{world.north}/supervision/{item_id}").status_code == 302
    north_zone = _text(north.get(f"/u/{world.north}/zones/{zone}"))
    assert "北镇补齐回访记录" in north_zone and "已签收" in north_zone
    assert "已签收" in _text(county.get(f"/u/{world.tree.county}/zones/{zone}"))
    assert "北镇补齐回访记录" not in _text(east.get(f"/u/{world.tree.town}/zones/{zone}"))
    # The meeting is the zone's: 西镇 (zone B) gets 404 for it, by any URL of its own.
    west = _login(app, factory, "west-sec")
    assert west.get(f"/u/{world.tree.town2}/zones/{zone}/meetings/{meeting_url.rsplit('/', 1)[1]}").status_code == 404


def test_the_rota_asks_the_outgoing_convener_for_its_report_which_the_county_reads(app, factory, world):
    from core import calendar

    today = calendar.today()
    quarter_end = ((today.month - 1) // 3 + 1) * 3
    next_quarter = datetime(today.year + (quarter_end == 12), quarter_end % 12 + 1, 1, 2, 0, tzinfo=timezone.utc)

    def advance():
        from core.extensions import db
        from core.zones import operations as ops
        from tenants.models import Unit

        return ops.advance_rotas(db.session.get(Unit, world.tree.county), calendar.today())

    with time_machine.travel(next_quarter, tick=False):
        assert _run(app, advance) == 2
        east = _login(app, factory, "east-sec")
        inbox = _text(east.get(f"/u/{world.tree.town}/inbox"))
        assert "召集人任期工作报告" in inbox
        link = re.search(rf'href="(/u/{world.tree.town}/zones/{world.zone_a}/terms/\d+)"', inbox)
        assert link, "the inbox links to the term's page"
        zone_url = f"/u/{world.tree.town}/zones/{world.zone_a}"
        page = _text(east.get(zone_url))
        assert "待报送" in page and link.group(1) in page
        current = re.search(r"data-current-convener>(.*?)</dd>", page, re.S).group(1)
        assert "北镇" in current
        term_url = link.group(1)
        page = _text(east.get(term_url))
        version = re.search(r'data-term-report-form>.*?name="version" value="(\d+)"', page, re.S).group(1)
        empty = east.post(f"{term_url}/report", {"body": "", "version": version}, form_page=term_url)
        assert empty.status_code == 422 and "请填写任期工作报告" in _text(empty)
        done = east.post(f"{term_url}/report", {"body": "本季度召开联席会议一次，开展交叉检查一轮。", "version": version},
                         form_page=term_url)
        assert done.status_code == 302
        county_term = term_url.replace(f"/u/{world.tree.town}/", f"/u/{world.tree.county}/")
        # The county reads the report; 北镇 sees the term but not the report; the officer gets no form.
        county = _login(app, factory, "county-leader")
        assert "本季度召开联席会议一次" in _text(county.get(county_term))
        assert "data-report=\"submitted\"" in _text(county.get(f"/u/{world.tree.county}/zones/{world.zone_a}"))
        north = _login(app, factory, "north-sec")
        north_term = term_url.replace(f"/u/{world.tree.town}/", f"/u/{world.north}/")
        assert north.get(north_term).status_code == 200
        assert "本季度召开联席会议一次" not in _text(north.get(north_term))
        assert "data-term-report-form" not in _text(_login(app, factory, "east-officer").get(term_url))
        # 西镇 (zone B) gets 404 for the term.
        west = _login(app, factory, "west-sec")
        assert west.get(term_url.replace(f"/u/{world.tree.town}/", f"/u/{world.tree.town2}/")).status_code == 404


def test_a_convener_moved_out_of_its_zone_still_reports_on_its_term(app, factory, world):
    county = _login(app, factory, "county-leader")
    zone_b = f"/u/{world.tree.county}/zones/{world.zone_b}"
    assert county.post(f"{zone_b}/members", {"unit_id": world.tree.town}, form_page=zone_b).status_code == 302
    a_page = _text(county.get(f"/u/{world.tree.county}/zones/{world.zone_a}"))
    assert "北镇" in re.search(r"data-current-convener>(.*?)</dd>", a_page, re.S).group(1)

    east = _login(app, factory, "east-sec")
    assert east.get(f"/u/{world.tree.town}/zones/{world.zone_a}").status_code == 404  # no longer a member
    inbox = _text(east.get(f"/u/{world.tree.town}/inbox"))
    term_url = re.search(rf'href="(/u/{world.tree.town}/zones/{world.zone_a}/terms/\d+)"', inbox).group(1)
    page = _text(east.get(term_url))
    assert "东片协作区" in page and f'href="/u/{world.tree.town}/zones/{world.zone_a}"' not in page
    version = re.search(r'data-term-report-form>.*?name="version" value="(\d+)"', page, re.S).group(1)
    assert east.post(f"{term_url}/report", {"body": "任期内召开会议一次", "version": version},
                     form_page=term_url).status_code == 302
    county_term = term_url.replace(f"/u/{world.tree.town}/", f"/u/{world.tree.county}/")
    assert "任期内召开会议一次" in _text(county.get(county_term))


# ---------------------------------------------------------------- a cross-inspection round


def _open_clearing_case(app, unit_id, person="赵北") -> int:
    def make():
        from core import calendar
        from core.clearing import operations as clearing_ops
        from core.extensions import db
        from tenants.models import Unit

        unit = db.session.get(Unit, unit_id)
        candidate = clearing_ops.record_candidate(unit, {
            "reference": f"北纪信〔2026〕{unit_id}号", "concluded_on": calendar.today().isoformat(),
            "person_name": person, "person_work_unit": "北镇林业站", "accusation": f"反映{person}问题"})
        return clearing_ops.screen_candidate(candidate, accept=True).id

    return _run(app, make)


def test_a_round_inspector_files_findings_the_county_orders_rectification_and_closes_it(app, factory, world):
    from core import calendar

    case_id = _open_clearing_case(app, world.north)
    county = _login(app, factory, "county-leader")
    zone_url = f"/u/{world.tree.county}/zones/{world.zone_a}"
    today = calendar.today()
    refused = county.post(f"{zone_url}/rounds", {"title": "", "starts_on": today.isoformat(),
                                                 "ends_on": today.isoformat(), "checklist": "是否核查全面"},
                          form_page=zone_url)
    assert refused.status_code == 422 and "检查名称不能为空" in _text(refused)
    opened = county.post(f"{zone_url}/rounds", {"title": "第一轮交叉检查", "starts_on": today.isoformat(),
                                                "ends_on": (today + timedelta(days=10)).isoformat(),
                                                "checklist": "是否核查全面\n是否结论清楚"}, form_page=zone_url)
    assert opened.status_code == 302
    round_id = opened.location.rsplit("/", 1)[1]
    page = _text(county.get(opened.location))
    assert page.count("data-pair=") == 2 and "东镇 检查 北镇" in _strip(page)

    east = _login(app, factory, "east-officer")
    round_url = f"/u/{world.tree.town}/zones/rounds/{round_id}"
    page = _text(east.get(round_url))
    assert "北镇 检查 东镇" not in _strip(page)  # a member sees its own pairing only
    case_url = f"/u/{world.tree.town}/clearing/cases/{case_id}"
    assert f'href="{case_url}"' in page
    assert east.get(case_url).status_code == 200  # read through the round's grant
    pair_id = re.search(r'data-pair="(\d+)"', page).group(1)
    version = re.search(r'data-findings-form>.*?name="version" value="(\d+)"', page, re.S).group(1)
    action = f"{round_url}/pairs/{pair_id}/findings"
    empty = east.post(action, {"case_ids": [case_id], "version": version}, form_page=round_url)
    assert empty.status_code == 422 and "请填写检查情况小结" in _text(empty)
    filed = east.post(action, {"case_ids": [case_id], "version": version, f"case_{case_id}_item_0": "1",
                               f"case_{case_id}_problem": "回访记录缺失", "summary": "抽查一件，发现问题一个"},
                      form_page=round_url)
    assert filed.status_code == 302
    # 西镇's officer (zone B) gets 404 for the round and the pairing, by its own URLs.
    west = _login(app, factory, "west-officer")
    assert west.get(f"/u/{world.tree.town2}/zones/rounds/{round_id}").status_code == 404

    page = _text(county.get(opened.location))
    assert "回访记录缺失" in page and "抽查一件，发现问题一个" in page
    # The case inspected counts in the inspector's figures, so in its zone's.
    figures = _text(county.get(f"/u/{world.tree.county}/zones?period=month"))
    row_a = re.search(rf'data-zone-row="{world.zone_a}">(.*?)</tr>', figures, re.S).group(1)
    assert re.search(r'data-figure="zones.cases_inspected">(?:<strong>)?(\d+)', row_a).group(1) == "1"
    rectify = re.search(r'action="([^"]+/rectification)"', page).group(1)
    ordered = county.post(rectify, {"due_on": (today + timedelta(days=15)).isoformat()}, form_page=opened.location)
    assert ordered.status_code == 302
    page = _text(county.get(opened.location))
    assert "data-rectification" in page and "data-rectify-form" not in page
    north = _login(app, factory, "north-sec")
    assert "第一轮交叉检查 整改交办单" in _text(north.get(f"/u/{world.north}/supervision"))

    version = re.search(r'data-close-round>.*?name="version" value="(\d+)"', page, re.S).group(1)
    assert county.post(f"/u/{world.tree.county}/zones/rounds/{round_id}/close", {"version": version},
                       form_page=opened.location).status_code == 302
    assert east.get(case_url).status_code == 404  # the round's read grants ended with it
