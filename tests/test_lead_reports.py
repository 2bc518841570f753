"""The monthly report to the county (月报备): generated from the registry, previewed by the township's leader,
submitted (the listed leads shared read-only with the county), sent back with a reason and resubmitted, received
by the county's case admin; a late township is named in the county's inbox and counted; the county sets the due
day; a sibling township and the province's analyst see nothing. And a lead closed as unfounded (反映失实) puts its
persons in the clearing pool."""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from core import calendar, context
from core.extensions import db
from tests.conftest import bearer

CJK = re.compile(r"[\u4e00-\u9fff]")


def _people(factory, tree) -> dict:
    return {"leader": factory.account("r-leader", [(tree.town, "leader")]),
            "officer": factory.account("r-officer", [(tree.town, "officer")]),
            "caseadmin": factory.account("r-caseadmin", [(tree.county, "case_admin")]),
            "county_leader": factory.account("r-county-leader", [(tree.county, "leader")]),
            "sibling": factory.account("r-west", [(tree.town2, "leader")]),
            "analyst": factory.account("r-analyst", [(tree.province, "analyst")])}


def _due_period() -> str:
    """The last month whose report is due by now (default due day 20)."""
    from core.leads import operations as ops

    return ops.last_due_period(calendar.today(), 20)


def _lead(app, unit_id, account_id, received_on: date, name="李报备", summary="反映村务公开不及时") -> int:
    from core.leads import operations as ops
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(account_id=account_id), db.session):
        lead = ops.register_lead(db.session.get(Unit, unit_id), dict(
            source="supervision", received_on=received_on.isoformat(), summary=summary,
            persons=[{"name": name, "position": "村委会主任", "level": "village", "party_member": True}]))
        db.session.commit()
        return lead.id


def _dispose(app, lead_id, account_id, way, data):
    from core.leads import operations as ops
    from core.leads.models import Lead

    with app.app_context(), context.acting(context.maintenance_context(account_id=account_id), db.session):
        ops.dispose(db.session.get(Lead, lead_id), way, data)
        db.session.commit()


def _stats(app, unit_id: int, period: str = "") -> dict:
    from tenants.models import UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return {row.metric: row.value for row in db.session.scalars(select(UnitStat).where(
            UnitStat.unit_id == unit_id, UnitStat.period == period, UnitStat.metric.like("leads.%")))}


def _scan(app) -> dict:
    from core.leads import operations as ops

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        result = ops.scan_reports(calendar.today())
        db.session.commit()
        return result


def test_a_month_is_reported_sent_back_resubmitted_and_received(app, factory, browser):
    from core.leads import operations as ops

    tree = factory.tree()
    people = _people(factory, tree)
    period = _due_period()
    first, last = ops.period_bounds(period)
    kept = _lead(app, tree.town, people["officer"], first, name="李报备")
    closed = _lead(app, tree.town, people["officer"], first + timedelta(days=1), name="王了结", summary="反映违规发放补贴")
    _dispose(app, closed, people["leader"], "close", {"reason": "经了解不成立", "disposed_on": last.isoformat()})
    later = _lead(app, tree.town, people["officer"], calendar.today(), name="赵本月")  # this month: not listed

    # Not reported past its due day: the township is late, named once in the county case admin's inbox.
    assert _stats(app, tree.town)["leads.reports.late"] == 1
    assert _scan(app)["named"] == 1 and _scan(app)["named"] == 0
    admin = bearer(app, "r-caseadmin")
    client = app.test_client()
    inbox = client.get(f"/api/v1/u/{tree.county}/inbox", headers=admin).get_json()
    assert any("东镇" in i["title"] and "逾期未报备" in i["title"] for i in inbox)
    browser.login("r-caseadmin")
    grid = browser.get(f"/u/{tree.county}/leads/reports").get_data(as_text=True)
    assert 'data-township="东镇" data-late-township' in grid and "逾期未报备" in grid
    assert 'data-township="西镇" data-late-township' not in grid  # 西镇 had no lead: nothing owed
    browser.logout()

    # The leader previews the month as generated from the registry (only the month's leads), and submits it.
    browser.login("r-leader")
    preview = browser.get(f"/u/{tree.town}/leads/reports?period={period}").get_data(as_text=True)
    assert "李报备" in preview and "王了结" in preview and "赵本月" not in preview and "data-submit-report" in preview
    assert "当月收到：2 件" in preview and "当月处置：1 件" in preview
    # An officer has no such button, and the door is shut to them (404).
    factory_officer = bearer(app, "r-officer")
    assert client.post(f"/api/v1/u/{tree.town}/lead-reports", json={"period": period},
                       headers=factory_officer).status_code == 404
    # A month not over yet cannot be reported: 422 in Chinese, nothing saved.
    response = client.post(f"/api/v1/u/{tree.town}/lead-reports", json={"period": ops.period_of(calendar.today())},
                           headers=bearer(app, "r-leader"))
    assert response.status_code == 422 and CJK.search(response.get_json()["errors"]["period"][0])
    submitted = browser.post(f"/u/{tree.town}/leads/reports/submit", {"period": period},
                             form_page=f"/u/{tree.town}/leads/reports?period={period}")
    assert submitted.status_code == 302
    report_id = int(submitted.location.rstrip("/").rsplit("/", 1)[1])
    page = browser.get(submitted.location).get_data(as_text=True)
    assert "data-submitted-late" in page and "李报备" in page and "已报备，待签收" in page
    browser.logout()
    figures = _stats(app, tree.town)
    assert figures.get("leads.reports.late", 0) == 0
    dated = _stats(app, tree.town, calendar.today().isoformat())
    assert dated["leads.reports.submitted_late"] == 1 and dated["leads.reports.submitted"] == 1

    # Frozen: a later disposal does not change what was reported.
    _dispose(app, kept, people["officer"], "talk", {"kind": "talk", "content": "谈话", "reply": "说明",
                                                    "assessment": "accepted"})
    # The county's case admin reads the report and opens each listed lead (read-only, through the share).
    report = client.get(f"/api/v1/u/{tree.county}/lead-reports/{report_id}", headers=admin).get_json()
    assert report["state"] == "submitted" and report["counts"]["received"] == 2
    listed = {row["number"]: row for row in report["leads"]}
    assert len(listed) == 2 and {r["state"] for r in listed.values()} == {"registered", "closed"}
    assert {p["name"] for r in listed.values() for p in r["persons"]} == {"李报备", "王了结"}
    assert "informant" not in str(report)
    lead_page = client.get(f"/api/v1/u/{tree.county}/leads/{kept}", headers=admin)
    assert lead_page.status_code == 200 and lead_page.get_json()["persons"][0]["name"] == "李报备"
    assert client.get(f"/api/v1/u/{tree.county}/leads/{later}", headers=admin).status_code == 404
    assert client.post(f"/api/v1/u/{tree.county}/leads/{kept}/transitions", headers=admin,
                       json={"transition": "verify", "data": {"report": "核实", "recommendation": "close"}}
                       ).status_code == 404
    # Strangers: a sibling township, the province's analyst, the county's leader cannot receive.
    for name, unit_id in (("r-west", tree.town2), ("r-analyst", tree.province), ("r-west", tree.town)):
        headers = bearer(app, name)
        assert client.get(f"/api/v1/u/{unit_id}/lead-reports/{report_id}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/u/{unit_id}/leads/{kept}", headers=headers).status_code == 404
    url = f"/api/v1/u/{tree.county}/lead-reports/{report_id}/transitions"
    assert client.post(url, json={"transition": "receive"}, headers=bearer(app, "r-county-leader")).status_code == 404
    assert client.post(f"/api/v1/u/{tree.town}/lead-reports/{report_id}/transitions", json={"transition": "receive"},
                       headers=bearer(app, "r-leader")).status_code == 404

    # Sent back: a reason is required (422, Chinese); the township leader is told; it counts as missing again.
    response = client.post(url, json={"transition": "send_back", "reason": ""}, headers=admin)
    assert response.status_code == 422 and CJK.search(response.get_json()["errors"]["reason"][0])
    response = client.post(url, json={"transition": "send_back", "reason": "请补充新桥村线索的处置情况"}, headers=admin)
    assert response.status_code == 200 and response.get_json()["state"] == "returned"
    assert _stats(app, tree.town)["leads.reports.late"] == 1
    leader_inbox = client.get(f"/api/v1/u/{tree.town}/inbox", headers=bearer(app, "r-leader")).get_json()
    assert any("被退回" in i["title"] for i in leader_inbox)
    browser.login("r-leader")
    page = browser.get(f"/u/{tree.town}/leads/reports?period={period}").get_data(as_text=True)
    assert "请补充新桥村线索的处置情况" in page and "重新报备" in page
    browser.logout()
    response = client.post(f"/api/v1/u/{tree.town}/lead-reports/{report_id}/transitions",
                           json={"transition": "submit"}, headers=bearer(app, "r-leader"))
    assert response.status_code == 200 and response.get_json()["state"] == "submitted"
    assert {r["number"]: r["state"] for r in response.get_json()["leads"]}[
        next(n for n, r in listed.items() if r["id"] == kept)] == "talked"  # regenerated at resubmission
    response = client.post(url, json={"transition": "receive"}, headers=admin)
    assert response.status_code == 200 and response.get_json()["state"] == "received"
    assert client.post(url, json={"transition": "receive"}, headers=admin).status_code == 409

    browser.login("r-caseadmin")
    page = browser.get(f"/u/{tree.county}/leads/reports/{report_id}").get_data(as_text=True)
    assert "已签收" in page and "退回" in page and "重新报备" in page  # the loop kept in its history
    assert f'href="/u/{tree.county}/leads/{kept}"' in page  # each listed lead opens, read-only
    lead_page = browser.get(f"/u/{tree.county}/leads/{kept}").get_data(as_text=True)
    assert "李报备" in lead_page and "data-steps" not in lead_page and "data-owner" in lead_page
    # A county officer (not the case admin) does not read the reported leads: the share is the funnel's.
    factory.account("r-county-officer", [(tree.county, "officer")])
    county_officer = bearer(app, "r-county-officer")
    assert client.get(f"/api/v1/u/{tree.county}/leads/{kept}", headers=county_officer).status_code == 404
    assert client.get(f"/api/v1/u/{tree.county}/lead-reports/{report_id}", headers=county_officer).status_code == 404
    grid = browser.get(f"/u/{tree.county}/leads/reports").get_data(as_text=True)
    assert 'data-township="东镇" data-late-township' not in grid
    listing = client.get(f"/api/v1/u/{tree.county}/lead-reports?period={period}", headers=admin).get_json()
    assert [r["id"] for r in listing["items"]] == [report_id]

    from reporting import reconcile
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        for unit_id in (tree.town, tree.county):
            drifts = [d for d in reconcile.reconcile_unit(db.session.get(Unit, unit_id), calendar.today())
                      if d.metric.startswith("leads.")]
            assert drifts == []


def test_the_county_sets_the_due_day_and_bad_input_is_refused(app, factory, browser):
    from core.leads import operations as ops

    tree = factory.tree()
    _people(factory, tree)
    browser.login("r-county-leader")
    page = browser.get(f"/u/{tree.county}/leads/reports").get_data(as_text=True)
    assert "data-due-day" in page
    response = browser.post(f"/u/{tree.county}/leads/reports", {"due_day": "40"})
    assert response.status_code == 422 and "1 至 28" in response.get_data(as_text=True)
    response = browser.post(f"/u/{tree.county}/leads/reports", {"due_day": "25"})
    assert response.status_code == 302
    browser.logout()
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from tenants.models import Unit

        assert ops.due_day_of(db.session.get(Unit, tree.county)) == 25
        assert ops.due_date("2026-11", 25) == date(2026, 12, 25)
        assert ops.last_due_period(date(2026, 12, 25), 25) == "2026-10"  # due that very day: not late yet
        assert ops.last_due_period(date(2026, 12, 26), 25) == "2026-11"
    # A township's leader cannot set it (404), nor can a township's page take the setting.
    browser.login("r-leader")
    assert browser.post(f"/u/{tree.county}/leads/reports", {"due_day": "10"},
                        form_page=f"/u/{tree.town}/leads/reports").status_code == 404
    assert browser.post(f"/u/{tree.town}/leads/reports", {"due_day": "10"},
                        form_page=f"/u/{tree.town}/leads/reports").status_code == 404


def test_a_lead_closed_as_unfounded_puts_its_persons_in_the_clearing_pool(app, factory, browser):
    from core.clearing.models import ClearingCandidate
    from core.leads.models import Lead

    tree = factory.tree()
    people = _people(factory, tree)
    unfounded = _lead(app, tree.town, people["officer"], calendar.today(), name="钱失实", summary="反映挪用公款")
    founded = _lead(app, tree.town, people["officer"], calendar.today(), name="孙属实")
    browser.login("r-leader")
    url = f"/u/{tree.town}/leads/{unfounded}"
    assert "反映失实" in browser.get(url).get_data(as_text=True)
    response = browser.post(f"{url}/steps/close", {"reason": "经了解反映问题失实", "unfounded": "1"}, form_page=url)
    assert response.status_code == 302
    response = browser.post(f"/u/{tree.town}/leads/{founded}/steps/close", {"reason": "问题轻微已纠正"},
                            form_page=f"/u/{tree.town}/leads/{founded}")
    assert response.status_code == 302
    assert "data-unfounded" in browser.get(url).get_data(as_text=True)
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        number = db.session.get(Lead, unfounded).number
        candidates = db.session.scalars(select(ClearingCandidate).where(ClearingCandidate.unit_id == tree.town)).all()
        assert [(c.reference, c.person_name, c.state) for c in candidates] == [(number, "钱失实", "pool")]
        assert candidates[0].accusation == "反映挪用公款"
    # The clearing pool shows the person as it shows an unfounded petition's accused.
    pool = browser.get(f"/u/{tree.town}/clearing/pool").get_data(as_text=True)
    assert "钱失实" in pool and "孙属实" not in pool


def test_the_monthly_reports_are_a_township_and_its_countys_alone(app, factory, browser):
    """月报备 goes from a township to its county: a city's leader has no reports page (404) and no menu entry."""
    tree = factory.tree()
    factory.account("r-city-leader", [(tree.city, "leader")])
    factory.account("r-county-caseadmin", [(tree.county, "case_admin")])
    browser.login("r-city-leader")
    assert browser.get(f"/u/{tree.city}/leads/reports").status_code == 404
    assert f"/u/{tree.city}/leads/reports" not in browser.get(f"/u/{tree.city}/").get_data(as_text=True)
    browser.logout()
    browser.login("r-county-caseadmin")
    assert browser.get(f"/u/{tree.county}/leads/reports").status_code == 200
