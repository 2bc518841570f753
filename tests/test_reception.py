"""轮流坐班接访 · 三访合一: a township's reception room keeps a rota of its staff by working day (national holidays
skipped, a 调休 working Saturday needing a receptionist), the leader generates it round-robin and records swaps, a
working day left without a receptionist counts as uncovered; a walk-in (接访) that raised a report becomes a petition
in one step with the person received sealed, masked, revealed only with an audited reason and never in the ledger
nor visible to the county; a sibling township gets 404 everywhere; bad input is refused in Chinese with nothing
saved; the figures roll up to the county equal to a recount."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import openpyxl
from sqlalchemy import func, select, text

from core import calendar, context
from core.extensions import db
from tests.conftest import bearer

CJK = re.compile(r"[\u4e00-\u9fff]")
OCTOBER = "2025-10"  # 国庆: 10-01 … 10-08 off, Saturday 10-11 a 调休 working day


def _people(factory, tree) -> dict:
    return {"leader": factory.account("r-leader", [(tree.town, "leader")]),
            "officer": factory.account("r-officer", [(tree.town, "officer")]),
            "intake": factory.account("r-intake", [(tree.town, "intake")]),
            "reviewer": factory.account("r-reviewer", [(tree.town, "reviewer")]),
            "analyst": factory.account("r-analyst", [(tree.town, "analyst")]),
            "sibling": factory.account("r-sibling", [(tree.town2, "leader")]),
            "sibling_intake": factory.account("r-sibling-intake", [(tree.town2, "intake")]),
            "county": factory.account("r-county", [(tree.county, "leader")])}


def _api(tree, tail: str, unit=None) -> str:
    return f"/api/v1/u/{unit or tree.town}/{tail}"


def _stats(app, unit_id: int, period: str = "") -> dict:
    from tenants.models import UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return {row.metric: row.value for row in db.session.scalars(select(UnitStat).where(
            UnitStat.unit_id == unit_id, UnitStat.period == period, UnitStat.metric.like("reception.%")))
            if row.value}


def _count(app, model) -> int:
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return db.session.scalar(select(func.count(model.id)))


def _recount_agrees(app, unit_id: int) -> dict:
    from core.reception import operations as ops
    from tenants.models import Unit, UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        stored = {(row.metric, row.period): row.value for row in db.session.scalars(select(UnitStat).where(
            UnitStat.unit_id == unit_id, UnitStat.metric.like("reception.%"))) if row.value}
        counted = ops.recount(db.session.get(Unit, unit_id), calendar.today())
    assert stored == counted
    return counted


def test_rota_skips_holidays_includes_the_makeup_saturday_and_records_a_swap(app, factory):
    with app.app_context():
        assert calendar.is_workday(date(2025, 10, 11)) and not calendar.is_workday(date(2025, 10, 8))
    tree = factory.tree()
    people = _people(factory, tree)
    client, leader = app.test_client(), bearer(app, "r-leader")
    r = client.put(_api(tree, "reception-rota"), headers=leader,
                   json={"month": OCTOBER, "account_ids": [people["officer"], people["intake"], people["leader"]]})
    assert r.status_code == 200, r.get_json()
    rota = r.get_json()
    days = {d["day"]: d for d in rota["days"]}
    assert rota["working_days"] == 18 and rota["covered"] == 18 and rota["uncovered"] == 0
    for holiday in ("2025-10-01", "2025-10-03", "2025-10-06", "2025-10-08"):
        assert not days[holiday]["workday"] and days[holiday]["holiday"] and days[holiday]["staff_id"] is None
    assert days["2025-10-12"]["staff_id"] is None and not days["2025-10-12"]["workday"]  # an ordinary Sunday
    saturday = days["2025-10-11"]
    assert saturday["workday"] and saturday["makeup"] and saturday["staff_id"] is not None
    # Round-robin over the working days in order: the first three working days go to the three in turn.
    working = [d for d in rota["days"] if d["workday"]]
    assert [d["staff_id"] for d in working[:4]] == [people["officer"], people["intake"], people["leader"],
                                                    people["officer"]]
    assert working[0]["day"] == "2025-10-09" and working[1]["day"] == "2025-10-10" and working[2]["day"] == "2025-10-11"

    # A holiday cannot be given a receptionist; a stranger cannot be one; nothing changes on refusal.
    r = client.put(_api(tree, "reception-rota"), headers=leader, json={
        "month": OCTOBER, "days": {"2025-10-02": people["officer"], "2025-10-09": people["sibling"]}})
    assert r.status_code == 422 and len(r.get_json()["errors"]["days"]) == 2
    assert all(CJK.search(m) for m in r.get_json()["errors"]["days"])
    assert client.get(_api(tree, "reception-rota") + f"?month={OCTOBER}", headers=leader).get_json()["covered"] == 18

    # A swap: the officer's 10-09 with the intake clerk's 10-10, with the reason; then a 代班 of the 10-11.
    r = client.post(_api(tree, "reception-rota/swaps"), headers=leader,
                    json={"first_day": "2025-10-09", "second_day": "2025-10-10", "reason": "参加县纪委业务培训"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["first_name"] == "r-officer 姓名" and r.get_json()["second_name"] == "r-intake 姓名"
    r = client.post(_api(tree, "reception-rota/swaps"), headers=leader,
                    json={"first_day": "2025-10-11", "second_account_id": people["intake"], "reason": "家中有事"})
    assert r.status_code == 201, r.get_json()
    after = client.get(_api(tree, "reception-rota") + f"?month={OCTOBER}", headers=leader).get_json()
    by_day = {d["day"]: d["staff_id"] for d in after["days"]}
    assert by_day["2025-10-09"] == people["intake"] and by_day["2025-10-10"] == people["officer"]
    assert by_day["2025-10-11"] == people["intake"]
    assert [s["reason"] for s in after["swaps"]] == ["家中有事", "参加县纪委业务培训"]
    # A swap needs a reason and a day with somebody on duty; only the leader records one.
    r = client.post(_api(tree, "reception-rota/swaps"), headers=leader, json={"first_day": "2025-10-05"})
    assert r.status_code == 422 and set(r.get_json()["errors"]) == {"first_day", "second_account_id", "reason"}
    officer = bearer(app, "r-officer")
    assert client.post(_api(tree, "reception-rota/swaps"), headers=officer,
                       json={"first_day": "2025-10-09", "second_day": "2025-10-10", "reason": "x"}).status_code == 404
    assert client.put(_api(tree, "reception-rota"), headers=officer,
                      json={"month": OCTOBER, "account_ids": [people["officer"]]}).status_code == 404
    # The officer reads the rota; the swaps page lists the swaps with the reasons.
    assert client.get(_api(tree, "reception-rota") + f"?month={OCTOBER}", headers=officer).status_code == 200
    _recount_agrees(app, tree.town)


def test_an_uncovered_working_day_counts_and_the_page_shows_it(app, factory, browser):
    tree = factory.tree()
    people = _people(factory, tree)
    month = calendar.today().strftime("%Y-%m")
    from core.reception import queries

    with app.app_context():
        working = queries.working_days(month)
    left_out = working[len(working) // 2]
    browser.login("r-leader")
    page = browser.get(f"/u/{tree.town}/reception/rota?month={month}")
    assert page.status_code == 200
    form = {f"day_{d.isoformat()}": str(people["officer"] if i % 2 else people["intake"])
            for i, d in enumerate(working) if d != left_out}
    r = browser.post(f"/u/{tree.town}/reception/rota", {"month": month, **form},
                     form_page=f"/u/{tree.town}/reception/rota?month={month}")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    stats = _stats(app, tree.town)
    assert stats == {"reception.rota.covered": len(working) - 1, "reception.rota.uncovered": 1}
    assert _stats(app, tree.town, left_out.isoformat()) == {"reception.rota.uncovered": 1}
    index = browser.get(f"/u/{tree.town}/reception?month={month}").get_data(as_text=True)
    assert re.search(rf'data-day="{left_out.isoformat()}" data-uncovered', index)
    assert re.search(r"data-uncovered>1<", index)
    # Filling the day moves it from uncovered to covered; clearing another day moves one back.
    second = working[0] if working[0] != left_out else working[1]
    form[f"day_{left_out.isoformat()}"] = str(people["leader"])
    form[f"day_{second.isoformat()}"] = ""
    r = browser.post(f"/u/{tree.town}/reception/rota", {"month": month, **form},
                     form_page=f"/u/{tree.town}/reception/rota?month={month}")
    assert r.status_code == 302
    assert _stats(app, tree.town) == {"reception.rota.covered": len(working) - 1, "reception.rota.uncovered": 1}
    assert _stats(app, tree.town, second.isoformat()) == {"reception.rota.uncovered": 1}
    assert _stats(app, tree.town, left_out.isoformat()) == {"reception.rota.covered": 1}
    _recount_agrees(app, tree.town)
    # An analyst sees no rota panel and gets 404 on the page.
    browser.logout()
    browser.login("r-analyst")
    assert 'data-panel="reception.rota"' not in browser.get(f"/u/{tree.town}/").get_data(as_text=True)
    assert browser.get(f"/u/{tree.town}/reception").status_code == 404


def test_todays_receptionist_sees_the_rota_on_the_workbench(app, factory, browser, monkeypatch):
    """On a working day (the next one from today, fixed as "today"), the receptionist's workbench shows the rota of
    the coming working days with the button logging a reception; a colleague sees the rota without the button."""
    tree = factory.tree()
    people = _people(factory, tree)
    with app.app_context():
        day = calendar.next_workday_on_or_after(calendar.today())
    monkeypatch.setattr(calendar, "today", lambda: day)
    r = app.test_client().put(_api(tree, "reception-rota"), headers=bearer(app, "r-leader"),
                              json={"month": day.strftime("%Y-%m"), "days": {day.isoformat(): people["officer"]}})
    assert r.status_code == 200, r.get_json()
    browser.login("r-officer")
    home = browser.get(f"/u/{tree.town}/").get_data(as_text=True)
    panel = re.search(r'data-panel="reception.rota">(.*?)</section>', home, re.S).group(1)
    assert "r-officer 姓名" in panel and "今日值班" in panel and "登记接访" in panel
    page = browser.get(f"/u/{tree.town}/reception").get_data(as_text=True)
    assert re.search(rf'data-on-duty="{people["officer"]}"', page)
    browser.logout()
    browser.login("r-intake")
    panel = re.search(r'data-panel="reception.rota">(.*?)</section>',
                      browser.get(f"/u/{tree.town}/").get_data(as_text=True), re.S).group(1)
    assert "r-officer 姓名" in panel and "登记接访" not in panel
    assert "未覆盖" in panel  # the next working days have nobody yet


def _log(client, tree, headers, unit=None, **body):
    base = {"kind": "walk_in", "received_on": calendar.today().isoformat(), "matter": "反映村集体土地流转收益分配不公开",
            "outcome": "登记为信访举报件", "person": {"name": "刘桂兰", "phone": "13907110021",
                                                "id_number": "110101195001011234", "address": "城关镇东岗村三组"}}
    base.update(body)
    return client.post(_api(tree, "receptions", unit), headers=headers, json=base)


def test_a_walk_in_becomes_a_petition_in_one_step_with_the_identity_protected(app, factory, browser, owner_engine):
    from core.audit.models import AuditEvent
    from core.petitions.models import Petition

    tree = factory.tree()
    people = _people(factory, tree)
    client, intake = app.test_client(), bearer(app, "r-intake")
    r = _log(client, tree, intake, staff_id=people["officer"])
    assert r.status_code == 201, r.get_json()
    reception = r.get_json()
    assert reception["kind_label"] == "接访" and reception["staff_name"] == "r-officer 姓名"
    assert "刘桂兰" not in r.get_data(as_text=True) and "13907110021" not in r.get_data(as_text=True)
    # Sealed at rest: no plain text in the row.
    with owner_engine.connect() as conn:
        row = conn.execute(text("SELECT person_name, person_phone, person_id_number FROM receptions")).one()
    assert all(v and "刘桂兰" not in v and "1390711" not in v and "110101" not in v for v in row)

    # Masked on the page; the officer cannot reveal; intake reveals with a reason, audited.
    browser.login("r-officer")
    url = f"/u/{tree.town}/reception/{reception['id']}"
    page = browser.get(url).get_data(as_text=True)
    assert "刘**" in page and "139****0021" in page and "刘桂兰" not in page and "reveal" not in page
    assert browser.post(f"{url}/reveal", {"reason": "核实"}, form_page=url).status_code == 404
    browser.logout()
    browser.login("r-intake")
    refused = browser.post(f"{url}/reveal", {"reason": ""}, form_page=url)
    assert refused.status_code == 422 and "刘桂兰" not in refused.get_data(as_text=True)
    shown = browser.post(f"{url}/reveal", {"reason": "联系来访群众反馈办理情况"}, form_page=url)
    assert shown.status_code == 200 and "刘桂兰" in shown.get_data(as_text=True)
    with app.app_context(), context.acting(context.ActingContext(platform_role="audit"), db.session):
        reveals = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reception.person_reveal")).all()
        assert len(reveals) == 1 and "联系来访群众反馈办理情况" in str(reveals[0].detail)
        assert "刘桂兰" not in str(reveals[0].detail)

    # One step: the reception's form registers the petition (channel 来访), linked both ways.
    bad = browser.post(f"{url}/petition", {"summary": "反映村干部问题"}, form_page=url)
    assert bad.status_code == 422 and "请填写被反映人姓名" in bad.get_data(as_text=True)
    assert _count(app, Petition) == 0
    done = browser.post(f"{url}/petition", {"accused_name": "马建军", "accused_work_unit": "东岗村",
                                            "accused_level": "village", "summary": "反映村集体土地流转收益分配不公开"},
                        form_page=url)
    assert done.status_code == 302, done.get_data(as_text=True)[:3000]
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        petition = db.session.scalar(select(Petition))
        assert petition.channel == "visit" and petition.received_on == calendar.today()
        assert petition.content == "反映村集体土地流转收益分配不公开" and not petition.anonymous
        petition_id, number = petition.id, petition.number
    with owner_engine.connect() as conn:
        sealed = conn.execute(text("SELECT informant_name, informant_phone FROM petitions")).one()
    assert all(v and "刘桂兰" not in v and "1390711" not in v for v in sealed)
    page = browser.get(url).get_data(as_text=True)
    assert number in page and f"/petitions/{petition_id}" in page and "data-convert" not in page
    petition_page = browser.get(f"/u/{tree.town}/petitions/{petition_id}").get_data(as_text=True)
    assert "来自接访登记" in petition_page and reception["number"] in petition_page
    assert f"/reception/{reception['id']}" in petition_page and "刘桂兰" not in petition_page
    # The petition's informant is the person received: masked, revealed there with a reason like any informant.
    assert "刘**" in petition_page
    again = client.post(_api(tree, f"receptions/{reception['id']}/petition"), headers=intake,
                        json={"accused_name": "马建军", "summary": "再次"})
    assert again.status_code == 409 and _count(app, Petition) == 1
    # A reviewer reads the petition: the panel names the reception without a link (receptions are not theirs).
    browser.logout()
    browser.login("r-reviewer")
    reviewer_page = browser.get(f"/u/{tree.town}/petitions/{petition_id}").get_data(as_text=True)
    assert reception["number"] in reviewer_page and f"/reception/{reception['id']}" not in reviewer_page
    assert browser.get(url).status_code == 404

    # The ledger (接访登记台账): the reception, never the person.
    browser.logout()
    browser.login("r-leader")
    ledger = browser.ledger(f"/u/{tree.town}/reception/ledger.xlsx")
    assert ledger.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(ledger.data)).active
    cells = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    flat = " ".join(str(c) for row in cells for c in row if c is not None)
    assert reception["number"] in flat and number in flat and "实名" in flat
    assert not any(v in flat for v in ("刘桂兰", "刘*", "13907110021", "110101195001011234", "东岗村三组"))
    from core.reception import queries
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        rows = list(queries.ledger_rows(db.session.get(Unit, tree.town), {}))
    assert len(rows) == 1 and len(rows[0]) == len(queries.ledger_header()) and rows[0][0] == reception["number"]

    # The county: its leader reads neither the reception nor the petition; it sees the numbers.
    browser.logout()
    browser.login("r-county")
    for path in (url, f"/u/{tree.county}/reception/{reception['id']}", f"/u/{tree.county}/petitions/{petition_id}"):
        assert browser.get(path).status_code == 404, path
    county_page = browser.get(f"/u/{tree.county}/reception").get_data(as_text=True)
    assert reception["number"] not in county_page and "刘" not in county_page
    county = bearer(app, "r-county")
    assert client.get(_api(tree, "receptions", tree.county), headers=county).get_json() == []
    assert _stats(app, tree.town) == {"reception.received": 1, "reception.kind.walk_in": 1, "reception.converted": 1}


def test_a_sibling_township_gets_404_on_every_reception_url(app, factory, browser):
    tree = factory.tree()
    people = _people(factory, tree)
    client = app.test_client()
    reception = _log(client, tree, bearer(app, "r-intake")).get_json()
    month = calendar.today().strftime("%Y-%m")
    assert client.put(_api(tree, "reception-rota"), headers=bearer(app, "r-leader"),
                      json={"month": month, "account_ids": [people["officer"]]}).status_code == 200
    rid = reception["id"]
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        for username, own in (("r-sibling", tree.town2), ("r-sibling-intake", tree.town2)):
            web = app.test_client()
            web.post("/login", data={"username": username, "password": "Correct-Horse-42"})
            headers = bearer(app, username)
            for unit in (tree.town, own):
                for method, path in (("GET", f"/u/{unit}/reception/{rid}"), ("POST", f"/u/{unit}/reception/{rid}/reveal"),
                                     ("POST", f"/u/{unit}/reception/{rid}/petition")):
                    response = web.open(path, method=method, data={"reason": "x", "accused_name": "甲"})
                    assert response.status_code == 404, (username, method, path)
                    assert "刘" not in response.get_data(as_text=True)
                for method, path in (("GET", _api(tree, f"receptions/{rid}", unit)),
                                     ("POST", _api(tree, f"receptions/{rid}/petition", unit))):
                    response = client.open(path, method=method, headers=headers, json={"accused_name": "甲"})
                    assert response.status_code == 404, (username, method, path)
            for method, path in (("GET", f"/u/{tree.town}/reception"), ("POST", f"/u/{tree.town}/reception"),
                                 ("GET", f"/u/{tree.town}/reception/rota"), ("POST", f"/u/{tree.town}/reception/rota"),
                                 ("GET", f"/u/{tree.town}/reception/swaps"), ("POST", f"/u/{tree.town}/reception/swaps"),
                                 ("GET", f"/u/{tree.town}/reception/ledger.xlsx")):
                assert web.open(path, method=method, data={"month": month}).status_code == 404, (username, path)
            for method, path in (("GET", _api(tree, "receptions")), ("POST", _api(tree, "receptions")),
                                 ("GET", _api(tree, "reception-rota")), ("PUT", _api(tree, "reception-rota")),
                                 ("POST", _api(tree, "reception-rota/swaps"))):
                assert client.open(path, method=method, headers=headers, json={}).status_code == 404, (username, path)
            # Its own room is empty.
            assert client.get(_api(tree, "receptions", own), headers=headers).get_json() == []
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_bad_api_input_is_refused_in_chinese_with_nothing_saved(app, factory):
    from core.petitions.models import Petition
    from core.reception.models import Reception, ReceptionRota

    tree = factory.tree()
    people = _people(factory, tree)
    client, intake, leader = app.test_client(), bearer(app, "r-intake"), bearer(app, "r-leader")
    r = client.post(_api(tree, "receptions"), headers=intake, json={})
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert set(errors) == {"kind", "received_on", "person_name", "matter", "outcome"}
    assert all(CJK.search(m) for ms in errors.values() for m in ms)
    tomorrow = (calendar.today() + timedelta(days=1)).isoformat()
    r = _log(client, tree, intake, kind="visit", received_on=tomorrow, staff_id=people["sibling"],
             person={"name": "刘桂兰", "id_number": "12345", "phone": "电话"})
    assert r.status_code == 422
    assert set(r.get_json()["errors"]) == {"received_on", "staff_id", "place", "person_id_number", "person_phone"}
    r = client.post(_api(tree, "receptions"), headers=intake, json={"kind": "walk_in", "matter": "x" * 3000})
    assert r.status_code == 422 and "matter" in r.get_json()["errors"]
    r = client.post(_api(tree, "receptions"), headers=intake, json={"kind": 3, "anonymous": "maybe"})
    assert r.status_code == 422 and all(CJK.search(m) for ms in r.get_json()["errors"].values() for m in ms)
    # Anonymous needs no name.
    ok = _log(client, tree, intake, anonymous=True, person={})
    assert ok.status_code == 201 and ok.get_json()["anonymous"] is True
    for body in ({"month": "2025-13", "account_ids": [people["officer"]]}, {"month": OCTOBER, "account_ids": []},
                 {"month": OCTOBER, "account_ids": [people["county"]]}, {"month": OCTOBER, "days": "x"}):
        r = client.put(_api(tree, "reception-rota"), headers=leader, json=body)
        assert r.status_code == 422, body
        assert all(CJK.search(m) for ms in r.get_json()["errors"].values() for m in ms)
    assert client.get(_api(tree, "reception-rota") + "?month=abc", headers=leader).status_code == 422
    rid = ok.get_json()["id"]
    r = client.post(_api(tree, f"receptions/{rid}/petition"), headers=intake, json={"summary": "摘要"})
    assert r.status_code == 422 and "accused_name" in r.get_json()["errors"]
    assert _count(app, Reception) == 1 and _count(app, ReceptionRota) == 0 and _count(app, Petition) == 0
    assert _stats(app, tree.town) == {"reception.received": 1, "reception.kind.walk_in": 1}
    # A leader may not register petitions (intake and officers do): the one-step registration is 404 for them.
    assert client.post(_api(tree, f"receptions/{rid}/petition"), headers=leader,
                       json={"accused_name": "马建军"}).status_code == 404


def test_figures_roll_up_to_the_county_equal_to_a_recount(app, factory):
    from core.reception import operations as ops
    from reporting import reconcile
    from tenants.models import Unit
    from tenants.stats import subtree_sum

    tree = factory.tree()
    people = _people(factory, tree)
    west_staff = factory.account("r-west-leader", [(tree.town2, "leader"), (tree.town2, "intake")])
    client = app.test_client()
    intake, west = bearer(app, "r-intake"), bearer(app, "r-west-leader")
    today = calendar.today()
    for kind, place in (("walk_in", ""), ("visit", "东岗村"), ("appointment", "镇纪委"), ("visit", "双溪村")):
        assert _log(client, tree, intake, kind=kind, place=place).status_code == 201
    first = _log(client, tree, west, unit=tree.town2, kind="walk_in", staff_id=west_staff).get_json()
    assert client.post(_api(tree, f"receptions/{first['id']}/petition", tree.town2), headers=west,
                       json={"accused_name": "钱某", "summary": "反映问题"}).status_code == 201
    month = today.strftime("%Y-%m")
    assert client.put(_api(tree, "reception-rota"), headers=bearer(app, "r-leader"),
                      json={"month": OCTOBER, "days": {"2025-10-09": people["officer"]}}).status_code == 200
    assert client.put(_api(tree, "reception-rota", tree.town2), headers=west,
                      json={"month": month, "account_ids": [west_staff]}).status_code == 200
    metrics = ["reception.received", "reception.kind.walk_in", "reception.kind.visit", "reception.kind.appointment",
               "reception.converted", "reception.rota.covered", "reception.rota.uncovered"]
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        county = db.session.get(Unit, tree.county)
        rolled = subtree_sum(county, metrics)
        counted: dict = {}
        for unit_id in (tree.town, tree.town2):
            unit = db.session.get(Unit, unit_id)
            assert [d for d in reconcile.reconcile_unit(unit, today) if d.metric.startswith("reception.")] == []
            for (metric, period), value in ops.recount(unit, today).items():
                if period == "":
                    counted[metric] = counted.get(metric, 0) + value
        from core.reception import queries

        west_working = len(queries.working_days(month))
    assert rolled == {m: counted.get(m, 0) for m in metrics}
    assert rolled["reception.received"] == 5 and rolled["reception.kind.visit"] == 2
    assert rolled["reception.kind.walk_in"] == 2 and rolled["reception.converted"] == 1
    assert rolled["reception.rota.covered"] == 1 + west_working and rolled["reception.rota.uncovered"] == 17
    # The county's leader reads the roll-up through the reporting API: numbers only.
    response = client.get(f"/api/v1/units/{tree.county}/rollup?period=year&metrics=reception.received,"
                          "reception.converted,reception.kind.visit", headers=bearer(app, "r-county"))
    assert response.status_code == 200, response.get_json()
    values = response.get_json()["values"]
    assert values["reception.received"] == 5 and values["reception.converted"] == 1
    assert values["reception.kind.visit"] == 2
    assert "刘桂兰" not in response.get_data(as_text=True)
