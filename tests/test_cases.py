"""Cases (审查调查), the county's review (镇案县审) and the execution of sanctions (处分执行): a lead verified with 建议立案
opens a case at the township (linked both ways); the township cannot decide before the county's 同意; a send-back is
answered and resubmitted, every round kept; an overdue review warns the reviewer and then the county's leader; a
late execution step warns the handler and the county and shows in the figures; 不予处分 feeds the clearing pool;
another county's reviewer, a sibling township and the province analyst get 404; the recount agrees with the stats
rows after random transitions."""
from __future__ import annotations

import random
import re
from datetime import timedelta

from sqlalchemy import select

from core import calendar, context
from core.extensions import db
from tests.conftest import bearer

CJK = re.compile(r"[\u4e00-\u9fff]")


def _people(factory, tree) -> dict:
    return {"officer": factory.account("c-officer", [(tree.town, "officer")]),
            "leader": factory.account("c-leader", [(tree.town, "leader")]),
            "town_reviewer": factory.account("c-town-reviewer", [(tree.town, "reviewer")]),
            "reviewer": factory.account("c-reviewer", [(tree.county, "reviewer")]),
            "county_leader": factory.account("c-county-leader", [(tree.county, "leader")]),
            "other_reviewer": factory.account("c-other-reviewer", [(tree.other_county, "reviewer")]),
            "sibling": factory.account("c-sibling", [(tree.town2, "officer")]),
            "analyst": factory.account("c-analyst", [(tree.province, "analyst")])}


def _ago(days: int) -> str:
    return (calendar.today() - timedelta(days=days)).isoformat()


def _verified_lead(app, unit_id: int, account_id: int, *, name: str = "周案件", days_ago: int = 60) -> int:
    from core.leads import operations as lead_ops
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(account_id=account_id), db.session):
        lead = lead_ops.register_lead(db.session.get(Unit, unit_id), dict(
            source="assigned", source_note="县纪委交办", received_on=_ago(days_ago), summary="反映违规发放补贴",
            persons=[{"name": name, "position": "村党支部书记", "level": "village", "party_member": True}]))
        lead_ops.dispose(lead, "verify", {"report": "经初步核实，问题基本属实", "recommendation": "file",
                                          "form": "second", "disposed_on": _ago(days_ago - 1)})
        db.session.commit()
        return lead.id


def _open_case(app, unit_id: int, account_id: int, lead_id: int, *, opened_days_ago: int = 0,
               category: str = "party", kind: str = "warning", form: str = "second") -> int:
    """A case opened from the lead with its file written (one step, findings, proposal), through the operations."""
    from core.cases import operations as ops
    from core.leads.models import Lead
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(account_id=account_id), db.session):
        case = ops.open_from_lead(db.session.get(Lead, lead_id), db.session.get(Unit, unit_id),
                                  {"opened_on": _ago(opened_days_ago)})
        ops.add_investigation_step(case, {"kind": "talk", "taken_on": _ago(opened_days_ago),
                                          "content": "与被审查调查人谈话"})
        ops.update_file(case, {"findings": "经查，违规发放补贴属实", "category": category, "kind": kind,
                               "form": form})
        db.session.commit()
        return case.id


def _step(app, unit_id: int, account_id: int, case_id: int, step: str, data: dict | None = None) -> None:
    from core.cases import operations as ops
    from core.cases.models import Case
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(account_id=account_id), db.session):
        ops.take_step(db.session.get(Case, case_id), step, data or {}, acting_unit=db.session.get(Unit, unit_id))
        db.session.commit()


def _stats(app, unit_id: int) -> dict:
    from tenants.models import UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return {row.metric: row.value for row in db.session.scalars(select(UnitStat).where(
            UnitStat.unit_id == unit_id, UnitStat.period == "", UnitStat.metric.like("cases.%"))) if row.value}


def _inbox(app, unit_id: int) -> list:
    from core.inbox.models import InboxItem

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return [(i.kind, i.roles, i.account_id, i.title, i.done_at is None) for i in db.session.scalars(
            select(InboxItem).where(InboxItem.unit_id == unit_id, InboxItem.object_type == "cases")
            .order_by(InboxItem.id))]


def _scan(app, days_ahead: int = 0) -> dict:
    from core.cases import operations as ops

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        posted = ops.scan_overdue(calendar.today() + timedelta(days=days_ahead))
        db.session.commit()
        return posted


def test_the_township_cannot_decide_before_the_countys_agreement_and_a_send_back_is_answered(app, factory, browser):
    tree = factory.tree()
    people = _people(factory, tree)
    lead_id = _verified_lead(app, tree.town, people["officer"])
    # The lead's page offers 立案 (leads' FOLLOW_UPS, filled by cases); the case opens at the township.
    browser.login("c-officer")
    lead_url = f"/u/{tree.town}/leads/{lead_id}"
    assert "data-follow-up-form" in browser.get(lead_url).get_data(as_text=True)
    response = browser.post(f"/u/{tree.town}/cases/from-lead/{lead_id}", form_page=lead_url)
    assert response.status_code == 302, response.status_code
    case_url = response.location
    case_id = int(case_url.rstrip("/").rsplit("/", 1)[1])
    page = browser.get(case_url).get_data(as_text=True)
    assert "周案件" in page and "data-self-handled" in page and "东纪案〔" in page
    assert "data-follow-up-link" in browser.get(lead_url).get_data(as_text=True)  # linked both ways

    client = app.test_client()
    officer, leader = bearer(app, "c-officer"), bearer(app, "c-leader")
    reviewer = bearer(app, "c-reviewer")
    api = f"/api/v1/u/{tree.town}/cases/{case_id}"
    # An empty file cannot go to review: each missing part named in Chinese, nothing saved.
    refused = client.post(f"{api}/transitions", headers=officer, json={"transition": "submit"})
    assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"steps", "findings", "proposal"}
    assert all(CJK.search(m) for ms in refused.get_json()["errors"].values() for m in ms)
    for body in ({"transition": "bogus"}, {"transition": "submit", "version": "x"}):
        wrong = client.post(f"{api}/transitions", headers=officer, json=body)
        assert wrong.status_code == 422 and all(CJK.search(m) for ms in wrong.get_json()["errors"].values()
                                                for m in (ms if isinstance(ms, list) else [str(ms)])), wrong.get_json()
    bad = client.post(f"{api}/file", headers=officer, json={"findings": "", "category": "party", "kind": "x"})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"findings", "kind", "form"}
    filed = client.post(f"{api}/file", headers=officer, json={
        "findings": "经查，违规发放补贴 3 万元", "category": "party", "kind": "serious_warning", "form": "second",
        "step": {"kind": "talk", "content": "谈话并制作笔录"}})
    assert filed.status_code == 200, filed.get_json()
    assert client.get(api, headers=officer).get_json()["state"] == "investigating"
    # The leader cannot decide before the review: no form on the page, 409 from the API.
    assert client.post(f"{api}/transitions", headers=leader, json={"transition": "decide"}).status_code == 409
    assert client.post(f"{api}/transitions", headers=officer, json={"transition": "submit"}).status_code == 200
    # The township's own reviewer does not review its own case (镇案县审: the county does).
    assert client.post(f"{api}/transitions", headers=bearer(app, "c-town-reviewer"),
                       json={"transition": "review_agree"}).status_code == 404
    assert client.post(f"{api}/transitions", headers=leader, json={"transition": "decide"}).status_code == 409

    # The county's reviewer finds it waiting, reads the file through the share, sends it back with the points.
    browser.logout()
    browser.login("c-reviewer")
    home = browser.get(f"/u/{tree.county}", follow_redirects=True).get_data(as_text=True)
    assert "待审理的案件" in home and f"/u/{tree.county}/cases/{case_id}#step-review_agree" in home
    queue = browser.get(f"/u/{tree.county}/cases/reviews").get_data(as_text=True)
    assert f'href="/u/{tree.county}/cases/{case_id}"' in queue and "东镇" in queue
    county_page = browser.get(f"/u/{tree.county}/cases/{case_id}").get_data(as_text=True)
    assert "周案件" in county_page and "谈话并制作笔录" in county_page and 'data-step="review_send_back"' in county_page
    county_api = f"/api/v1/u/{tree.county}/cases/{case_id}"
    no_points = client.post(f"{county_api}/transitions", headers=reviewer, json={"transition": "review_send_back"})
    assert no_points.status_code == 422 and set(no_points.get_json()["errors"]) == {"points"}
    sent = browser.post(f"/u/{tree.county}/cases/{case_id}/steps/review_send_back",
                        {"points": "请补充调取发放花名册"}, form_page=f"/u/{tree.county}/cases/{case_id}")
    assert sent.status_code == 302 and sent.location.endswith(f"/u/{tree.county}/cases/reviews")
    # The round answered, the share ends: the county no longer reads the case.
    assert client.get(county_api, headers=reviewer).status_code == 404

    assert client.post(f"{api}/transitions", headers=leader, json={"transition": "decide"}).status_code == 409
    no_answer = client.post(f"{api}/transitions", headers=officer, json={"transition": "resubmit"})
    assert no_answer.status_code == 422 and set(no_answer.get_json()["errors"]) == {"answer"}
    assert client.post(f"{api}/transitions", headers=officer, json={
        "transition": "resubmit", "data": {"answer": "已调取花名册并补充事实"}}).status_code == 200
    assert client.post(f"{county_api}/transitions", headers=reviewer, json={
        "transition": "review_agree", "data": {"points": "事实清楚，定性准确"}}).status_code == 200

    # The township sees who in the county read and acted on its case through the review's share.
    browser.logout()
    browser.login("c-officer")
    owner_page = browser.get(case_url).get_data(as_text=True)
    assert 'data-purpose="case_review"' in owner_page and "镇案县审" in owner_page and "甲县" in owner_page
    rounds = client.get(f"{api}/reviews", headers=officer).get_json()
    assert [(r["round"], r["opinion"], r["points"], r["answer"]) for r in rounds] == [
        (1, "send_back", "请补充调取发放花名册", "已调取花名册并补充事实"), (2, "agree", "事实清楚，定性准确", None)]
    # Only the leader decides, and only now.
    assert client.post(f"{api}/transitions", headers=officer, json={"transition": "decide"}).status_code == 404
    decided = client.post(f"{api}/transitions", headers=leader, json={"transition": "decide",
                                                                     "data": {"note": "东纪发〔2026〕3号"}})
    assert decided.status_code == 200, decided.get_json()
    body = decided.get_json()
    assert (body["state"], body["sanction"], body["form"]) == ("executing", "party", "second")
    assert [s["kind"] for s in body["execution"]] == ["deliver_person", "deliver_org", "archive"]
    assert {k: v for k, v in _stats(app, tree.town).items()} == {
        "cases.opened": 1, "cases.self_handled": 1, "cases.open": 1, "cases.reviews.sent_back": 1,
        "cases.reviews.passed": 1, "cases.decided": 1, "cases.sanction.party": 1, "cases.form.second": 1,
        "cases.executions.open": 1}


def test_strangers_get_404_while_the_county_reviews(app, factory):
    tree = factory.tree()
    people = _people(factory, tree)
    case_id = _open_case(app, tree.town, people["officer"], _verified_lead(app, tree.town, people["officer"]))
    _step(app, tree.town, people["officer"], case_id, "submit")
    client = app.test_client()
    assert client.get(f"/api/v1/u/{tree.county}/cases/{case_id}", headers=bearer(app, "c-reviewer")).status_code == 200
    strangers = [("c-other-reviewer", tree.other_county), ("c-sibling", tree.town2), ("c-sibling", tree.town),
                 ("c-analyst", tree.province), ("c-analyst", tree.town)]
    for username, unit_id in strangers:
        headers = bearer(app, username)
        for path in (f"/api/v1/u/{unit_id}/cases/{case_id}", f"/api/v1/u/{unit_id}/cases/{case_id}/reviews"):
            assert client.get(path, headers=headers).status_code == 404, (username, path)
        assert client.post(f"/api/v1/u/{unit_id}/cases/{case_id}/transitions", headers=headers,
                           json={"transition": "review_agree"}).status_code == 404, username
    # Another county's reviewer has no queue of it either; the county's own reviewer has.
    number = client.get(f"/api/v1/u/{tree.town}/cases/{case_id}", headers=bearer(app, "c-officer")).get_json()["number"]
    for username, unit_id, listed in (("c-other-reviewer", tree.other_county, False), ("c-reviewer", tree.county, True)):
        browser = app.test_client()
        browser.post("/login", data={"username": username, "password": "Correct-Horse-42"})
        app.config["WTF_CSRF_ENABLED"] = False
        try:
            browser.post("/login", data={"username": username, "password": "Correct-Horse-42"})
        finally:
            app.config["WTF_CSRF_ENABLED"] = True
        queue = browser.get(f"/u/{unit_id}/cases/reviews")
        assert queue.status_code == 200 and (number in queue.get_data(as_text=True)) == listed, username


def test_an_overdue_review_warns_the_reviewer_then_the_county_leader(app, factory):
    tree = factory.tree()
    people = _people(factory, tree)
    case_id = _open_case(app, tree.town, people["officer"], _verified_lead(app, tree.town, people["officer"]),
                         opened_days_ago=40)
    _step(app, tree.town, people["officer"], case_id, "submit", {"submitted_on": _ago(25)})
    with app.app_context():
        due = calendar.add_workdays(calendar.today() - timedelta(days=25), 10)
        late = calendar.workdays_between(due, calendar.today())
    assert due < calendar.today()
    posted = _scan(app)
    assert posted["review_overdue"] == 1
    assert _scan(app)["review_overdue"] == 0  # once per deadline
    county_items = _inbox(app, tree.county)
    assert [(kind, roles) for kind, roles, *_ in county_items][:2] == [("task", ",reviewer,"), ("overdue", ",reviewer,")]
    assert _stats(app, tree.town)["cases.reviews.overdue"] == 1
    # Two working days further past the deadline, the county's leader is told.
    if late < 2:  # a holiday between: two working days later, as the periodic scan would find it
        _scan(app, days_ahead=7)
    leader_items = [i for i in _inbox(app, tree.county) if i[0] == "escalation"]
    assert len(leader_items) == 1 and leader_items[0][1] == ",leader," and "东镇" in leader_items[0][3]
    # The county leader's inbox opens the case (shared to the county while it reviews).
    inbox = app.test_client().get(f"/api/v1/u/{tree.county}/inbox", headers=bearer(app, "c-county-leader"))
    assert [i["url"] for i in inbox.get_json()] == [f"/u/{tree.county}/cases/{case_id}"]
    _step(app, tree.county, people["reviewer"], case_id, "review_agree")
    assert "cases.reviews.overdue" not in _stats(app, tree.town)
    assert all(not open_ for *_, open_ in _inbox(app, tree.county))


def test_an_overdue_execution_step_warns_the_handler_and_the_county_and_shows_in_the_figures(app, factory):
    from core.cases.models import Case, ExecutionStep

    tree = factory.tree()
    people = _people(factory, tree)
    case_id = _open_case(app, tree.town, people["officer"], _verified_lead(app, tree.town, people["officer"]),
                         opened_days_ago=40, category="government", kind="demerit")
    _step(app, tree.town, people["officer"], case_id, "submit", {"submitted_on": _ago(35)})
    _step(app, tree.county, people["reviewer"], case_id, "review_agree", {"reviewed_on": _ago(33)})
    _step(app, tree.town, people["leader"], case_id, "decide", {"decided_on": _ago(30)})
    client = app.test_client()
    officer = bearer(app, "c-officer")
    api = f"/api/v1/u/{tree.town}/cases/{case_id}"
    steps = client.get(api, headers=officer).get_json()["execution"]
    assert [s["kind"] for s in steps] == ["deliver_person", "deliver_org", "archive", "salary"]
    # Delivery done in time; the rest is late.
    done = client.post(f"{api}/execution/{steps[0]['id']}", headers=officer,
                       json={"done_on": _ago(28), "evidence": "送达回证"})
    assert done.status_code == 200, done.get_json()
    empty = client.post(f"{api}/execution/{steps[1]['id']}", headers=officer, json={})
    assert empty.status_code == 422 and set(empty.get_json()["errors"]) == {"evidence"}
    posted = _scan(app)
    assert posted["execution_overdue"] >= 2 and posted["county_warned"] >= 2
    town_items = [i for i in _inbox(app, tree.town) if i[0] == "overdue"]
    assert town_items and all(i[2] == people["officer"] and "处分执行逾期" in i[3] for i in town_items)
    county_items = [i for i in _inbox(app, tree.county) if i[0] == "escalation"]
    assert county_items and all("东镇处分执行逾期" in i[3] for i in county_items)
    assert _stats(app, tree.town)["cases.executions.overdue"] == 1
    # The list flags it, the county reads it (a watch share) until the execution is done.
    browser_page = client.get(f"/u/{tree.town}/cases?overdue=1")
    assert browser_page.status_code in (302, 200)
    county_leader = bearer(app, "c-county-leader")
    assert client.get(f"/api/v1/u/{tree.county}/cases/{case_id}", headers=county_leader).status_code == 200
    for step in steps[1:]:
        response = client.post(f"{api}/execution/{step['id']}", headers=officer,
                               json={"evidence": "已办结，凭证存档"})
        assert response.status_code == 200, response.get_json()
    assert client.get(api, headers=officer).get_json()["state"] == "closed"
    figures = _stats(app, tree.town)
    assert "cases.executions.overdue" not in figures and "cases.executions.open" not in figures
    assert "cases.open" not in figures and figures["cases.sanction.government"] == 1
    assert client.get(f"/api/v1/u/{tree.county}/cases/{case_id}", headers=county_leader).status_code == 404
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert db.session.get(Case, case_id).executed_on is not None
        assert db.session.scalar(select(ExecutionStep.id).where(ExecutionStep.done_on.is_(None))) is None


def test_no_sanction_feeds_the_clearing_pool(app, factory):
    from core.clearing.models import ClearingCandidate

    tree = factory.tree()
    people = _people(factory, tree)
    case_id = _open_case(app, tree.town, people["officer"], _verified_lead(app, tree.town, people["officer"],
                                                                           name="吴清白"),
                         category="none", kind="", form="")
    _step(app, tree.town, people["officer"], case_id, "submit")
    _step(app, tree.county, people["reviewer"], case_id, "review_agree")
    _step(app, tree.town, people["leader"], case_id, "decide")
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from core.cases.models import Case

        case = db.session.get(Case, case_id)
        assert (case.state, case.sanction, case.execution) == ("closed", "none", [])
        candidates = db.session.scalars(select(ClearingCandidate).where(ClearingCandidate.unit_id == tree.town)).all()
        assert [(c.reference, c.person_name, c.state) for c in candidates] == [(case.number, "吴清白", "pool")]
    figures = _stats(app, tree.town)
    assert figures["cases.sanction.none"] == 1 and "cases.open" not in figures
    assert "cases.executions.open" not in figures


def test_the_recount_equals_the_stats_after_random_transitions(app, factory):
    from core.cases import operations as ops
    from core.cases.models import Case
    from core.cases.queries import allowed_steps
    from core.identity.models import Account
    from reporting import reconcile
    from tenants.models import Unit

    tree = factory.tree()
    people = _people(factory, tree)
    county_case = _open_case(app, tree.county, people["county_leader"],
                             _verified_lead(app, tree.county, people["county_leader"], days_ago=50),
                             opened_days_ago=30, category="government", kind="warning", form="first")
    town_cases = [_open_case(app, tree.town, people["officer"],
                             _verified_lead(app, tree.town, people["officer"], name=f"随机{i}", days_ago=50),
                             opened_days_ago=30, category=cat, kind=kind, form=form)
                  for i, (cat, kind, form) in enumerate([("party", "probation", "third"), ("none", "", ""),
                                                         ("organisational", "admonish", "first"),
                                                         ("government", "dismissal", "third")])]
    county_reviewer_at_county = factory.account("c-county-own-reviewer", [(tree.county, "reviewer")])
    rng = random.Random(20)
    taken = []
    data = {"review_send_back": {"points": "补充"}, "review_change": {"points": "建议改变"},
            "resubmit": {"answer": "已补充"}}
    actors = {tree.town: [people["officer"], people["leader"]], tree.county: [people["reviewer"],
                                                                              county_reviewer_at_county,
                                                                              people["county_leader"]]}
    for _ in range(40):
        case_id = rng.choice(town_cases + [county_case])
        options = []
        with app.app_context():
            for unit_id, accounts in actors.items():
                unit_path = db.session.get(Unit, unit_id).path
                for account_id in accounts:
                    # As the account acting at its unit: the county's review goes through the share to it.
                    with context.acting(context.maintenance_context(account_id=account_id, unit_id=unit_id,
                                                                    unit_path=unit_path), db.session):
                        case, unit = db.session.get(Case, case_id), db.session.get(Unit, unit_id)
                        account = db.session.get(Account, account_id)
                        options += [(unit_id, account_id, s) for s in allowed_steps(case, unit, account)]
                        executing = [s for s in case.execution if s.done_on is None] \
                            if case.state == "executing" else []
        if executing and rng.random() < 0.5:
            with app.app_context(), context.acting(context.maintenance_context(account_id=people["officer"]),
                                                   db.session):
                case = db.session.get(Case, case_id)
                step = next(s for s in case.execution if s.done_on is None)
                ops.complete_execution_step(case, step, {"evidence": "已执行"})
                db.session.commit()
            taken.append("execute")
            continue
        if not options:
            continue
        unit_id, account_id, step = rng.choice(options)
        _step(app, unit_id, account_id, case_id, step, data.get(step))
        taken.append(step)
    assert {"submit", "review_agree", "review_send_back", "resubmit", "decide", "execute"} <= set(taken), taken
    _scan(app)
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        for unit_id in (tree.town, tree.county):
            drifts = [d for d in reconcile.reconcile_unit(db.session.get(Unit, unit_id), calendar.today())
                      if d.metric.startswith("cases.")]
            assert drifts == [], drifts
        states = {db.session.get(Case, c).state for c in town_cases + [county_case]}
    assert len(states) > 1


def test_the_case_page_writes_the_file_and_refuses_in_chinese(app, factory, browser):
    tree = factory.tree()
    people = _people(factory, tree)
    lead_id = _verified_lead(app, tree.town, people["officer"])
    with app.app_context(), context.acting(context.maintenance_context(account_id=people["officer"]), db.session):
        from core.cases import operations as ops
        from core.leads.models import Lead
        from tenants.models import Unit

        case_id = ops.open_from_lead(db.session.get(Lead, lead_id), db.session.get(Unit, tree.town)).id
        db.session.commit()
    url = f"/u/{tree.town}/cases/{case_id}"
    browser.login("c-officer")
    page = browser.get(url).get_data(as_text=True)
    assert 'data-form="file"' in page and 'data-form="investigation"' in page and 'data-step="submit"' in page
    assert 'data-step="decide"' not in page
    refused = browser.post(f"{url}/file", {"findings": "", "sanction": "government:", "form": ""}, form_page=url)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "请填写查明的事实" in body and "请选择政务处分的种类" in body and "请选择该处理意见所属的形态" in body
    refused = browser.post(f"{url}/steps/submit", {}, form_page=url)
    assert refused.status_code == 422 and "请先记录至少一项审查调查措施" in refused.get_data(as_text=True)
    assert browser.post(f"{url}/investigation", {"kind": "evidence", "content": "调取账册"},
                        form_page=url).status_code == 302
    assert browser.post(f"{url}/file", {"findings": "经查属实", "sanction": "government:demotion", "form": "third"},
                        form_page=url).status_code == 302
    page = browser.get(url).get_data(as_text=True)
    assert "调取账册" in page and "政务处分·降级" in page and "第三种形态" in page
    assert browser.post(f"{url}/steps/submit", {}, form_page=url).status_code == 302
    page = browser.get(url).get_data(as_text=True)
    assert "审理中" in page and 'data-form="file"' not in page and 'data-review-round="1"' in page
    # The file is closed while the county reviews: a stale form's post is refused (409), nothing changes.
    stale = browser.post(f"{url}/investigation", {"kind": "talk", "content": "迟到的谈话"}, form_page=url)
    assert stale.status_code == 409
    assert "迟到的谈话" not in browser.get(url).get_data(as_text=True)


def test_the_leads_page_links_its_case_only_for_those_who_may_open_cases(app, factory, browser):
    """Intake reads leads but not cases: the lead's page names its case without a link that would answer 404."""
    tree = factory.tree()
    people = _people(factory, tree)
    factory.account("c-intake", [(tree.town, "intake")])
    lead_id = _verified_lead(app, tree.town, people["officer"])
    case_id = _open_case(app, tree.town, people["officer"], lead_id)
    link = f"/u/{tree.town}/cases/{case_id}"
    browser.login("c-intake")
    page = browser.get(f"/u/{tree.town}/leads/{lead_id}").get_data(as_text=True)
    assert "data-follow-up" in page and "纪案" in page and link not in page
    assert browser.get(link).status_code == 404
    browser.logout()
    browser.login("c-officer")
    page = browser.get(f"/u/{tree.town}/leads/{lead_id}").get_data(as_text=True)
    assert f'href="{link}"' in page


def test_the_case_ledger_exports_the_lists_rows_to_xlsx(app, factory, browser):
    """审查调查台账: the list's export button answers a short list with the file at once, one row per case with its
    persons, its latest review opinion and its decision; a sibling township's list exports none of them."""
    from tests.test_exports import sheet_rows

    tree = factory.tree()
    people = _people(factory, tree)
    first = _open_case(app, tree.town, people["officer"], _verified_lead(app, tree.town, people["officer"]))
    _open_case(app, tree.town, people["officer"], _verified_lead(app, tree.town, people["officer"], name="吴第二"))
    _step(app, tree.town, people["officer"], first, "submit")
    _step(app, tree.county, people["reviewer"], first, "review_send_back", {"points": "补充证据"})
    browser.login("c-officer")
    list_page = f"/u/{tree.town}/cases"
    assert 'data-export="cases"' in browser.get(list_page).get_data(as_text=True)
    response = browser.post(f"/u/{tree.town}/exports/new", {"kind": "cases"}, form_page=list_page)
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet"), response.status_code
    rows = sheet_rows(response.data)
    assert rows[0][:4] == ["案件编号", "立案日期", "线索编号", "被审查调查人"]
    listed = re.findall(r'data-case="([^"]+)"', browser.get(list_page).get_data(as_text=True))
    assert [r[0] for r in rows[1:]] == listed and len(listed) == 2
    by_person = {r[3]: r for r in rows[1:]}
    assert by_person["周案件"][9] == "退回待补充" and by_person["周案件"][11] == "退回补充调查"
    assert by_person["吴第二"][9] == "审查调查中" and by_person["吴第二"][11] is None
    browser.logout()
    browser.login("c-sibling")
    other = browser.post(f"/u/{tree.town2}/exports/new", {"kind": "cases"}, form_page=f"/u/{tree.town2}/cases")
    assert len(sheet_rows(other.data)) == 1  # the header only


def test_through_the_review_share_only_the_countys_reviewers_and_leaders_read_the_case(app, factory):
    """镇案县审 shares the township's case file with its county for the review: the reviewer reads it, the leader too
    (an overdue review escalates to them); the county's officer and case admin get 404 as for any other case."""
    tree = factory.tree()
    people = _people(factory, tree)
    factory.account("c-county-officer", [(tree.county, "officer")])
    factory.account("c-county-caseadmin", [(tree.county, "case_admin")])
    case_id = _open_case(app, tree.town, people["officer"], _verified_lead(app, tree.town, people["officer"]))
    _step(app, tree.town, people["officer"], case_id, "submit")
    client = app.test_client()
    for username, status in (("c-reviewer", 200), ("c-county-leader", 200), ("c-county-officer", 404),
                             ("c-county-caseadmin", 404)):
        answer = client.get(f"/api/v1/u/{tree.county}/cases/{case_id}", headers=bearer(app, username))
        assert answer.status_code == status, username
        if status == 404:
            assert "周案件" not in answer.get_data(as_text=True)


def test_the_countys_reviewer_reads_the_case_files_its_other_staff_do_not(app, factory, browser):
    """镇案县审 needs the papers: through the review share the county's reviewer sees and downloads the township
    case's files (谈话笔录 …); the county's officer, a sibling township and the case after its review get 404."""
    import io

    from core.attachments import operations as attachment_ops
    from core.cases.models import Case
    from tenants.models import Unit

    tree = factory.tree()
    people = _people(factory, tree)
    factory.account("c-county-officer", [(tree.county, "officer")])
    case_id = _open_case(app, tree.town, people["officer"], _verified_lead(app, tree.town, people["officer"]))
    with app.app_context(), context.acting(context.maintenance_context(account_id=people["officer"]), db.session):
        pdf = b"%PDF-1.4\n" + b"0" * 64 + b"\n%%EOF\n"
        file_id = attachment_ops.upload(db.session.get(Case, case_id), io.BytesIO(pdf), "谈话笔录.pdf",
                                        acting_unit=db.session.get(Unit, tree.town)).id
        db.session.commit()
    _step(app, tree.town, people["officer"], case_id, "submit")
    download = f"/u/{tree.county}/attachments/{file_id}"
    browser.login("c-reviewer")
    page = browser.get(f"/u/{tree.county}/cases/{case_id}").get_data(as_text=True)
    assert "谈话笔录.pdf" in page
    assert browser.get(download).status_code == 200
    browser.logout()
    browser.login("c-county-officer")
    assert browser.get(download).status_code == 404
    client = app.test_client()
    assert client.get(f"/api/v1/u/{tree.county}/attachments?record_type=cases&record_id={case_id}",
                      headers=bearer(app, "c-county-officer")).status_code == 404
    browser.logout()
    _step(app, tree.county, people["reviewer"], case_id, "review_agree")  # the round ends, and the share with it
    browser.login("c-reviewer")
    assert browser.get(download).status_code == 404
