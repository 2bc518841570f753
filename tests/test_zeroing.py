"""The backlog-zeroing campaign: flagged petitions proposed, one leader / task force / plan each, leaders'
visits, weekly close-out, returns generated from the ledger, a frozen monthly bulletin, 回头看 re-opening."""
from __future__ import annotations

from datetime import date, datetime, timezone

import time_machine
from sqlalchemy import func, select

from core import context
from core.extensions import db
from tests.conftest import bearer, run_queued_jobs


def _at(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=timezone.utc)  # 10:00 in Beijing


def _people(factory, tree):
    factory.account("p-leader", [(tree.province, "leader")])
    factory.account("c-leader", [(tree.city, "leader")])
    factory.account("k-officer", [(tree.county, "officer")])
    factory.account("t-officer", [(tree.town, "officer")])
    factory.account("t-leader", [(tree.town, "leader")])
    factory.account("o-officer", [(tree.other_town, "officer")])


def _repeat_petition(app, tree, accused: str, *, at_town: bool = True) -> int:
    """A matter petitioned at the county long ago and again at the township: confirmed links at both ends
    make it 多年/多层, so the township's petition is a backlog candidate."""
    from core.petitions import operations as petition_ops
    from core.petitions.models import Petition, PetitionLink
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        county, town = db.session.get(Unit, tree.county), db.session.get(Unit, tree.town)
        raw = dict(channel="letter", anonymous=False, accused_name=accused, accused_position="村主任",
                   accused_work_unit="东镇某村", accused_level="village",
                   summary=f"反映{accused}侵占土地补偿款", informant={"name": "王某", "phone": "13700001111"})
        first = petition_ops.register_petition(county, dict(raw, received_on=date(2024, 3, 1)))
        second = petition_ops.register_petition(town if at_town else county, dict(raw, received_on=date(2026, 10, 8)))
        for link in db.session.scalars(select(PetitionLink)):
            petition_ops.decide_link(link, "confirmed")
        db.session.commit()
        assert {"multi_year", "multi_level"} <= set(db.session.get(Petition, second.id).flags)
        return second.id


def _ledger_counts(app, campaign_id: int, city_id: int, since: date, until: date) -> dict:
    """The same figures counted from the ledger rows themselves (the way a spreadsheet would)."""
    from core.zeroing.models import BacklogCase
    from tenants.models import Unit, upper_bound

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        city = db.session.get(Unit, city_id)
        rows = db.session.scalars(select(BacklogCase).where(
            BacklogCase.directive_id == campaign_id, BacklogCase.unit_path >= city.path,
            BacklogCase.unit_path < upper_bound(city.path))).all()
        return {"stock": sum(r.state == "open" for r in rows),
                "added": sum(bool(r.adopted_on and since <= r.adopted_on <= until) for r in rows),
                "closed_out": sum(bool(r.closed_out_on and since <= r.closed_out_on <= until) for r in rows)}


def test_a_campaign_run_over_weeks_keeps_the_ledger_returns_and_bulletin_true(app, factory, browser):
    tree = factory.tree()
    _people(factory, tree)
    land = _repeat_petition(app, tree, "赵某某")
    water = _repeat_petition(app, tree, "钱某某")
    client = app.test_client()

    # Monday 2 November: the province deploys the campaign; the township's 三多 petitions are proposed.
    with time_machine.travel(_at(date(2026, 11, 2)), tick=False):
        browser.login("p-leader")
        response = browser.post(f"/u/{tree.province}/zeroing/new", {
            "title": "2026年信访积案动态清零专项行动", "body": "一件积案、一名领导包案。",
            "phase0_start": "2026-11-02", "phase0_end": "2026-11-15", "phase1_start": "2026-11-16",
            "phase1_end": "2026-11-30", "phase2_start": "2026-12-01", "phase2_end": "2026-12-20",
            "phase3_start": "2026-12-21", "phase3_end": "2026-12-31"}, form_page=f"/u/{tree.province}/zeroing/new")
        assert response.status_code == 302, response.get_data(as_text=True)
        campaign = int(response.location.rstrip("/").split("/")[-1])
        run_queued_jobs(app)  # the proposals job
        t_headers = bearer(app, "t-officer")
        ledger = client.get(f"/api/v1/u/{tree.town}/campaigns/{campaign}/ledger", headers=t_headers).get_json()
        assert {c["petition_id"] for c in ledger["items"]} == {land, water}
        assert all(c["state"] == "proposed" and "multi_level" in c["flags"] for c in ledger["items"])
        assert ledger["phase"] == "集中排查"
        cases = {c["petition_id"]: c for c in ledger["items"]}

        # Adopting needs the leader, the task force, the plan and a target date: all four.
        step = f"/api/v1/u/{tree.town}/campaigns/{campaign}/ledger/{cases[land]['id']}/steps"
        bad = client.post(step, headers=t_headers, json={"step": "adopt", "data": {"owner_name": "李书记"}})
        assert bad.status_code == 422 and {"task_force", "plan", "target_on", "owner_position"} <= set(
            bad.get_json()["errors"])
        plan = {"owner_name": "李书记", "owner_position": "镇党委书记", "task_force": "镇纪委、信访办、国土所",
                "plan": "核清补偿款账目，当面答复", "target_on": "2026-11-20"}
        for petition_id in (land, water):
            case = cases[petition_id]
            ok = client.post(f"/api/v1/u/{tree.town}/campaigns/{campaign}/ledger/{case['id']}/steps",
                             headers=t_headers, json={"step": "adopt", "version": case["version"], "data": plan})
            assert ok.status_code == 200, ok.get_json()
        visit = client.post(step, headers=t_headers, json={"step": "visit", "data": {
            "kind": "down_visit", "visited_on": "2026-11-02", "leader": "李书记", "place": "东镇某村",
            "met": "信访人王某", "outcome": "听取诉求，约定一周内答复"}})
        assert visit.status_code == 200 and visit.get_json()["visits"][0]["leader"] == "李书记"

    # Wednesday 11 November: the land case is resolved and closed out; the other is still open.
    with time_machine.travel(_at(date(2026, 11, 11)), tick=False):
        t_headers = bearer(app, "t-officer")
        base = f"/api/v1/u/{tree.town}/petitions/{land}/transitions"
        for transition, data in (("start", {}), ("conclude", {"outcome": "partly", "findings": "部分属实，已退还"}),
                                 ("feedback", {"given_on": "2026-11-11", "way": "in_person", "content": "当面反馈",
                                               "satisfied": "yes"})):
            assert client.post(base, headers=t_headers, json={"transition": transition, "data": data}).status_code == 200
        land_case = cases[land]["id"]
        step = f"/api/v1/u/{tree.town}/campaigns/{campaign}/ledger/{land_case}/steps"
        unresolved = client.post(f"/api/v1/u/{tree.town}/campaigns/{campaign}/ledger/{cases[water]['id']}/steps",
                                 headers=t_headers, json={"step": "close_out", "data": {"basis": "resolved"}})
        assert unresolved.status_code == 422  # not yet concluded, no feedback
        done = client.post(step, headers=t_headers, json={"step": "close_out", "data": {"basis": "resolved"}})
        assert done.status_code == 200 and done.get_json()["state"] == "closed_out"

    # Monday 16 November: the city's weekly return is generated from the live ledger.
    with time_machine.travel(_at(date(2026, 11, 16)), tick=False):
        from core.zeroing import jobs

        with app.app_context():
            jobs.scan_backlog_overdue()
        browser.logout()
        browser.login("c-leader")
        page = browser.get(f"/u/{tree.city}/zeroing/{campaign}").get_data(as_text=True)
        assert "按台账生成并报送" in page
        response = browser.post(f"/u/{tree.city}/zeroing/{campaign}/returns",
                                {"period": "2026-11-16", "narrative": "专班每日调度"},
                                form_page=f"/u/{tree.city}/zeroing/{campaign}")
        assert response.status_code == 302
        from core.directives.models import DirectiveReturn

        with app.app_context(), context.acting(context.maintenance_context(), db.session):
            filed = db.session.scalar(select(DirectiveReturn).where(DirectiveReturn.directive_id == campaign,
                                                                    DirectiveReturn.unit_id == tree.city))
            values = filed.values
        counted = _ledger_counts(app, campaign, tree.city, date(2026, 11, 9), date(2026, 11, 15))
        assert {k: values[k] for k in counted} == counted == {"stock": 1, "added": 0, "closed_out": 1}
        assert values["overdue"] == 0 and values["narrative"] == "专班每日调度" and "甲县：存量 1" in values["by_child"]
        # A township owes no weekly return: the campaign asks its cities.
        t_headers = bearer(app, "t-officer")
        refused = client.post(f"/api/v1/u/{tree.town}/directives/{campaign}/returns", headers=t_headers,
                              json={"period": "2026-11-16", "values": {"stock": 1}})
        assert refused.status_code == 422
        # The city's generated return is the ledger's figures: nobody types over them, by page or API.
        c_headers = bearer(app, "c-leader")
        typed = client.post(f"/api/v1/u/{tree.city}/directives/{campaign}/returns", headers=c_headers,
                            json={"period": "2026-11-16", "values": {"closed_out": 999}})
        assert typed.status_code == 422 and "台账自动生成" in typed.get_json()["errors"]["closed_out"][0]
        page = browser.get(f"/u/{tree.city}/directives/{campaign}").get_data(as_text=True)
        assert "由台账自动生成" in page and 'name="value_closed_out"' not in page and "已报送，可修改" not in page
        unexplained = client.post(f"/api/v1/u/{tree.city}/directives/{campaign}/returns", headers=c_headers,
                                  json={"period": "2026-11-16", "values": {}})
        assert unexplained.status_code == 422 and "narrative" in unexplained.get_json()["errors"]
        again = client.post(f"/api/v1/u/{tree.city}/directives/{campaign}/returns", headers=c_headers,
                            json={"period": "2026-11-16", "values": {"narrative": "补充说明：一件已销号"}})
        assert again.status_code == 201
        assert again.get_json()["values"]["closed_out"] == 1 and again.get_json()["values"]["narrative"] == "补充说明：一件已销号"

    # Monday 23 November: the water case is past its target date: overdue in the figures.
    with time_machine.travel(_at(date(2026, 11, 23)), tick=False):
        with app.app_context():
            jobs.scan_backlog_overdue()
        c_headers = bearer(app, "c-leader")
        figures = client.get(f"/api/v1/u/{tree.city}/campaigns/{campaign}/ledger", headers=c_headers).get_json()
        assert figures["items"] == []  # the city's own ledger is empty: it sees numbers of the townships, not cases
        assert figures["figures"]["stock"] == 1 and figures["figures"]["overdue"] == 1

    # 1 December: the province's bulletin for November, frozen.
    with time_machine.travel(_at(date(2026, 12, 1)), tick=False):
        with app.app_context():
            built = jobs.build_monthly_bulletins()
        assert built["month"] == "2026-11" and built["bulletins"] >= 3
        browser.logout()
        browser.login("p-leader")
        bulletin_page = browser.get(f"/u/{tree.province}/zeroing/{campaign}")
        assert "2026-11 通报" in bulletin_page.get_data(as_text=True)
        from core.zeroing.models import CampaignBulletin

        with app.app_context(), context.acting(context.maintenance_context(), db.session):
            frozen = db.session.scalar(select(CampaignBulletin).where(CampaignBulletin.unit_id == tree.province))
            frozen_id, frozen_figures = frozen.id, frozen.figures
        assert frozen_figures["totals"]["closed_out"] == 1 and frozen_figures["totals"]["stock"] == 1
        assert frozen_figures["children"][0]["name"] == "甲市" and frozen_figures["children"][0]["rank"] == 1
        xlsx = browser.get(f"/u/{tree.province}/zeroing/{campaign}/bulletins/{frozen_id}?format=xlsx")
        assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"

    # 22 December, 回头看: the closed-out case is drawn, fails its re-check and is open again.
    with time_machine.travel(_at(date(2026, 12, 22)), tick=False):
        browser.logout()
        browser.login("t-leader")
        assert browser.post(f"/u/{tree.town}/zeroing/{campaign}/sample", {"percent": "100"},
                            form_page=f"/u/{tree.town}/zeroing/{campaign}").status_code == 302
        page = browser.get(f"/u/{tree.town}/zeroing/{campaign}/cases/{land_case}").get_data(as_text=True)
        assert "记录回头看" in page
        response = browser.post(f"/u/{tree.town}/zeroing/{campaign}/cases/{land_case}/recheck", {
            "version": _version(app, land_case), "checked_on": "2026-12-22", "checked_by": "县纪委督查组",
            "result": "fail", "note": "信访人反映退还款项未到位"},
            form_page=f"/u/{tree.town}/zeroing/{campaign}/cases/{land_case}")
        assert response.status_code == 302
        t_headers = bearer(app, "t-officer")
        ledger = client.get(f"/api/v1/u/{tree.town}/campaigns/{campaign}/ledger", headers=t_headers).get_json()
        reopened = next(c for c in ledger["items"] if c["id"] == land_case)
        assert reopened["state"] == "open" and reopened["reopened_count"] == 1
        assert ledger["figures"]["stock"] == 2 and ledger["figures"]["reopened"] == 1
        with app.app_context(), context.acting(context.maintenance_context(), db.session):
            assert db.session.get(CampaignBulletin, frozen_id).figures == frozen_figures  # never recomputed

        # The ledger exports; another city's township sees neither the cases nor the campaign's ledger of 东镇.
        export = browser.ledger(f"/u/{tree.town}/zeroing/{campaign}/ledger.xlsx")
        assert export.status_code == 200 and export.data[:2] == b"PK"
        o_headers = bearer(app, "o-officer")
        assert client.get(f"/api/v1/u/{tree.other_town}/campaigns/{campaign}/ledger",
                          headers=o_headers).get_json()["items"] == []
        foreign = client.post(f"/api/v1/u/{tree.other_town}/campaigns/{campaign}/ledger/{land_case}/steps",
                              headers=o_headers, json={"step": "visit", "data": {}})
        assert foreign.status_code == 404


def _version(app, case_id: int) -> int:
    from core.zeroing.models import BacklogCase

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return db.session.get(BacklogCase, case_id).version


def test_the_overdue_scan_counts_petitions_past_their_deadline_and_clears_the_figure_when_handled(app, factory):
    from core.petitions import jobs, operations as petition_ops
    from core.petitions.models import Petition
    from tenants.models import Unit, UnitStat

    tree = factory.tree()
    with time_machine.travel(_at(date(2026, 9, 1)), tick=False):
        with app.app_context(), context.acting(context.maintenance_context(), db.session):
            town = db.session.get(Unit, tree.town)
            late = petition_ops.register_petition(town, dict(
                channel="phone", received_on=date(2026, 9, 1), anonymous=True, accused_name="孙某",
                summary="反映孙某违规发放补贴"))
            db.session.commit()
            late_id = late.id

    def overdue() -> int:
        with app.app_context(), context.acting(context.maintenance_context(), db.session):
            return db.session.scalar(select(func.coalesce(func.sum(UnitStat.value), 0)).where(
                UnitStat.metric == "petitions.overdue", UnitStat.unit_id == tree.town))

    with time_machine.travel(_at(date(2026, 11, 20)), tick=False):  # 40 working days have passed
        with app.app_context():
            assert jobs.scan_petition_deadlines() == {"units": 1, "overdue": 1}
        assert overdue() == 1
        with app.app_context(), context.acting(context.maintenance_context(), db.session):
            petition = db.session.get(Petition, late_id)
            petition_ops.take_step(petition, "start", {})
            petition_ops.take_step(petition, "conclude", {"outcome": "founded", "findings": "属实，已处理"})
            db.session.commit()
        with app.app_context():
            jobs.scan_petition_deadlines()
        assert overdue() == 0
