"""The workbench (工作台) at the unit's home: each role's day, and the reply templates of the feedback to informants."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.conftest import Browser
from tests.test_petitions import petition_form


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    factory.account("east-officer", [(tree.town, "officer")])
    factory.account("east-leader", [(tree.town, "leader")])
    factory.account("east-analyst", [(tree.town, "analyst")])
    factory.account("county-leader", [(tree.county, "leader")])
    return tree


def _raw(**overrides) -> dict:
    """The registration form as the petition's view hands it to the operation."""
    form = petition_form(**overrides)
    return {**{k: v for k, v in form.items() if not k.startswith("informant_")}, "anonymous": False,
            "informant": {k.removeprefix("informant_"): v for k, v in form.items() if k.startswith("informant_")}}


def _records(app, tree, officer_username="east-officer"):
    """An overdue petition and a clearing case whose step is due tomorrow's working day, both handled by the
    officer; the stats rows recounted as the nightly job does. Returns (petition number, case number, summary)."""
    from sqlalchemy import select

    from core import calendar, context
    from core.clearing import operations as clearing_ops
    from core.extensions import db
    from core.identity.models import Account
    from core.petitions import jobs as petition_jobs
    from core.petitions import operations as petition_ops
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        unit = db.session.get(Unit, tree.town)
        officer = db.session.scalar(select(Account).where(Account.username == officer_username))
        today = calendar.today()
        petition = petition_ops.register_petition(unit, _raw(summary="反映村干部违规发放补贴"))
        petition.state, petition.due_on, petition.handler_id = "handling", today - timedelta(days=5), officer.id
        case = clearing_ops.register_application(unit, {"person_name": "王五", "person_work_unit": "东镇",
                                                        "accusation": "反映问题", "request": "请求澄清",
                                                        "applied_on": today.isoformat()})
        case.due_on, case.handler_id = calendar.add_workdays(today, 1), officer.id
        db.session.flush()
        petition_jobs.refresh_overdue(unit, today)
        numbers = petition.number, case.number
        db.session.commit()
    return (*numbers, "反映村干部违规发放补贴")


def _panel(page: str, key: str) -> str:
    match = re.search(rf'<section class="card" data-panel="{re.escape(key)}">(.*?)</section>', page, re.S)
    assert match, f"no panel {key}"
    return match.group(1)


def test_an_officer_sees_an_overdue_petition_and_a_due_soon_clearing_step_with_working_links(app, world, factory):
    petition_number, case_number, _summary = _records(app, world)
    officer = Browser(app, factory)
    officer.login("east-officer")
    page = officer.get(f"/u/{world.town}/").get_data(as_text=True)
    mine = _panel(page, "petitions.mine")
    assert petition_number in mine and "已逾期" in mine
    cases = _panel(page, "clearing.mine")
    assert case_number in cases and "即将到期" in cases
    # The next step's button: the officer starts the assessment (质效评估) and concludes the petition (办结).
    assert "质效评估" in cases and "办结" in mine
    links = re.findall(r'<a href="(/u/\d+/(?:petitions|clearing/cases)/\d+)">', mine + cases)
    assert len(links) == 2
    for link in links:
        assert officer.get(link).status_code == 200
    steps = re.findall(r'<a class="button" href="([^"#]+)#([^"]*)" data-next-step>', mine + cases)
    assert len(steps) == 2
    for page, anchor in steps:  # the button opens the record's page at the step's form
        response = officer.get(page)
        assert response.status_code == 200 and f'id="{anchor}"' in response.get_data(as_text=True)


def test_the_inbox_is_the_fallback_and_a_record_is_not_shown_twice(app, world, factory):
    petition_number, _case, _summary = _records(app, world)
    from sqlalchemy import select

    from core import context
    from core.extensions import db
    from core.inbox import operations as inbox_ops
    from core.petitions.models import Petition
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        petition = db.session.scalar(select(Petition).where(Petition.number == petition_number))
        inbox_ops.post(db.session.get(Unit, world.town), key="wb-test", roles=("officer",), kind="task",
                       object_type="petitions", object_id=petition.id, title=f"{petition.number} 请核查")
        db.session.commit()
    officer = Browser(app, factory)
    officer.login("east-officer")
    page = officer.get(f"/u/{world.town}/").get_data(as_text=True)
    assert petition_number in _panel(page, "petitions.mine")
    assert petition_number not in _panel(page, "inbox.open")  # already above: not twice


def test_a_county_leader_sees_its_townships_overdue_counts(app, world, factory):
    _records(app, world)
    leader = Browser(app, factory)
    leader.login("county-leader")
    page = leader.get(f"/u/{world.county}/").get_data(as_text=True)
    children = _panel(page, "reporting.children_overdue")
    assert "信访超期" in children and "逾期未报" in children
    row = re.search(r"<tr><td>东镇</td>(.*?)</tr>", children, re.S)
    assert row and re.findall(r"<td>(\d+)</td>", row.group(1))[0] == "1"  # 东镇: one petition overdue
    west = re.search(r"<tr><td>西镇</td>(.*?)</tr>", children, re.S)
    assert west and set(re.findall(r"<td>(\d+)</td>", west.group(1))) == {"0"}
    assert "我承办的" not in page  # a leader's day: decisions and figures, not an officer's list


def test_an_analysts_workbench_carries_numbers_only(app, world, factory):
    petition_number, case_number, summary = _records(app, world)
    analyst = Browser(app, factory)
    analyst.login("east-analyst")
    page = analyst.get(f"/u/{world.town}/").get_data(as_text=True)
    figures = _panel(page, "reporting.unit_overdue")
    assert "信访超期" in figures and "<strong>1</strong>" in figures
    for secret in (petition_number, case_number, summary, "王五", "李四"):
        assert secret not in page
    assert "data-records" not in page and "data-next-step" not in page


def test_a_leader_sees_what_waits_for_a_decision(app, world, factory):
    _petition, case_number, _summary = _records(app, world)
    from sqlalchemy import select

    from core import context
    from core.clearing.models import ClearingCase
    from core.extensions import db

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        case = db.session.scalar(select(ClearingCase).where(ClearingCase.number == case_number))
        case.state = "assessed"
        db.session.commit()
    leader = Browser(app, factory)
    leader.login("east-leader")
    page = leader.get(f"/u/{world.town}/").get_data(as_text=True)
    decisions = _panel(page, "clearing.decisions")
    assert case_number in decisions and "复核通过" in decisions
    assert "信访超期" in _panel(page, "reporting.unit_overdue")


def test_a_reply_template_kept_by_the_leader_is_picked_into_the_feedback_form(app, world, factory):
    petition_number, _case, _summary = _records(app, world)
    from sqlalchemy import select

    from core import context
    from core.extensions import db
    from core.petitions.models import Petition

    leader = Browser(app, factory)
    leader.login("east-leader")
    templates = f"/u/{world.town}/petitions/reply-templates"
    assert leader.get(templates).status_code == 200
    text = "您反映的问题已经核查，现将核查结果反馈如下：经核查，反映问题不属实。感谢您对纪检监察工作的支持。"
    assert leader.post(templates, {"title": "不属实反馈", "text": text}).status_code == 302
    assert leader.post(templates, {"title": "", "text": ""}).status_code == 422
    officer = Browser(app, factory)
    officer.login("east-officer")
    assert officer.get(templates).status_code == 404  # kept by the leader only
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        petition = db.session.scalar(select(Petition).where(Petition.number == petition_number))
        petition.state, petition.outcome, petition.concluded_on = "concluded", "unfounded", petition.received_on
        petition_id = petition.id
        db.session.commit()
    page = officer.get(f"/u/{world.town}/petitions/{petition_id}").get_data(as_text=True)
    form = re.search(r'<form[^>]*data-step="feedback">(.*?)</form>', page, re.S).group(1)
    pick = re.search(r'<select data-reply-pick="content">(.*?)</select>', form, re.S)
    assert pick and "不属实反馈" in pick.group(1) and f'data-text="{text}"' in pick.group(1)
    assert 'name="content"' in form  # the picked text lands in the form's own field (core/static/app.js)
    script = officer.get("/static/app.js").get_data(as_text=True)
    assert "data-reply-pick" in script
    edited = text.replace("感谢您", "再次感谢您")
    response = officer.post(f"/u/{world.town}/petitions/{petition_id}/steps/feedback",
                            {"given_on": page and re.search(r'name="given_on" value="([^"]+)"', form).group(1),
                             "way": "phone", "satisfied": "yes", "content": edited,
                             "version": re.search(r'name="version" value="(\d+)"', form).group(1)},
                            form_page=f"/u/{world.town}/petitions/{petition_id}")
    assert response.status_code == 302
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert db.session.get(Petition, petition_id).feedback["content"] == edited
    # Another township's leader never sees this unit's templates.
    factory.account("west-leader", [(world.town2, "leader")])
    west = Browser(app, factory)
    west.login("west-leader")
    assert "不属实反馈" not in west.get(f"/u/{world.town2}/petitions/reply-templates").get_data(as_text=True)
