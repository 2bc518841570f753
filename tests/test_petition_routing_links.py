"""Petitions across the tree: repeat links and the 三多 flags between a province and a county that never see
each other's record or informant; routing province → city → county → township with deadlines, tracking
shares and 交办件, the outcome travelling back up; no informant in a dump of the database; bad input."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import select

from tests.conftest import ADMIN_URL, Browser, bearer

ACCUSED = {"accused_name": "周建设", "accused_position": "局长", "accused_work_unit": "甲县交通运输局",
           "accused_level": "county"}
PROVINCE_INFORMANT = {"informant_name": "欧阳省举", "informant_phone": "13900001111",
                      "informant_id_number": "110101199001011234"}
COUNTY_INFORMANT = {"name": "司马县举", "phone": "13700002222"}
COUNTY_CONTENT = "县里收到的材料：周建设在农村公路招标中指定中标单位并收受好处费二十万元"


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    for name, unit, role in (("prov-intake", tree.province, "intake"), ("prov-leader", tree.province, "leader"),
                             ("city-intake", tree.city, "intake"), ("county-intake", tree.county, "intake"),
                             ("county-officer", tree.county, "officer"), ("east-officer", tree.town, "officer"),
                             ("east-intake", tree.town, "intake"), ("city-leader", tree.city, "leader")):
        factory.account(name, [(unit, role)])
    return tree


def _today():
    from core.calendar import today

    return today()


def _browser(app, factory, username) -> Browser:
    browser = Browser(app, factory)
    response = browser.login(username)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def _register_page(app, browser, unit_id, **fields) -> int:
    with app.app_context():
        form = {"channel": "letter", "received_on": _today().isoformat(), "summary": "反映周建设在工程招标中收受好处费",
                "content": "来信反映周建设在农村公路招标中收受好处费。", **ACCUSED, **fields}
    response = browser.post(f"/u/{unit_id}/petitions/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rstrip("/").rsplit("/", 1)[1])


def _db(app):
    """A maintenance session for assertions behind the pages' back."""
    from core import context
    from core.extensions import db

    ctx = app.app_context()
    ctx.push()
    context.activate(context.maintenance_context(), db.session)
    return ctx, db


def _petition(app, petition_id):
    ctx, db = _db(app)
    try:
        from core.petitions.models import Petition

        p = db.session.get(Petition, petition_id)
        return {"state": p.state, "flags": sorted(p.flags), "outcome": p.outcome, "routing": p.routing,
                "number": p.number, "unit_id": p.unit_id, "due_on": p.due_on, "origin": p.origin_petition_id}
    finally:
        db.session.remove()
        ctx.pop()


def _item(app, item_id):
    ctx, db = _db(app)
    try:
        from core.supervision.models import SupervisionItem

        item = db.session.get(SupervisionItem, item_id)
        return {"state": item.state, "kind": item.kind, "due_on": item.due_on, "unit_id": item.unit_id,
                "recipient": item.recipient_unit_id, "subject_id": item.subject_id}
    finally:
        db.session.remove()
        ctx.pop()


# ---------------------------------------------------------------- (a) repeat links and the 三多


def test_same_accused_at_province_and_county_links_both_sides_flags_follow_confirmation_records_stay_apart(
        app, world, factory):
    tree = world
    province = _browser(app, factory, "prov-intake")
    province_pid = _register_page(app, province, tree.province, **PROVINCE_INFORMANT)

    county_headers = bearer(app, "county-intake")
    client = app.test_client()
    created = client.post(f"/api/v1/u/{tree.county}/petitions", headers=county_headers, json={
        "channel": "visit", "received_on": _today().isoformat(), "informant": COUNTY_INFORMANT,
        "summary": "反映周建设在农村公路招标中收受好处费", "content": COUNTY_CONTENT,
        **{k: v for k, v in ACCUSED.items()}, "accused_work_unit": " 甲县交通运输局 "})  # normalised the same
    assert created.status_code == 201, created.get_json()
    county_pid = created.get_json()["id"]
    assert created.get_json()["flags"] == []  # proposed links raise no flag until confirmed

    # Proposed at both units, each seeing only the other unit and its receipt facts.
    county_links = client.get(f"/api/v1/u/{tree.county}/petitions/{county_pid}/links", headers=county_headers)
    assert county_links.status_code == 200
    (county_link,) = county_links.get_json()
    assert county_link["state"] == "proposed" and county_link["other_unit_name"] == "测试省"
    assert county_link["other_unit_level"] == "province" and county_link["other_channel"] == "letter"
    assert county_link["same_accused"] and not county_link["same_informant"]
    body = json.dumps(county_links.get_json(), ensure_ascii=False)
    assert "欧阳" not in body and "13900001111" not in body and "informant_" not in body
    assert "other_petition_id" not in body  # not even the id of the other unit's record

    page = province.get(f"/u/{tree.province}/petitions/{province_pid}").get_data(as_text=True)
    panel = page[page.index("data-links"):page.index("</section>", page.index("data-links"))]
    assert "甲县" in panel and "县(区)" in panel and "来访" in panel and "同一被反映人" in panel and "待确认" in panel
    assert "司马" not in page and "13700002222" not in page and "137****2222" not in page
    assert COUNTY_CONTENT not in page and "县里收到的材料" not in page
    province_link_id = int(re.search(r'data-link="(\d+)"', panel).group(1))
    # Filed above the competent level (a 县处级 cadre is the city's matter): 越级 on its own, nothing else yet.
    assert _petition(app, province_pid)["flags"] == ["skip_level"]

    # Neither unit reads the other's record, informant or links, by page or API, under any URL.
    assert province.get(f"/u/{tree.province}/petitions/{county_pid}").status_code == 404
    assert province.get(f"/u/{tree.county}/petitions/{county_pid}").status_code == 404
    province_headers = bearer(app, "prov-intake")
    for url in (f"/api/v1/u/{tree.province}/petitions/{county_pid}",
                f"/api/v1/u/{tree.province}/petitions/{county_pid}/links"):
        assert client.get(url, headers=province_headers).status_code == 404
    county = _browser(app, factory, "county-intake")
    assert county.get(f"/u/{tree.county}/petitions/{province_pid}").status_code == 404
    assert client.get(f"/api/v1/u/{tree.county}/petitions/{province_pid}", headers=county_headers).status_code == 404
    # The other side's link id under one's own petition: 404, nothing decided.
    assert client.post(f"/api/v1/u/{tree.county}/petitions/{county_pid}/links", headers=county_headers,
                       json={"link_id": province_link_id, "decision": "confirmed"}).status_code == 404
    assert county.post(f"/u/{tree.county}/petitions/{county_pid}/links/{province_link_id}",
                       {"decision": "confirmed"}, form_page=f"/u/{tree.county}/petitions/{county_pid}"
                       ).status_code == 404

    # The province's intake learns of the new report about its petition in its inbox (no details).
    inbox = province.get(f"/u/{tree.province}/inbox").get_data(as_text=True)
    assert "疑似重复件待确认" in inbox and f"/u/{tree.province}/petitions/{province_pid}" in inbox
    assert "司马" not in inbox and "县里收到的材料" not in inbox

    # The province confirms on its page: its flags appear; the county's stay until it decides itself.
    response = province.post(f"/u/{tree.province}/petitions/{province_pid}/links/{province_link_id}",
                             {"decision": "confirmed"}, form_page=f"/u/{tree.province}/petitions/{province_pid}")
    assert response.status_code == 302
    province_flags = _petition(app, province_pid)["flags"]
    assert province_flags == ["multi_level", "multi_source", "repeat", "skip_level"]
    assert _petition(app, county_pid)["flags"] == []
    page = province.get(f"/u/{tree.province}/petitions/{province_pid}").get_data(as_text=True)
    assert 'data-flag="multi_level"' in page and "多层" in page and "多头" in page and "已确认同一事项" in page
    assert "疑似重复件待确认" not in province.get(f"/u/{tree.province}/inbox").get_data(as_text=True)

    bad = client.post(f"/api/v1/u/{tree.county}/petitions/{county_pid}/links", headers=county_headers,
                      json={"link_id": county_link["id"], "decision": "maybe"})
    assert bad.status_code == 422 and "decision" in bad.get_json()["errors"]
    decided = client.post(f"/api/v1/u/{tree.county}/petitions/{county_pid}/links", headers=county_headers,
                          json={"link_id": county_link["id"], "decision": "confirmed"})
    assert decided.status_code == 200
    assert {"repeat", "multi_level", "multi_source"} <= set(decided.get_json()["flags"])
    assert "多层" in decided.get_json()["flag_labels"]

    # The lists show the flags and filter by them; the informants still appear nowhere on the other side.
    listing = province.get(f"/u/{tree.province}/petitions?flag=multi_source").get_data(as_text=True)
    assert 'data-flag="multi_source"' in listing and listing.count("data-petition=") == 1
    assert province.get(f"/u/{tree.province}/petitions?flag=multi_year").get_data(as_text=True).count(
        "data-petition=") == 0
    county_page = county.get(f"/u/{tree.county}/petitions/{county_pid}").get_data(as_text=True)
    assert "欧阳" not in county_page and "139****1111" not in county_page and "测试省" in county_page

    # Rejecting takes the flags away again (the stats rows follow).
    client.post(f"/api/v1/u/{tree.county}/petitions/{county_pid}/links", headers=county_headers,
                json={"link_id": county_link["id"], "decision": "rejected"})
    assert _petition(app, county_pid)["flags"] == []


# ---------------------------------------------------------------- (b)+(c) routing down the tree and back


def test_routing_province_city_county_township_and_the_outcome_travels_back_up(app, world, factory):
    tree = world
    today = _today()
    client = app.test_client()
    province = _browser(app, factory, "prov-intake")
    province_pid = _register_page(app, province, tree.province, **PROVINCE_INFORMANT)

    # Province → city (交办, on the page), with a deadline.
    page = province.get(f"/u/{tree.province}/petitions/{province_pid}").get_data(as_text=True)
    assert "data-route-form" in page and f'value="{tree.town}"' in page  # every unit below may be chosen
    due_city = (today + timedelta(days=40)).isoformat()
    response = province.post(f"/u/{tree.province}/petitions/{province_pid}/route", {
        "mode": "assign", "to_unit_id": tree.city, "due_on": due_city, "instructions": "请甲市纪委监委调查核实"},
        form_page=f"/u/{tree.province}/petitions/{province_pid}")
    assert response.status_code == 302, response.get_data(as_text=True)
    routing = _petition(app, province_pid)["routing"]
    city_pid, city_item = routing["petition_id"], routing["item_id"]
    assert routing["to_unit_name"] == "甲市" and routing["due_on"] == due_city
    assert _petition(app, province_pid)["state"] == "routed"
    assert _item(app, city_item)["kind"] == "assigned" and _item(app, city_item)["due_on"].isoformat() == due_city

    # City → county through the API.
    city_headers = bearer(app, "city-intake")
    due_county = (today + timedelta(days=30)).isoformat()
    routed = client.post(f"/api/v1/u/{tree.city}/petitions/{city_pid}/route", headers=city_headers, json={
        "mode": "assign", "to_unit_id": tree.county, "due_on": due_county, "instructions": "请甲县办理"})
    assert routed.status_code == 200, routed.get_json()
    assert routed.get_json()["state"] == "routed" and routed.get_json()["routing"]["to_unit_name"] == "甲县"
    assert "欧阳" not in json.dumps(routed.get_json(), ensure_ascii=False)
    county_pid, county_item = routed.get_json()["routing"]["petition_id"], routed.get_json()["routing"]["item_id"]
    assert _item(app, city_item)["state"] == "received"  # routing further signs for the province's 交办件

    # County → township (转办, on the page).
    county = _browser(app, factory, "county-intake")
    county_page = county.get(f"/u/{tree.county}/petitions/{county_pid}").get_data(as_text=True)
    assert "由上级转交" in county_page and "甲市" in county_page and "请甲县办理" in county_page
    due_town = (today + timedelta(days=20)).isoformat()
    response = county.post(f"/u/{tree.county}/petitions/{county_pid}/route", {
        "mode": "transfer", "to_unit_id": tree.town, "due_on": due_town},
        form_page=f"/u/{tree.county}/petitions/{county_pid}")
    assert response.status_code == 302, response.get_data(as_text=True)
    town_routing = _petition(app, county_pid)["routing"]
    town_pid, town_item = town_routing["petition_id"], town_routing["item_id"]
    assert _petition(app, town_pid)["due_on"].isoformat() == due_town
    assert _item(app, town_item)["due_on"].isoformat() == due_town and _item(app, town_item)["state"] == "issued"

    # Each origin tracks its receiver's record through the share: status yes, informant never.
    city = _browser(app, factory, "city-intake")
    for browser, origin_unit, origin_pid, copy_pid, item_id, receiver in (
            (province, tree.province, province_pid, city_pid, city_item, "甲市"),
            (city, tree.city, city_pid, county_pid, county_item, "甲县"),
            (county, tree.county, county_pid, town_pid, town_item, "东镇")):
        origin_page = browser.get(f"/u/{origin_unit}/petitions/{origin_pid}").get_data(as_text=True)
        assert "data-routing" in origin_page and receiver in origin_page
        assert _petition(app, copy_pid)["number"] in origin_page
        shared = browser.get(f"/u/{origin_unit}/petitions/{copy_pid}")
        shared_page = shared.get_data(as_text=True)
        assert shared.status_code == 200 and "周建设" in shared_page
        assert "通过转办跟踪共享查看，举报人信息不予显示" in shared_page
        for plain in ("欧阳", "13900001111", "139****1111", "110101199001011234", "1101**********1234", "已加密"):
            assert plain not in shared_page, plain
        assert "/reveal" not in shared_page and "data-route-form" not in shared_page and "data-steps" not in shared_page
        api_copy = client.get(f"/api/v1/u/{origin_unit}/petitions/{copy_pid}", headers=bearer(app, {
            tree.province: "prov-intake", tree.city: "city-intake", tree.county: "county-intake"}[origin_unit]))
        assert api_copy.status_code == 200 and "欧阳" not in json.dumps(api_copy.get_json(), ensure_ascii=False)
    # Each origin's 交办件, opened by whoever reads supervision items there (intake does not).
    for username, origin_unit, item_id in (("prov-leader", tree.province, city_item),
                                           ("city-leader", tree.city, county_item),
                                           ("county-officer", tree.county, town_item)):
        reader = _browser(app, factory, username)
        item_page = reader.get(f"/u/{origin_unit}/supervision/{item_id}")
        assert item_page.status_code == 200 and "交办件" in item_page.get_data(as_text=True)
        assert "欧阳" not in item_page.get_data(as_text=True)
    assert 'data-routing-item' not in province.get(f"/u/{tree.province}/petitions/{province_pid}").get_data(
        as_text=True)  # intake gets no link it could not open
    # The share is one hop: the province does not read the county's or the township's record.
    assert province.get(f"/u/{tree.province}/petitions/{county_pid}").status_code == 404
    assert province.get(f"/u/{tree.province}/petitions/{town_pid}").status_code == 404

    # The township handles its copy: it came from the county; the informant (its own copy) is there, masked.
    town = _browser(app, factory, "east-officer")
    town_page = town.get(f"/u/{tree.town}/petitions/{town_pid}").get_data(as_text=True)
    assert "由上级转交：甲县" in town_page and "欧**" in town_page and "data-routing-item" in town_page
    officer = bearer(app, "east-officer")
    base = f"/api/v1/u/{tree.town}/petitions/{town_pid}/transitions"
    assert client.post(base, headers=officer, json={"transition": "start"}).status_code == 200
    assert _item(app, town_item)["state"] == "received"
    concluded = client.post(base, headers=officer, json={"transition": "conclude", "data": {
        "outcome": "unfounded", "findings": "经调取招标档案核实，程序合规，反映问题不属实"}})
    assert concluded.status_code == 200, concluded.get_json()

    # The outcome reaches every origin up the chain; each 交办件 is reported done.
    for pid in (county_pid, city_pid, province_pid):
        assert _petition(app, pid)["state"] == "routed_done" and _petition(app, pid)["outcome"] == "unfounded"
    for item_id in (town_item, county_item, city_item):
        assert _item(app, item_id)["state"] == "reported_done", item_id
    province_page = province.get(f"/u/{tree.province}/petitions/{province_pid}").get_data(as_text=True)
    assert "下级已办结" in province_page and "不属实" in province_page and "程序合规" in province_page
    routed_state = re.search(r"data-routed-state>(.*?)</td>", province_page).group(1)
    assert "下级已办结" in routed_state and "不属实" in routed_state  # the city's record, seen through the share
    county_page = county.get(f"/u/{tree.county}/petitions/{county_pid}").get_data(as_text=True)
    assert "已办结，待反馈" in re.search(r"data-routed-state>(.*?)</td>", county_page).group(1)

    # (c) Unfounded: the accused enters the township's clearing pool, linked to the township's record only.
    ctx, db = _db(app)
    try:
        from core.clearing.models import ClearingCandidate

        candidates = db.session.scalars(select(ClearingCandidate)).all()
        assert [(c.unit_id, c.petition_id, c.person_name) for c in candidates] == [(tree.town, town_pid, "周建设")]
    finally:
        db.session.remove()
        ctx.pop()


# ---------------------------------------------------------------- (e) bad input


def test_routing_refuses_a_unit_outside_the_subtree_and_a_second_routing(app, world, factory):
    tree = world
    client = app.test_client()
    city = _browser(app, factory, "city-intake")
    pid = _register_page(app, city, tree.city, anonymous="1")
    detail = f"/u/{tree.city}/petitions/{pid}"

    # 乙县 is under another city: 422 with the reason in Chinese, the entries kept, nothing routed.
    response = city.post(f"{detail}/route", {"mode": "assign", "to_unit_id": tree.other_county,
                                             "instructions": "请核查并报结果"}, form_page=detail)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "只能转交本单位下辖的单位" in page and "请核查并报结果" in page
    headers = bearer(app, "city-intake")
    api = f"/api/v1/u/{tree.city}/petitions/{pid}/route"
    for body in ({"mode": "assign", "to_unit_id": tree.province}, {"mode": "assign", "to_unit_id": tree.city},
                 {"mode": "assign", "to_unit_id": 999999}, {"mode": "relay", "to_unit_id": tree.county},
                 {"mode": "assign", "to_unit_id": tree.county, "due_on": "2000-01-01"}):
        refused = client.post(api, headers=headers, json=body)
        assert refused.status_code == 422, (body, refused.get_json())
    assert set(client.post(api, headers=headers, json={"mode": "x", "due_on": "yesterday"}).get_json()["errors"]) \
        == {"mode", "to_unit_id", "due_on"}
    assert _petition(app, pid)["state"] == "registered" and _petition(app, pid)["routing"] is None

    # An officer registers and handles but does not route; the leader and intake do.
    assert client.post(api, headers=bearer(app, "county-officer"), json={}).status_code == 404
    routed = client.post(api, headers=headers, json={"mode": "assign", "to_unit_id": tree.county})
    assert routed.status_code == 200
    due = routed.get_json()["routing"]["due_on"]
    with app.app_context():
        from core import calendar

        assert due == calendar.add_workdays(calendar.today(), app.config["PETITION_HANDLING_WORKDAYS"]).isoformat()

    # Twice: 409 naming the state, by the API and on the page.
    again = client.post(api, headers=headers, json={"mode": "assign", "to_unit_id": tree.town})
    assert again.status_code == 409
    assert again.get_json()["current_state"] == "routed" and "已转交下级，跟踪中" in again.get_json()["message"]
    page_again = city.post(f"{detail}/route", {"mode": "assign", "to_unit_id": tree.town}, form_page=detail)
    assert page_again.status_code == 409 and "已转交下级，跟踪中" in page_again.get_data(as_text=True)
    stale = client.post(f"/api/v1/u/{tree.county}/petitions/{routed.get_json()['routing']['petition_id']}/route",
                        headers=bearer(app, "county-intake"), json={"mode": "assign", "to_unit_id": tree.town,
                                                                    "version": 99})
    assert stale.status_code == 409


# ---------------------------------------------------------------- (d) the dump


def test_a_dump_of_the_database_shows_no_informant_name_or_phone(app, world, factory, owner_engine):
    """Registered, revealed, routed (the receiver's copy is encrypted again), linked as a repeat: the name
    and phone appear nowhere in the database's bytes (SQLite: the file; PostgreSQL: pg_dump)."""
    tree = world
    name, phone = "慕容保密", "13655558888"
    province = _browser(app, factory, "prov-intake")
    first = _register_page(app, province, tree.province, informant_name=name, informant_phone=phone,
                           informant_address="测试省某路 1 号")
    second = _register_page(app, province, tree.province, informant_name=name, informant_phone=phone)
    detail = f"/u/{tree.province}/petitions/{first}"
    revealed = province.post(f"{detail}/reveal", {"reason": "核对举报人"}, form_page=detail).get_data(as_text=True)
    assert name in revealed and phone in revealed  # the page shows it once; the database never holds it
    assert province.post(f"{detail}/route", {"mode": "assign", "to_unit_id": tree.county},
                         form_page=detail).status_code == 302
    links = app.test_client().get(f"/api/v1/u/{tree.province}/petitions/{second}/links",
                                  headers=bearer(app, "prov-intake")).get_json()
    # The first petition (the unit's own: the informant matched by keyed hash, never by plaintext) and the
    # county's copy of it (another unit: linked by the accused and the matter, the informant's part untold).
    assert sorted((link["other_unit_name"], link["same_informant"]) for link in links) == [
        ("测试省", True), ("甲县", False)]

    if ADMIN_URL:
        assert shutil.which("pg_dump"), "pg_dump is needed for the PostgreSQL dump check"
        dump = subprocess.run(["pg_dump", "--data-only", "--no-owner", f"--dbname={ADMIN_URL}"],
                              capture_output=True, check=True).stdout
    else:
        path = owner_engine.url.database
        dump = b"".join(open(p, "rb").read() for p in (path, f"{path}-wal") if os.path.exists(p))
    assert "反映被反映人在工程招标中收受好处费".encode() in dump  # the dump is real: the summary (no name) is plain
    for secret in (name, phone, name[:2], phone[-8:], "甲县交通运输局"):  # nor the accused's work unit (sealed)
        assert secret.encode() not in dump, secret
        assert secret.encode("utf-16-le") not in dump, secret


# ---------------------------------------------------------------- pages: list, ledger, categories, 息访, 再次信访


def test_list_filters_and_the_ledger_has_no_informant(app, world, factory):
    from openpyxl import load_workbook

    tree = world
    town = _browser(app, factory, "east-intake")
    first = _register_page(app, town, tree.town, informant_name="上官台账", informant_phone="13511112222",
                           accused_name="钱甲", accused_work_unit="东镇甲村", accused_level="village")
    _register_page(app, town, tree.town, informant_name="诸葛台账", accused_name="孙乙", accused_work_unit="东镇乙村",
                   accused_level="village", accused_party_member="1", summary="反映孙乙优亲厚友")
    listing = town.get(f"/u/{tree.town}/petitions?q=钱甲").get_data(as_text=True)
    assert listing.count("data-petition=") == 1 and "钱甲" in listing
    assert town.get(f"/u/{tree.town}/petitions?state=handling").get_data(as_text=True).count("data-petition=") == 0
    assert town.get(f"/u/{tree.town}/petitions?overdue=1").get_data(as_text=True).count("data-petition=") == 0
    assert town.get(f"/u/{tree.town}/petitions?state=registered").get_data(as_text=True).count(
        "data-petition=") == 2
    api = app.test_client().get(f"/api/v1/u/{tree.town}/petitions?q=孙乙", headers=bearer(app, "east-intake"))
    assert api.get_json()["total"] == 1 and api.get_json()["items"][0]["accused_party_member"] is True

    ledger = town.ledger(f"/u/{tree.town}/petitions/ledger.xlsx")
    assert ledger.status_code == 200 and ledger.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(BytesIO(ledger.data)).active
    rows = [[str(v) if v is not None else "" for v in row] for row in sheet.iter_rows(values_only=True)]
    text = json.dumps(rows, ensure_ascii=False)
    assert len(rows) == 3 and "钱甲" in text and "孙乙" in text and "村（社区）干部" in text
    for plain in ("上官", "诸葛", "13511112222", "135****2222", "举报人姓名", "联系电话"):
        assert plain not in text, plain
    filtered = load_workbook(BytesIO(town.ledger(f"/u/{tree.town}/petitions/ledger.xlsx?q=孙乙").data)).active
    assert filtered.max_row == 2
    assert _petition(app, first)["state"] == "registered"


def test_categories_defined_above_are_the_choices_below_and_archiving_removes_one(app, world, factory):
    tree = world
    city = _browser(app, factory, "city-leader")
    url = f"/u/{tree.city}/petitions/categories"
    for name in ("征地拆迁", "三资管理"):
        assert city.post(url, {"name": name}).status_code == 302
    duplicate = city.post(url, {"name": " 征地拆迁 "})
    assert duplicate.status_code == 422 and "已有同名的问题类别" in duplicate.get_data(as_text=True)
    assert city.post(url, {"name": ""}).status_code == 422

    # The township's form offers them as a select; anything else is refused with the entries kept.
    town = _browser(app, factory, "east-intake")
    form = town.get(f"/u/{tree.town}/petitions/new").get_data(as_text=True)
    assert '<select name="category">' in form and "征地拆迁" in form and "三资管理" in form
    with app.app_context():
        data = {"channel": "letter", "received_on": _today().isoformat(), "summary": "反映问题",
                "accused_name": "某人", "anonymous": "1", "category": "自编类别"}
    refused = town.post(f"/u/{tree.town}/petitions/new", data)
    assert refused.status_code == 422 and "请从问题类别中选择" in refused.get_data(as_text=True)
    assert 'value="某人"' in refused.get_data(as_text=True)
    assert town.post(f"/u/{tree.town}/petitions/new", {**data, "category": "征地拆迁"}).status_code == 302

    # Only a province or city leader defines; the township reads the list; the other city does not see it.
    town_list = town.get(f"/u/{tree.town}/petitions/categories").get_data(as_text=True)
    assert "征地拆迁" in town_list and "甲市" in town_list and "data-category-form" not in town_list
    assert town.post(f"/u/{tree.town}/petitions/categories", {"name": "镇自定类别"},
                     form_page=f"/u/{tree.town}/petitions/categories").status_code == 404
    factory.account("other-city-leader", [(tree.other_city, "leader")])
    other = _browser(app, factory, "other-city-leader")
    assert "征地拆迁" not in other.get(f"/u/{tree.other_city}/petitions/categories").get_data(as_text=True)

    page = city.get(url).get_data(as_text=True)
    category_id = re.search(r'data-category="三资管理".*?/categories/(\d+)/archive', page, re.S).group(1)
    assert other.post(f"/u/{tree.other_city}/petitions/categories/{category_id}/archive", {},
                      form_page=f"/u/{tree.other_city}/petitions/categories").status_code == 404
    assert city.post(f"{url}/{category_id}/archive", {}, form_page=url).status_code == 302
    form = town.get(f"/u/{tree.town}/petitions/new").get_data(as_text=True)
    assert "三资管理" not in form and "征地拆迁" in form


def test_settle_and_petition_again_from_a_closed_petition(app, world, factory):
    tree = world
    town = _browser(app, factory, "east-officer")
    pid = _register_page(app, town, tree.town, informant_name="东方再访", informant_phone="13322223333",
                         accused_name="赵丙", accused_work_unit="东镇丙村")
    detail = f"/u/{tree.town}/petitions/{pid}"
    assert "data-register-again" not in town.get(detail).get_data(as_text=True)  # not before it is closed
    assert town.get(f"/u/{tree.town}/petitions/new?again_of={pid}").status_code == 200  # the form itself...
    refused = town.post(f"/u/{tree.town}/petitions/new", {"again_of": pid, "same_informant": "1", "channel": "letter",
                                                          "received_on": "2026-01-01", "accused_name": "赵丙",
                                                          "summary": "再次反映"})
    assert refused.status_code == 422 and "原件尚未结案" in refused.get_data(as_text=True)  # ...refuses an open one
    for step, data in (("start", {}), ("conclude", {"outcome": "founded", "findings": "查实"}),
                       ("feedback", {"given_on": _today().isoformat(), "way": "phone", "content": "已告知",
                                     "satisfied": "no"})):
        assert town.post(f"{detail}/steps/{step}", data, form_page=detail).status_code == 302, step
    page = town.get(detail).get_data(as_text=True)
    assert 'data-step="settle"' in page and "data-register-again" in page

    # 再次信访: the form is prefilled with the matter, never the informant.
    form = town.get(f"/u/{tree.town}/petitions/new?again_of={pid}").get_data(as_text=True)
    assert 'value="赵丙"' in form and 'name="again_of"' in form and "东方" not in form and "13322223333" not in form
    with app.app_context():
        data = {"again_of": pid, "same_informant": "1", "channel": "visit", "received_on": _today().isoformat(),
                "accused_name": "赵丙", "accused_work_unit": "东镇丙村", "summary": "对处理结果不满，再次反映"}
    response = town.post(f"/u/{tree.town}/petitions/new", data)
    assert response.status_code == 302
    again = int(response.location.rsplit("/", 1)[1])
    again_page = town.get(f"/u/{tree.town}/petitions/{again}").get_data(as_text=True)
    assert "东**" in again_page and "133****3333" in again_page  # carried over, encrypted for the new record
    assert "已确认同一事项" in again_page and 'data-flag="repeat"' in again_page
    assert "repeat" in _petition(app, pid)["flags"] and "multi_source" in _petition(app, again)["flags"]

    # The API does the same: the informant carried over and never returned.
    by_api = app.test_client().post(f"/api/v1/u/{tree.town}/petitions", headers=bearer(app, "east-officer"), json={
        "again_of": pid, "channel": "phone", "received_on": _today().isoformat(), "accused_name": "赵丙",
        "accused_work_unit": "东镇丙村", "summary": "第三次反映"})
    assert by_api.status_code == 201, by_api.get_json()
    assert by_api.get_json()["again_of_id"] == pid and "repeat" in by_api.get_json()["flags"]
    assert "东方" not in json.dumps(by_api.get_json(), ensure_ascii=False)

    # An earlier petition of another unit is not the unit's to petition again: 404.
    west = _browser(app, factory, "county-intake")
    assert west.get(f"/u/{tree.county}/petitions/new?again_of={pid}").status_code == 404

    # 息访 closes the story of the first one.
    assert town.post(f"{detail}/steps/settle", {"note": "举报人书面表示不再信访"}, form_page=detail).status_code == 302
    assert _petition(app, pid)["state"] == "settled"
    assert "举报人书面表示不再信访" in town.get(detail).get_data(as_text=True)


def test_the_clearing_queue_shows_open_petitions_beside_cases_filtered_by_kind(app, world, factory):
    from core import context
    from core.clearing import operations as clearing_ops
    from core.extensions import db
    from tenants.models import Unit

    tree = world
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        clearing_ops.register_application(db.session.get(Unit, tree.town), {
            "person_name": "澄清对象甲", "person_work_unit": "东镇", "accusation": "反映问题", "request": "请求澄清",
            "applied_on": _today().isoformat()})
        db.session.commit()
    town = _browser(app, factory, "east-officer")
    _register_page(app, town, tree.town, accused_name="信访对象乙", accused_work_unit="东镇丁村", anonymous="1")
    queue = town.get(f"/u/{tree.town}/clearing").get_data(as_text=True)
    assert queue.count("data-case=") == 1 and queue.count("data-petition=") == 1 and "共 2 件" in queue
    assert "信访对象乙" in queue and 'name="kind"' in queue
    only_petitions = town.get(f"/u/{tree.town}/clearing?kind=petitions").get_data(as_text=True)
    assert only_petitions.count("data-petition=") == 1 and only_petitions.count("data-case=") == 0
    only_cases = town.get(f"/u/{tree.town}/clearing?kind=clearing").get_data(as_text=True)
    assert only_cases.count("data-petition=") == 0 and only_cases.count("data-case=") == 1
    # The name is sealed: found by the exact name (a keyed hash), not by a part of it.
    assert town.get(f"/u/{tree.town}/clearing?q=信访对象乙").get_data(as_text=True).count("data-petition=") == 1
    assert town.get(f"/u/{tree.town}/clearing?q=信访对象").get_data(as_text=True).count("data-petition=") == 0
    assert town.get(f"/u/{tree.town}/clearing?stage=assess").get_data(as_text=True).count("data-petition=") == 0
