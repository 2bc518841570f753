"""Petitions: registration, the informant encrypted at rest, masked everywhere, revealed only with a reason."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text

INFORMANT = {"informant_name": "张三丰", "informant_id_number": "110101199003071234",
             "informant_phone": "13812345678", "informant_address": "甲县东镇幸福路 8 号"}


def petition_form(**overrides):
    from core.calendar import today

    form = {"channel": "letter", "received_on": today().isoformat(), "category": "违反廉洁纪律",
            "accused_name": "李四", "accused_position": "村委会主任", "accused_work_unit": "东镇东村",
            "summary": "反映李四违规收受礼金", "content": "详见来信。", **INFORMANT}
    form.update(overrides)
    return form


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    factory.account("east-intake", [(tree.town, "intake")])
    factory.account("east-officer", [(tree.town, "officer")])
    factory.account("west-intake", [(tree.town2, "intake")])
    factory.account("county-leader", [(tree.county, "leader")])
    return tree


def register(browser, tree, **overrides):
    with browser.client.application.app_context():
        form = petition_form(**overrides)
    response = browser.post(f"/u/{tree.town}/petitions/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rstrip("/").rsplit("/", 1)[1])


def audit_events(app, action):
    with app.app_context():
        from core import context
        from core.audit.models import AuditEvent
        from core.extensions import db

        context.activate(context.ActingContext(platform_role="audit"), db.session)
        return [(e.account_name, e.object_id, json.loads(e.detail or "{}"))
                for e in db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action))]


def test_intake_registers_a_numbered_petition_with_the_informant_encrypted(app, world, browser, owner_engine):
    browser.login("east-intake")
    assert "登记信访举报件" in browser.get(f"/u/{world.town}/petitions").get_data(as_text=True)
    pid = register(browser, world)
    with app.app_context():
        from core.calendar import today

        year = today().year
    page = browser.get(f"/u/{world.town}/petitions").get_data(as_text=True)
    assert f"东纪信〔{year}〕1号" in page and "李四" in page and "来信" in page
    assert register(browser, world) != pid
    assert f"东纪信〔{year}〕2号" in browser.get(f"/u/{world.town}/petitions").get_data(as_text=True)

    with owner_engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM petitions WHERE id = :id"), {"id": pid}).mappings().one()
    for column, plain in INFORMANT.items():
        assert row[column] and plain not in row[column] and row[column].count("$") == 1
    assert row["number"] == f"东纪信〔{year}〕1号" and row["seq"] == 1 and row["year"] == year

    (who, object_id, detail), *_ = audit_events(app, "petition.register")
    assert who == "east-intake" and object_id == str(pid)
    assert not any(plain in json.dumps(detail, ensure_ascii=False) for plain in INFORMANT.values())


def test_officer_sees_the_informant_masked_only_and_cannot_reveal(app, world, browser):
    browser.login("east-intake")
    pid = register(browser, world)
    browser.logout()
    browser.login("east-officer")
    page = browser.get(f"/u/{world.town}/petitions/{pid}").get_data(as_text=True)
    assert "张**" in page and "1101**********1234" in page and "138****5678" in page and "已加密" in page
    assert not any(plain in page for plain in INFORMANT.values())
    assert "/reveal" not in page
    response = browser.post(f"/u/{world.town}/petitions/{pid}/reveal", {"reason": "好奇"},
                            form_page=f"/u/{world.town}/petitions/{pid}")
    assert response.status_code == 404
    assert "张三丰" not in response.get_data(as_text=True)
    assert audit_events(app, "petition.informant_reveal") == []


def test_intake_reveals_with_a_reason_and_the_reveal_is_audited(app, world, browser):
    browser.login("east-intake")
    pid = register(browser, world)
    detail = f"/u/{world.town}/petitions/{pid}"
    assert "查看事由" in browser.get(detail).get_data(as_text=True)

    response = browser.post(f"{detail}/reveal", {"reason": "  "}, form_page=detail)
    assert response.status_code == 422
    assert "查看举报人信息须填写事由" in response.get_data(as_text=True)
    assert audit_events(app, "petition.informant_reveal") == []

    response = browser.post(f"{detail}/reveal", {"reason": "核实举报人身份以便反馈"}, form_page=detail)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert all(plain in page for plain in INFORMANT.values())
    (who, object_id, detail_json), = audit_events(app, "petition.informant_reveal")
    assert who == "east-intake" and object_id == str(pid) and detail_json["reason"] == "核实举报人身份以便反馈"
    assert not any(plain in json.dumps(detail_json, ensure_ascii=False) for plain in INFORMANT.values())
    # Shown once: the next visit is masked again.
    assert "张三丰" not in browser.get(detail).get_data(as_text=True)


def test_anonymous_petition_shows_anonymous_and_stores_no_informant(app, world, browser, owner_engine):
    browser.login("east-intake")
    pid = register(browser, world, anonymous="1")
    page = browser.get(f"/u/{world.town}/petitions/{pid}").get_data(as_text=True)
    assert "匿名" in page and "张" not in page and "查看事由" not in page
    with owner_engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM petitions WHERE id = :id"), {"id": pid}).mappings().one()
    assert row["anonymous"] and all(row[column] is None for column in INFORMANT)


def test_another_township_gets_404(app, world, browser):
    browser.login("east-intake")
    pid = register(browser, world)
    browser.logout()
    browser.login("west-intake")
    assert browser.get(f"/u/{world.town}/petitions/{pid}").status_code == 404
    assert browser.get(f"/u/{world.town2}/petitions/{pid}").status_code == 404
    response = browser.post(f"/u/{world.town2}/petitions/{pid}/reveal", {"reason": "x"},
                            form_page=f"/u/{world.town2}/petitions")
    assert response.status_code == 404
    assert "李四" not in browser.get(f"/u/{world.town2}/petitions").get_data(as_text=True)


def test_supervising_county_reads_through_the_share_without_any_informant_data(app, world, browser):
    browser.login("east-intake")
    pid = register(browser, world)
    browser.logout()
    with app.app_context():
        from core import context
        from core.extensions import db
        from tenants import operations as tenancy_ops
        from tenants.models import Unit

        with context.acting(context.maintenance_context(), db.session):
            tenancy_ops.grant_share("petitions", pid, db.session.get(Unit, world.town), purpose="supervision",
                                    grantee_unit=db.session.get(Unit, world.county))
            db.session.commit()
    browser.login("county-leader")
    detail = f"/u/{world.county}/petitions/{pid}"
    response = browser.get(detail)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "李四" in page
    assert "通过督办共享查看，举报人信息不予显示" in page
    assert "张" not in page and "1101" not in page and "138" not in page and "已加密" not in page
    assert "/reveal" not in page
    # The county leader may reveal at the county, but never a shared record.
    assert browser.post(f"{detail}/reveal", {"reason": "督办需要"}, form_page=detail).status_code == 404
    assert audit_events(app, "petition.informant_reveal") == []


@pytest.mark.parametrize("overrides, messages", [
    ({"received_on": "future", "accused_name": ""}, ["受理日期不能晚于今天", "请填写被反映人姓名"]),
    ({"summary": "", "informant_name": "", "informant_id_number": "12345"},
     ["请填写反映问题摘要", "实名举报须填写举报人姓名", "身份证号应为 18 位"]),
    ({"channel": "fax", "received_on": "not a date"}, ["请选择受理方式", "请填写受理日期"]),
])
def test_bad_registration_is_422_with_chinese_messages_and_nothing_saved(app, world, browser, owner_engine,
                                                                        overrides, messages):
    browser.login("east-intake")
    with app.app_context():
        from core.calendar import today

        if overrides.get("received_on") == "future":
            overrides = {**overrides, "received_on": (today() + timedelta(days=1)).isoformat()}
        form = petition_form(**overrides)
    response = browser.post(f"/u/{world.town}/petitions/new", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert all(m in page for m in messages), page
    assert 'value="村委会主任"' in page  # what was typed is kept
    with owner_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM petitions")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM number_counters")).scalar() == 0


def test_register_is_for_intake_and_officers_only(app, world, browser, factory):
    factory.account("east-reviewer", [(world.town, "reviewer")])
    browser.login("east-reviewer")
    assert browser.get(f"/u/{world.town}/petitions").status_code == 200
    assert "登记信访举报件" not in browser.get(f"/u/{world.town}/petitions").get_data(as_text=True)
    assert browser.get(f"/u/{world.town}/petitions/new").status_code == 404


def test_masking_rules(app):
    from core.petitions.operations import _mask

    assert _mask("name", "张三丰") == "张**" and _mask("name", "王五") == "王*"
    assert _mask("id_number", "11010119900307123X") == "1101**********123X"
    assert _mask("phone", "13812345678") == "138****5678"
    assert _mask("phone", "") == ""
    with app.test_request_context():
        assert _mask("address", "任意地址") == "已加密"


def test_handling_an_unfounded_petition_puts_the_accused_in_the_clearing_pool(app, world, factory):
    """Register through the API (the informant never comes back), verify, conclude 不属实: the accused
    person enters this unit's clearing pool with a link back; feedback to the informant closes it."""
    from tests.conftest import Browser, bearer

    tree = world
    officer = bearer(app, "east-officer")
    client = app.test_client()
    base = f"/api/v1/u/{tree.town}/petitions"
    created = client.post(base, headers=bearer(app, "east-intake"), json={
        "channel": "visit", "received_on": "2026-11-02", "informant": {"name": "赵举报", "phone": "13912345678"},
        "accused_name": "钱某某", "accused_position": "村党支部书记", "accused_work_unit": "东镇前村",
        "summary": "反映征地补偿款发放中优亲厚友"})
    assert created.status_code == 201, created.get_json()
    petition = created.get_json()
    assert "赵举报" not in json.dumps(petition, ensure_ascii=False) and "139" not in json.dumps(petition)
    assert petition["state"] == "registered" and petition["due_on"] is not None

    def step(name, data=None, version=None):
        return client.post(f"{base}/{petition['id']}/transitions", headers=officer, json={
            "transition": name, "data": data or {}, "version": petition["version"] if version is None else version})

    early = step("conclude", {"outcome": "unfounded", "findings": "x"})
    assert early.status_code == 409 and early.get_json()["allowed_transitions"] == ["start", "route"]
    petition = step("start").get_json()
    missing = step("conclude", {"outcome": "maybe"})
    assert missing.status_code == 422 and {"outcome", "findings"} <= set(missing.get_json()["errors"])
    # The county's intake cannot handle another unit's petition.
    assert client.post(f"/api/v1/u/{tree.county}/petitions/{petition['id']}/transitions",
                       headers=bearer(app, "county-leader"), json={"transition": "conclude"}).status_code == 404
    petition = step("conclude", {"outcome": "unfounded", "findings": "经走访核实，补偿款按方案足额发放，反映问题不属实"}).get_json()
    assert petition["state"] == "concluded" and petition["outcome"] == "unfounded"

    pool = client.get(f"/api/v1/u/{tree.town}/clearing-candidates", headers=officer).get_json()
    assert [(c["person_name"], c["reference"], c["person_work_unit"]) for c in pool] == [
        ("钱某某", petition["number"], "东镇前村")]
    assert "赵举报" not in json.dumps(pool, ensure_ascii=False)
    assert client.get(f"/api/v1/u/{tree.town2}/clearing-candidates",
                      headers=bearer(app, "west-intake")).status_code == 404  # not even readable by role there
    town = Browser(app, factory)
    town.login("east-officer")
    page = town.get(f"/u/{tree.town}/petitions/{petition['id']}").get_data(as_text=True)
    assert "data-clearing-candidate" in page and "不属实" in page

    bad = step("feedback", {"given_on": "2026-11-02", "way": "phone", "content": "已告知", "satisfied": "yes"})
    assert bad.status_code == 422 and "given_on" in bad.get_json()["errors"]  # before the conclusion
    closed = step("feedback", {"given_on": petition["concluded_on"], "way": "phone",
                               "content": "已电话告知核查结果", "satisfied": "yes"})
    assert closed.status_code == 200 and closed.get_json()["state"] == "closed"

    from sqlalchemy import select

    from core import context
    from core.extensions import db
    from tenants.models import UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        figures = dict(db.session.execute(select(UnitStat.metric, UnitStat.value).where(
            UnitStat.unit_id == tree.town, UnitStat.period == "")).all())
    assert figures["petitions.received"] == 1 and figures["petitions.open"] == 0
    assert figures["petitions.concluded.unfounded"] == 1 and figures["clearing.candidates"] == 1


def test_a_founded_petition_enters_no_pool_and_an_anonymous_one_closes_without_feedback_ways(app, world, factory):
    from tests.conftest import bearer

    tree = world
    officer = bearer(app, "east-officer")
    client = app.test_client()
    base = f"/api/v1/u/{tree.town}/petitions"
    for anonymous, outcome in ((True, "founded"), (False, "partly")):
        petition = client.post(base, headers=officer, json={
            "channel": "letter", "received_on": "2026-11-02", "anonymous": anonymous,
            "informant": {} if anonymous else {"name": "孙实名"}, "accused_name": "某干部",
            "summary": "反映问题"}).get_json()
        for name, data in (("start", {}), ("conclude", {"outcome": outcome, "findings": "查实"})):
            petition = client.post(f"{base}/{petition['id']}/transitions", headers=officer,
                                   json={"transition": name, "data": data}).get_json()
        feedback = {"given_on": petition["concluded_on"], "content": "已结案"}
        response = client.post(f"{base}/{petition['id']}/transitions", headers=officer,
                               json={"transition": "feedback", "data": feedback})
        if anonymous:
            assert response.status_code == 200 and response.get_json()["feedback"]["way"] == "none"
        else:
            assert response.status_code == 422 and {"way", "satisfied"} <= set(response.get_json()["errors"])
    assert client.get(f"/api/v1/u/{tree.town}/clearing-candidates", headers=officer).get_json() == []
