"""The named handler (承办人) of every record: set at registration (the registering officer when they handle),
reassigned by a leader with a reason and the history shown on the record's page, "我承办的" lists, the leader's
workload, bulk assignment with a failing row, and the zeroing ledger's bulk weekly close-out."""
from __future__ import annotations

import re
from datetime import timedelta


from core import calendar, context
from core.extensions import db
from tests.conftest import bearer


def _people(factory, tree) -> dict:
    return {"leader": factory.account("t-leader", [(tree.town, "leader")]),
            "officer": factory.account("t-officer", [(tree.town, "officer")]),
            "officer2": factory.account("t-officer2", [(tree.town, "officer")]),
            "intake": factory.account("t-intake", [(tree.town, "intake")]),
            "stranger": factory.account("w-officer", [(tree.town2, "officer")])}


def _petition(app, unit_id: int, account_id: int | None, accused: str) -> int:
    """A petition registered at ``unit_id`` by ``account_id`` (through the operation, as the page does)."""
    from core.petitions import operations as petition_ops
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(account_id=account_id), db.session):
        petition = petition_ops.register_petition(db.session.get(Unit, unit_id), dict(
            channel="letter", received_on=calendar.today().isoformat(), anonymous=False,
            informant={"name": "某举报人", "phone": "13900001111"}, accused_name=accused,
            summary=f"反映{accused}的问题"))
        db.session.commit()
        return petition.id


def _handler_of(app, model, record_id: int):
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return db.session.get(model, record_id).handler_id


def test_registering_officer_handles_intake_leaves_it_open(app, factory):
    from core.petitions.models import Petition

    tree = factory.tree()
    people = _people(factory, tree)
    by_officer = _petition(app, tree.town, people["officer"], "甲某")
    by_intake = _petition(app, tree.town, people["intake"], "乙某")
    assert _handler_of(app, Petition, by_officer) == people["officer"]
    assert _handler_of(app, Petition, by_intake) is None


def test_leader_reassigns_with_a_reason_and_the_page_shows_the_history(app, factory, browser):
    tree = factory.tree()
    people = _people(factory, tree)
    petition_id = _petition(app, tree.town, people["officer"], "丙某")
    page = f"/u/{tree.town}/petitions/{petition_id}"
    browser.login("t-leader")
    url = f"/u/{tree.town}/handlers/petitions/{petition_id}/reassign"
    refused = browser.post(url, {"account_id": people["officer2"], "reason": ""}, form_page=page)
    assert refused.status_code == 303
    assert "更换承办人须说明理由" in browser.get(page).get_data(as_text=True)
    moved = browser.post(url, {"account_id": people["officer2"], "reason": "原承办人外出培训"}, form_page=page)
    assert moved.status_code == 302
    html = browser.get(page).get_data(as_text=True)
    panel = html[html.index('data-handler-panel'):]
    panel = panel[:panel.index('</section>')]
    assert f'data-current-handler="{people["officer2"]}"' in panel and "t-officer2 姓名" in panel
    assert "原承办人外出培训" in panel and "t-leader 姓名" in panel and "t-officer 姓名" in panel
    # An account that is no member of the township cannot be made the handler.
    browser.post(url, {"account_id": people["stranger"], "reason": "试图交给外单位"}, form_page=page)
    html = browser.get(page).get_data(as_text=True)
    assert "不是本单位现有的承办人员" in html
    assert f'data-current-handler="{people["officer2"]}"' in html


def test_an_officer_cannot_reassign_and_a_sibling_township_gets_404(app, factory, browser):
    tree = factory.tree()
    people = _people(factory, tree)
    petition_id = _petition(app, tree.town, people["officer"], "丁某")
    page = f"/u/{tree.town}/petitions/{petition_id}"
    browser.login("t-officer")
    html = browser.get(page).get_data(as_text=True)
    assert "data-handler-panel" in html and "data-reassign" not in html
    response = browser.post(f"/u/{tree.town}/handlers/petitions/{petition_id}/reassign",
                            {"account_id": people["officer2"], "reason": "自己换人"}, form_page=page)
    assert response.status_code == 404
    assert browser.get(f"/u/{tree.town}/workload").status_code == 404
    headers = bearer(app, "w-officer")
    # A sibling township's officer, through its own unit or the victim's: 404 either way.
    for unit_id in (tree.town2, tree.town):
        assert app.test_client().get(f"/api/v1/u/{unit_id}/handlers/{petition_id}?record_type=petitions",
                                     headers=headers).status_code == 404
    from core.petitions.models import Petition
    assert _handler_of(app, Petition, petition_id) == people["officer"]


def test_an_officers_mine_list_shows_exactly_theirs(app, factory, browser):
    tree = factory.tree()
    people = _people(factory, tree)
    mine = {_petition(app, tree.town, people["officer"], name) for name in ("戊某", "己某")}
    _petition(app, tree.town, people["officer2"], "庚某")
    _petition(app, tree.town, people["intake"], "辛某")
    browser.login("t-officer")
    html = browser.get(f"/u/{tree.town}/petitions?handler=me").get_data(as_text=True)
    shown = set(re.findall(r'/petitions/(\d+)"', html))
    assert shown == {str(i) for i in mine}
    assert "戊某" in html and "庚某" not in html and "辛某" not in html
    assert 'name="handler" value="me" checked' in html
    every = browser.get(f"/u/{tree.town}/petitions").get_data(as_text=True)
    assert "庚某" in every and "t-officer2 姓名" in every  # the handler column


def test_bulk_assign_one_failing_row_says_why_and_the_rest_go_through(app, factory, browser):
    from core.petitions.models import Petition

    tree = factory.tree()
    people = _people(factory, tree)
    ours = [_petition(app, tree.town, people["intake"], name) for name in ("壬某", "癸某")]
    theirs = _petition(app, tree.town2, people["stranger"], "子某")  # the sibling township's
    browser.login("t-leader")
    listing = f"/u/{tree.town}/petitions"
    html = browser.get(listing).get_data(as_text=True)
    assert 'data-bulk-assign' in html and f'data-select="{ours[0]}"' in html
    response = browser.post(f"/u/{tree.town}/handlers/bulk-assign", {
        "record_type": "petitions", "ids": [str(ours[0]), str(theirs), str(ours[1])],
        "account_id": people["officer2"], "reason": "按分工指定", "next": listing}, form_page=listing)
    assert response.status_code == 302 and response.location.endswith(listing)
    html = browser.get(listing).get_data(as_text=True)
    assert "已为 2 条记录指定承办人" in html
    assert f"{theirs} 未指定：本单位没有这条记录" in html
    assert [_handler_of(app, Petition, i) for i in ours] == [people["officer2"]] * 2
    assert _handler_of(app, Petition, theirs) == people["stranger"]

    # Through the API: an account that is no member of the township fails on every row, each saying why.
    headers = bearer(app, "t-leader")
    answer = app.test_client().post(f"/api/v1/u/{tree.town}/handlers/bulk-assign", headers=headers, json={
        "record_type": "petitions", "ids": ours, "account_id": people["stranger"], "reason": "交给外单位"})
    assert answer.status_code == 200
    rows = answer.get_json()["items"]
    assert [r["ok"] for r in rows] == [False, False]
    assert all("不是本单位现有的承办人员" in r["error"] for r in rows)
    # The history of one of them, as the API gives it.
    history = app.test_client().get(f"/api/v1/u/{tree.town}/handlers/{ours[0]}?record_type=petitions",
                                    headers=headers).get_json()
    assert history["handler"]["id"] == people["officer2"]
    assert [h["reason"] for h in history["history"]] == ["按分工指定"]
    # A leader reassigns through the API too: a reason is required, the history grows.
    url = f"/api/v1/u/{tree.town}/handlers/{ours[0]}"
    body = {"record_type": "petitions", "account_id": people["officer"]}
    assert app.test_client().post(url, headers=headers, json=body).status_code == 422
    moved = app.test_client().post(url, headers=headers, json={**body, "reason": "调整分工"}).get_json()
    assert moved["handler"]["id"] == people["officer"] and moved["history"][-1]["reason"] == "调整分工"


def test_the_leaders_workload_counts_open_and_overdue_per_handler_with_links(app, factory, browser):
    from core.petitions.models import Petition

    tree = factory.tree()
    people = _people(factory, tree)
    late = _petition(app, tree.town, people["officer"], "丑某")
    _petition(app, tree.town, people["officer"], "寅某")
    _petition(app, tree.town, people["intake"], "卯某")
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        db.session.get(Petition, late).due_on = calendar.today() - timedelta(days=3)
        db.session.commit()
    browser.login("t-leader")
    html = browser.get(f"/u/{tree.town}/workload").get_data(as_text=True)
    row = html[html.index(f'data-handler-row="{people["officer"]}"'):]
    row = row[:row.index("</tr>")]
    assert 'data-total-open>2<' in row and 'data-total-overdue>1<' in row
    assert f"handler={people['officer']}" in row and "overdue=1" in row
    nobody = html[html.index('data-handler-row=""'):]
    assert 'data-total-open>1<' in nobody[:nobody.index("</tr>")]
    # The link leads to the list of exactly that officer's overdue petitions.
    link = re.search(r'href="([^"]*overdue=1[^"]*)"', row).group(1).replace("&amp;", "&")
    listed = browser.get(link).get_data(as_text=True)
    assert set(re.findall(r'/petitions/(\d+)"', listed)) == {str(late)}
    api = app.test_client().get(f"/api/v1/u/{tree.town}/handlers/workload", headers=bearer(app, "t-leader"))
    mine = next(r for r in api.get_json()["items"] if r["account"] and r["account"]["id"] == people["officer"])
    assert (mine["open"], mine["overdue"]) == (2, 1)


def test_zeroing_bulk_close_out_one_failing_row(app, factory, browser):
    from core.directives import operations as directive_ops
    from core.petitions import operations as petition_ops
    from core.petitions.models import Petition
    from core.zeroing import operations as zeroing_ops
    from core.zeroing.models import PURPOSE, BacklogCase
    from tenants.models import Unit

    tree = factory.tree()
    people = _people(factory, tree)
    settled, pending = (_petition(app, tree.town, people["officer"], name) for name in ("辰某", "巳某"))
    today = calendar.today()
    with app.app_context(), context.acting(context.maintenance_context(account_id=people["officer"]), db.session):
        county, town = db.session.get(Unit, tree.county), db.session.get(Unit, tree.town)
        campaign = directive_ops.send_directive(
            county, title="积案清零", kind="campaign", audience={"mode": "units", "unit_ids": [town.id]},
            phases=[{"name": "动态清零", "starts_on": today - timedelta(days=10), "ends_on": today + timedelta(days=30)}],
            purpose=PURPOSE)
        cases = []
        for petition_id in (settled, pending):
            case = zeroing_ops.add_case(campaign, town, db.session.get(Petition, petition_id).number)
            zeroing_ops.adopt(case, {"owner_name": "镇书记", "owner_position": "书记", "task_force": "专班",
                                     "plan": "方案", "adopted_on": today.isoformat(),
                                     "target_on": (today + timedelta(days=10)).isoformat()})
            cases.append(case.id)
        petition = db.session.get(Petition, settled)
        petition_ops.take_step(petition, "start", {})
        petition_ops.take_step(petition, "conclude", {"outcome": "partly", "findings": "部分属实，已处理",
                                                      "concluded_on": today.isoformat()})
        petition_ops.take_step(petition, "feedback", {"given_on": today.isoformat(), "way": "in_person",
                                                      "content": "当面反馈", "satisfied": "yes"})
        db.session.commit()
        campaign_id = campaign.id
    assert _handler_of(app, BacklogCase, cases[0]) == people["officer"]  # who put it on the ledger
    browser.login("t-officer")
    ledger = f"/u/{tree.town}/zeroing/{campaign_id}"
    html = browser.get(ledger).get_data(as_text=True)
    assert "data-bulk-close-out" in html and f'data-select="{cases[0]}"' in html
    response = browser.post(f"/u/{tree.town}/zeroing/{campaign_id}/close-out", {
        "ids": [str(c) for c in cases], "basis": "resolved", "closed_out_on": today.isoformat()}, form_page=ledger)
    assert response.status_code == 302
    html = browser.get(ledger).get_data(as_text=True)
    assert "已销号 1 件" in html and "未销号：信访件尚未办结并向举报人反馈" in html
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert [db.session.get(BacklogCase, c).state for c in cases] == ["closed_out", "open"]
    # "我承办的" on the ledger: both are the officer's.
    mine = browser.get(f"{ledger}?handler=me").get_data(as_text=True)
    assert all(f'data-case="{c}"' in mine for c in cases)


def test_the_county_leader_sees_a_townships_workload_in_numbers_and_nobody_else_does(app, factory, browser):
    from core.petitions.models import Petition

    tree = factory.tree()
    people = _people(factory, tree)
    factory.account("k-leader", [(tree.county, "leader")])
    factory.account("k-analyst", [(tree.county, "analyst")])
    factory.account("other-k-leader", [(tree.other_county, "leader")])
    late = _petition(app, tree.town, people["officer"], "辰某")
    _petition(app, tree.town, people["officer"], "巳某")
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        db.session.get(Petition, late).due_on = calendar.today() - timedelta(days=3)
        db.session.commit()
    browser.login("k-leader")
    own = browser.get(f"/u/{tree.county}/workload").get_data(as_text=True)
    assert f"/u/{tree.county}/workload/{tree.town}" in own  # the county's page lists its townships
    page = browser.get(f"/u/{tree.county}/workload/{tree.town}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    row = html[html.index(f'data-handler-row="{people["officer"]}"'):]
    row = row[:row.index("</tr>")]
    assert 'data-total-open>2<' in row and 'data-total-overdue>1<' in row
    assert "辰某" not in html and f"/u/{tree.town}/petitions" not in html  # numbers, no record, no link into it
    # Not for an analyst (figures only), nor another county's leader, nor the township itself as a "child".
    browser.login("k-analyst")
    assert browser.get(f"/u/{tree.county}/workload/{tree.town}").status_code == 404
    browser.login("other-k-leader")
    assert browser.get(f"/u/{tree.other_county}/workload/{tree.town}").status_code == 404
    browser.login("t-leader")
    assert browser.get(f"/u/{tree.town}/workload/{tree.town}").status_code == 404
    # Only the units right below: a province leader reads figures by child, not a township's staff by name.
    factory.account("p-leader", [(tree.province, "leader")])
    browser.login("p-leader")
    assert browser.get(f"/u/{tree.province}/workload/{tree.town}").status_code == 404


def test_a_lists_handler_filter_names_only_the_units_own_staff(app, factory, browser):
    tree = factory.tree()
    people = _people(factory, tree)
    browser.login("w-officer")  # 西镇's officer, naming 东镇's officer in the filter
    html = browser.get(f"/u/{tree.town2}/petitions?handler={people['officer']}").get_data(as_text=True)
    assert "t-officer 姓名" not in html and "承办人：—" in html
    browser.login("t-leader")
    html = browser.get(f"/u/{tree.town}/petitions?handler={people['officer']}").get_data(as_text=True)
    assert "承办人：t-officer 姓名" in html
