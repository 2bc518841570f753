"""One funnel (一个漏斗): the county's case admin assigns each reported lead a track; 县领办 and 县镇合办 wait for the
county leader's approval; 县领办 makes a county lead (linked both ways, not counted again as received) on which the
township assists through a share with its named steps only; 县镇合办 lets named county staff and the township act
on the same lead; a sibling township and the province's analyst get 404 on every shared lead."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from core import calendar, context
from core.extensions import db
from tests.conftest import bearer

CJK = re.compile(r"[\u4e00-\u9fff]")


def _world(app, factory) -> dict:
    from core.leads import operations as ops
    from tenants.models import Unit

    tree = factory.tree()
    people = {"leader": factory.account("f-leader", [(tree.town, "leader")]),
              "officer": factory.account("f-officer", [(tree.town, "officer")]),
              "caseadmin": factory.account("f-caseadmin", [(tree.county, "case_admin")]),
              "county_leader": factory.account("f-county-leader", [(tree.county, "leader")]),
              "county_officer": factory.account("f-county-officer", [(tree.county, "officer")]),
              "county_other": factory.account("f-county-other", [(tree.county, "officer")]),
              "sibling": factory.account("f-west", [(tree.town2, "officer")]),
              "analyst": factory.account("f-analyst", [(tree.province, "analyst")])}
    period = ops.last_due_period(calendar.today(), 20)
    first, _last = ops.period_bounds(period)
    leads = {}
    with app.app_context():
        town = None
        with context.acting(context.maintenance_context(account_id=people["officer"]), db.session):
            town = db.session.get(Unit, tree.town)
            for key, name in (("led", "周领办"), ("joint", "吴合办"), ("own", "郑自办")):
                leads[key] = ops.register_lead(town, dict(
                    source="assigned", received_on=first.isoformat(), summary=f"反映{name}违规操办宴席",
                    persons=[{"name": name, "position": "村党支部书记", "level": "village"}])).id
            db.session.commit()
        with context.acting(context.maintenance_context(account_id=people["leader"]), db.session):
            ops.submit_report(db.session.get(Unit, tree.town), period)
            db.session.commit()
    return {"tree": tree, "people": people, "leads": leads}


def _stats(app, unit_id: int) -> dict:
    from tenants.models import UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return {row.metric: row.value for row in db.session.scalars(select(UnitStat).where(
            UnitStat.unit_id == unit_id, UnitStat.period == "", UnitStat.metric.like("leads.%")))}


def test_county_led_takes_the_lead_to_the_county_and_the_township_assists_with_its_steps_only(app, factory, browser):
    from core.leads.models import Lead

    w = _world(app, factory)
    tree, lead_id = w["tree"], w["leads"]["led"]
    client = app.test_client()
    admin, county_leader = bearer(app, "f-caseadmin"), bearer(app, "f-county-leader")

    # The case admin sees the lead in the funnel and assigns 县领办; a reason is required (422, Chinese).
    browser.login("f-caseadmin")
    funnel = browser.get(f"/u/{tree.county}/leads/funnel").get_data(as_text=True)
    assert funnel.count("data-funnel-lead=") == 3 and "data-decide-link" in funnel
    page_url = f"/u/{tree.county}/leads/funnel/{lead_id}"
    response = browser.post(f"{page_url}/decide", {"track": "county_led", "reason": ""}, form_page=page_url)
    assert response.status_code == 422 and "请填写分派理由" in response.get_data(as_text=True)
    response = browser.post(f"{page_url}/decide", {"track": "county_led", "reason": "涉及多个村，县纪委领办"},
                            form_page=page_url)
    assert response.status_code == 302
    browser.logout()
    # Pending: the lead stays the township's until the county leader approves (in the leader's inbox).
    lead = client.get(f"/api/v1/u/{tree.town}/leads/{lead_id}", headers=bearer(app, "f-officer")).get_json()
    assert (lead["track"], lead["state"]) == ("township", "registered")
    inbox = client.get(f"/api/v1/u/{tree.county}/inbox", headers=county_leader).get_json()
    assert any("待审批" in i["title"] for i in inbox)
    # Only the leader approves; only the case admin decides.
    from core.leads.models import LeadTrackDecision

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        decision_id = db.session.scalar(select(LeadTrackDecision.id).where(LeadTrackDecision.lead_id == lead_id))
    approval = f"/api/v1/u/{tree.county}/lead-track-decisions/{decision_id}/approval"
    assert client.post(approval, json={"decision": "approve"}, headers=admin).status_code == 404
    assert client.post(f"/api/v1/u/{tree.county}/leads/{lead_id}/track-decisions", headers=county_leader,
                       json={"track": "township", "reason": "x"}).status_code == 404
    browser.login("f-county-leader")
    funnel = browser.get(f"/u/{tree.county}/leads/funnel").get_data(as_text=True)
    assert "data-pending-decisions" in funnel
    response = browser.post(f"/u/{tree.county}/leads/funnel/decisions/{decision_id}/approve", {},
                            form_page=f"/u/{tree.county}/leads/funnel")
    assert response.status_code == 302
    browser.logout()

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        township_lead = db.session.get(Lead, lead_id)
        county_lead = db.session.get(Lead, township_lead.county_lead_id)
        assert township_lead.state == "transferred" and township_lead.track == "county_led"
        assert county_lead.unit_id == tree.county and county_lead.origin_id == lead_id
        assert county_lead.number != township_lead.number and county_lead.persons[0].person_name == "周领办"
        county_lead_id = county_lead.id
    # Not received twice: the county's figures hold no new receipt; the township counts it by track.
    assert "leads.received" not in _stats(app, tree.county) and _stats(app, tree.county)["leads.open"] == 1
    town_figures = _stats(app, tree.town)
    assert town_figures["leads.track.county_led"] == 1 and town_figures["leads.received"] == 3
    assert town_figures["leads.open"] == 2

    # The township assists on the county's lead through the share: talk and verify, never shelve or close.
    browser.login("f-officer")
    page = browser.get(f"/u/{tree.town}/leads/{county_lead_id}").get_data(as_text=True)
    assert "周领办" in page and 'data-step="talk"' in page and 'data-step="shelve"' not in page
    url = f"/u/{tree.town}/leads/{county_lead_id}"
    response = browser.post(f"{url}/steps/talk", {"kind": "talk", "content": "镇纪委协助谈话", "reply": "如实说明",
                                                  "assessment": "verify"}, form_page=url)
    assert response.status_code == 302
    response = browser.post(f"{url}/steps/shelve", {"reason": "暂存", "review_on": (calendar.today() + timedelta(days=30)).isoformat()}, form_page=url)
    assert response.status_code == 404
    browser.logout()
    town_leader = bearer(app, "f-leader")
    response = client.post(f"/api/v1/u/{tree.town}/leads/{county_lead_id}/transitions", headers=town_leader,
                           json={"transition": "close", "data": {"reason": "了结"}})
    assert response.status_code == 404
    # The township's own lead is no longer its open work, and no further track decision can move it.
    lead = client.get(f"/api/v1/u/{tree.town}/leads/{lead_id}", headers=town_leader).get_json()
    assert lead["state"] == "transferred" and lead["county_lead_id"] == county_lead_id
    response = client.post(f"/api/v1/u/{tree.county}/leads/{lead_id}/track-decisions", headers=admin,
                           json={"track": "township", "reason": "改回"})
    assert response.status_code == 422 and CJK.search(response.get_json()["errors"]["track"][0])
    # The county's lead records the assisted talk; its owner's figures moved.
    lead = client.get(f"/api/v1/u/{tree.county}/leads/{county_lead_id}",
                      headers=bearer(app, "f-county-officer")).get_json()
    assert lead["state"] == "talked" and lead["origin_id"] == lead_id
    assert _stats(app, tree.county)["leads.disposed.talk"] == 1

    # A sibling township and the province's analyst: 404 on both leads.
    for name, unit_id in (("f-west", tree.town2), ("f-west", tree.town), ("f-analyst", tree.province),
                          ("f-analyst", tree.county)):
        headers = bearer(app, name)
        for lid in (lead_id, county_lead_id):
            assert client.get(f"/api/v1/u/{unit_id}/leads/{lid}", headers=headers).status_code == 404
            assert client.post(f"/api/v1/u/{unit_id}/leads/{lid}/transitions", headers=headers,
                               json={"transition": "talk", "data": {}}).status_code == 404

    from reporting import reconcile
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        for unit_id in (tree.town, tree.county):
            drifts = [d for d in reconcile.reconcile_unit(db.session.get(Unit, unit_id), calendar.today())
                      if d.metric.startswith("leads.")]
            assert drifts == []


def test_joint_handling_lets_named_county_staff_and_the_township_act_on_one_lead(app, factory):
    w = _world(app, factory)
    tree, people, lead_id = w["tree"], w["people"], w["leads"]["joint"]
    client = app.test_client()
    admin, county_leader = bearer(app, "f-caseadmin"), bearer(app, "f-county-leader")
    decide = f"/api/v1/u/{tree.county}/leads/{lead_id}/track-decisions"
    # Joint handling names county staff: none, or someone not on the county's staff, is refused.
    response = client.post(decide, headers=admin, json={"track": "joint", "reason": "县镇合办"})
    assert response.status_code == 422 and "staff_ids" in response.get_json()["errors"]
    response = client.post(decide, headers=admin, json={"track": "joint", "reason": "县镇合办",
                                                         "staff_ids": [people["sibling"]]})
    assert response.status_code == 422 and "staff_ids" in response.get_json()["errors"]
    response = client.post(decide, headers=admin, json={"track": "joint", "reason": "需县纪委力量参与",
                                                         "staff_ids": [people["county_officer"]]})
    assert response.status_code == 201 and response.get_json()["status"] == "pending"
    decision_id = response.get_json()["id"]
    approval = f"/api/v1/u/{tree.county}/lead-track-decisions/{decision_id}/approval"
    response = client.post(approval, json={"decision": "reject", "note": ""}, headers=county_leader)
    assert response.status_code == 422 and CJK.search(response.get_json()["errors"]["note"][0])
    officer = bearer(app, "f-county-officer")
    # Before the approval, the named officer cannot act on it.
    assert client.get(f"/api/v1/u/{tree.county}/leads/{lead_id}", headers=officer).status_code == 404
    response = client.post(approval, json={"decision": "approve"}, headers=county_leader)
    assert response.status_code == 200 and response.get_json()["status"] == "in_force"
    assert client.post(approval, json={"decision": "approve"}, headers=county_leader).status_code == 409

    # The named county officer acts on the township's lead; the township's officer acts on it too.
    assert client.get(f"/api/v1/u/{tree.county}/leads/{lead_id}", headers=officer).get_json()["track"] == "joint"
    url_county = f"/api/v1/u/{tree.county}/leads/{lead_id}/transitions"
    response = client.post(url_county, headers=officer, json={"transition": "talk", "data": {
        "kind": "talk", "content": "县镇联合谈话", "reply": "说明情况不清", "assessment": "verify"}})
    assert response.status_code == 200 and response.get_json()["state"] == "talked"
    response = client.post(f"/api/v1/u/{tree.town}/leads/{lead_id}/transitions", headers=bearer(app, "f-officer"),
                           json={"transition": "verify", "data": {"report": "联合核实属实", "recommendation": "file"}})
    assert response.status_code == 200 and response.get_json()["state"] == "verified"
    # An unnamed county officer and the county leader have no such door; closing is not a joint step.
    for name in ("f-county-other", "f-county-leader"):
        assert client.get(f"/api/v1/u/{tree.county}/leads/{lead_id}", headers=bearer(app, name)).status_code in (
            404,) or name == "f-county-leader"
        assert client.post(url_county, headers=bearer(app, name), json={"transition": "close", "data": {
            "reason": "了结"}}).status_code == 404
    # Strangers: 404.
    for name, unit_id in (("f-west", tree.town2), ("f-analyst", tree.province)):
        assert client.get(f"/api/v1/u/{unit_id}/leads/{lead_id}", headers=bearer(app, name)).status_code == 404
    figures = _stats(app, tree.town)
    assert figures["leads.track.joint"] == 1 and figures["leads.disposed.verify"] == 1

    # Back to 镇案镇办: in force at once, and the county staff's share ends.
    response = client.post(decide, headers=admin, json={"track": "township", "reason": "乡镇可独立办理"})
    assert response.status_code == 201 and response.get_json()["status"] == "in_force"
    assert client.get(f"/api/v1/u/{tree.county}/leads/{lead_id}", headers=officer).status_code == 404
    assert _stats(app, tree.town).get("leads.track.joint", 0) == 0
    browser_page = client.get(f"/api/v1/u/{tree.town}/leads/{lead_id}", headers=bearer(app, "f-leader")).get_json()
    assert browser_page["track"] == "township"


def test_the_funnel_page_lists_by_track_and_is_the_county_s_alone(app, factory, browser):
    w = _world(app, factory)
    tree = w["tree"]
    browser.login("f-caseadmin")
    page = browser.get(f"/u/{tree.county}/leads/funnel?track=township").get_data(as_text=True)
    assert page.count("data-funnel-lead=") == 3 and "镇案镇办" in page
    assert browser.get(f"/u/{tree.county}/leads/funnel?track=joint").get_data(as_text=True).count(
        "data-funnel-lead=") == 0
    browser.logout()
    for name, unit_id in (("f-leader", tree.town), ("f-west", tree.town2), ("f-analyst", tree.province),
                          ("f-county-officer", tree.county)):
        browser.login(name)
        assert browser.get(f"/u/{unit_id}/leads/funnel").status_code == 404
        assert browser.get(f"/u/{unit_id}/leads/funnel/{w['leads']['own']}").status_code == 404
        browser.logout()


def test_the_countys_workbench_shows_the_leads_to_assign_and_the_decisions_to_approve(app, factory, browser):
    """The case admin's home lists the reported leads with no track yet (each with its 分派 button); a decision
    leaves that panel and waits on the county leader's home; the township's own staff see neither panel."""
    world = _world(app, factory)
    tree, leads = world["tree"], world["leads"]
    numbers = {}
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from core.leads.models import Lead

        numbers = {key: db.session.get(Lead, lead_id).number for key, lead_id in leads.items()}
    browser.login("f-caseadmin")
    home = browser.get(f"/u/{tree.county}/").get_data(as_text=True)
    assert "待分派的问题线索" in home and all(n in home for n in numbers.values())
    page_url = f"/u/{tree.county}/leads/funnel/{leads['led']}"
    assert f'href="{page_url}"' in home
    browser.post(f"{page_url}/decide", {"track": "county_led", "reason": "涉及多个村，县纪委领办"}, form_page=page_url)
    home = browser.get(f"/u/{tree.county}/").get_data(as_text=True)
    assert numbers["led"] not in home and numbers["joint"] in home and "待审批的分派" not in home
    browser.logout()
    browser.login("f-county-leader")
    home = browser.get(f"/u/{tree.county}/").get_data(as_text=True)
    assert "待审批的分派" in home and numbers["led"] in home and "镇案镇办 → 县领办" in home
    browser.logout()
    browser.login("f-officer")
    home = browser.get(f"/u/{tree.town}/").get_data(as_text=True)
    assert "待分派的问题线索" not in home and "待审批的分派" not in home


def test_a_joint_share_counts_only_where_its_person_acts_for_the_county(app, factory):
    """县镇合办 names county staff by account: the same person acting at another unit they belong to (a sibling
    township) neither reads nor acts on the lead through it."""
    w = _world(app, factory)
    tree, lead_id = w["tree"], w["leads"]["joint"]
    two_hats = factory.account("f-two-hats", [(tree.county, "officer"), (tree.town2, "officer")])
    client = app.test_client()
    response = client.post(f"/api/v1/u/{tree.county}/leads/{lead_id}/track-decisions", headers=bearer(app, "f-caseadmin"),
                           json={"track": "joint", "reason": "需县纪委力量参与", "staff_ids": [two_hats]})
    decision_id = response.get_json()["id"]
    assert client.post(f"/api/v1/u/{tree.county}/lead-track-decisions/{decision_id}/approval",
                       json={"decision": "approve"}, headers=bearer(app, "f-county-leader")).status_code == 200
    headers = bearer(app, "f-two-hats")
    talk = {"transition": "talk", "data": {"kind": "talk", "content": "谈话", "reply": "说明", "assessment": "verify"}}
    assert client.get(f"/api/v1/u/{tree.town2}/leads/{lead_id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/u/{tree.town2}/leads/{lead_id}/transitions", headers=headers,
                       json=talk).status_code == 404
    assert client.get(f"/api/v1/u/{tree.county}/leads/{lead_id}", headers=headers).status_code == 200
    response = client.post(f"/api/v1/u/{tree.county}/leads/{lead_id}/transitions", headers=headers, json=talk)
    assert response.status_code == 200 and response.get_json()["state"] == "talked"


def test_a_lead_the_township_has_disposed_of_is_not_taken_to_the_county(app, factory):
    """县领办 takes a lead not yet disposed of: after the township's 谈话函询 the county is refused (it would count
    the matter's disposals twice) and pointed to 县镇合办, and nothing is saved."""
    from core.leads import operations as ops
    from core.leads.models import Lead

    w = _world(app, factory)
    tree, lead_id = w["tree"], w["leads"]["own"]
    with app.app_context(), context.acting(context.maintenance_context(account_id=w["people"]["officer"]), db.session):
        ops.dispose(db.session.get(Lead, lead_id), "talk", {"kind": "talk", "content": "谈话", "reply": "说明",
                                                            "assessment": "verify"})
        db.session.commit()
    client = app.test_client()
    response = client.post(f"/api/v1/u/{tree.county}/leads/{lead_id}/track-decisions", headers=bearer(app, "f-caseadmin"),
                           json={"track": "county_led", "reason": "县纪委领办"})
    assert response.status_code == 422
    message = response.get_json()["errors"]["track"][0]
    assert "不能再移交县纪委领办" in message and "县镇合办" in message and "已谈话函询" in message
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from core.leads.models import LeadTrackDecision
        assert db.session.scalar(select(db.func.count()).select_from(LeadTrackDecision)) == 0
        assert db.session.get(Lead, lead_id).state == "talked"
