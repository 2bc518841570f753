"""Supervision items: registered supervision opens a township's record to its county while open,
rectification orders and their Word document, escalation of overdue items with frozen time."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import time_machine
from sqlalchemy import func, select

from tests.conftest import Browser, bearer

MONDAY = datetime(2026, 11, 16, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing


def _petition(app, unit_id):
    from core import context
    from core.extensions import db
    from core.petitions import operations as petition_ops
    from tenants.models import Unit

    with app.app_context():
        with context.acting(context.maintenance_context(), db.session):
            petition = petition_ops.register_petition(
                db.session.get(Unit, unit_id), dict(channel="visit", received_on=datetime(2026, 11, 2).date(),
                anonymous=False, informant={"name": "赵举报", "phone": "13912345678", "id_number": ""},
                accused_name="钱某某", accused_position="村党支部书记", summary="反映征地补偿款发放问题"))
            db.session.commit()
            return petition.id, petition.number


def test_registered_supervision_shows_the_record_to_the_county_only_while_open(app, factory):
    tree = factory.tree()
    factory.account("county-boss", [(tree.county, "leader")])
    factory.account("other-county-boss", [(tree.other_county, "leader")])
    factory.account("west-officer", [(tree.town2, "officer")])
    petition_id, number = _petition(app, tree.town2)
    petition_url = f"/u/{tree.county}/petitions/{petition_id}"
    with time_machine.travel(MONDAY, tick=False):
        county = Browser(app, factory)
        county.login("county-boss")
        assert county.get(petition_url).status_code == 404  # not before the supervision

        headers = bearer(app, "county-boss")
        response = app.test_client().post(f"/api/v1/u/{tree.county}/supervision-items", headers=headers, json={
            "kind": "registered", "recipient_unit_id": tree.town2, "title": "征地补偿款问题挂号督办",
            "due_on": "2026-12-15", "report_cadence": "weekly:1", "subject_number": number})
        assert response.status_code == 201, response.get_json()
        item = response.get_json()
        assert item["number"] == "甲纪督〔2026〕1号" and item["subject_label"] == number  # never the person's name

        page = county.get(petition_url).get_data(as_text=True)
        assert "钱某某" in page and "反映征地补偿款发放问题" in page
        assert "赵举报" not in page and "13912345678" not in page and "139" not in page  # not even masked
        # Another county never sees it, by any URL of its own.
        other = Browser(app, factory)
        other.login("other-county-boss")
        assert other.get(f"/u/{tree.other_county}/petitions/{petition_id}").status_code == 404
        assert other.get(f"/u/{tree.other_county}/supervision/{item['id']}").status_code == 404

        # The township reports progress weekly; the county withdraws the item once it is settled.
        town_headers = bearer(app, "west-officer")
        progress = app.test_client().post(f"/api/v1/u/{tree.town2}/supervision-items/{item['id']}/steps",
                                          headers=town_headers, json={"step": "progress", "body": "已约谈当事人"})
        assert progress.status_code == 200 and progress.get_json()["state"] == "in_progress"
        assert progress.get_json()["next_report_on"] == "2026-11-23"
        # The receiver may not take the issuer's steps.
        assert app.test_client().post(f"/api/v1/u/{tree.town2}/supervision-items/{item['id']}/steps",
                                      headers=town_headers, json={"step": "accept"}).status_code == 404
        no_reason = app.test_client().post(f"/api/v1/u/{tree.county}/supervision-items/{item['id']}/steps",
                                           headers=headers, json={"step": "close"})
        assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
        closed = app.test_client().post(f"/api/v1/u/{tree.county}/supervision-items/{item['id']}/steps",
                                        headers=headers, json={"step": "close", "reason": "问题已查清"})
        assert closed.get_json()["state"] == "closed"
        assert county.get(petition_url).status_code == 404  # the share ended with the item
        assert "data-subject" not in county.get(f"/u/{tree.county}/supervision/{item['id']}").get_data(as_text=True)


def test_bad_supervision_items_are_refused(app, factory):
    tree = factory.tree()
    factory.account("county-boss", [(tree.county, "leader")])
    headers = bearer(app, "county-boss")
    with time_machine.travel(MONDAY, tick=False):
        cases = [
            ({"kind": "assigned", "recipient_unit_id": tree.other_town, "title": "交办", "due_on": "2026-12-01"},
             "recipient_unit_id"),
            ({"kind": "assigned", "recipient_unit_id": tree.town, "title": "交办", "due_on": "2026-11-01"}, "due_on"),
            ({"kind": "rectification", "recipient_unit_id": tree.town, "title": "整改", "due_on": "2026-12-01"},
             "problems"),
            ({"kind": "registered", "recipient_unit_id": tree.town, "title": "挂号", "due_on": "2026-12-01",
              "report_cadence": "weekly:1", "subject_number": "不存在〔2026〕9号"}, "subject_number"),
            ({"kind": "registered", "recipient_unit_id": tree.town, "title": "挂号", "due_on": "2026-12-01",
              "subject_number": "x"}, "report_cadence"),
        ]
        for body, field in cases:
            response = app.test_client().post(f"/api/v1/u/{tree.county}/supervision-items", headers=headers, json=body)
            assert response.status_code == 422 and field in response.get_json()["errors"], (body, response.get_json())
        assert app.test_client().get(f"/api/v1/u/{tree.county}/supervision-items", headers=headers).get_json() == []


def _inbox_kinds(app, unit_id):
    from core import context
    from core.extensions import db
    from core.inbox.models import InboxItem

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return sorted(db.session.scalars(select(InboxItem.kind).where(InboxItem.unit_id == unit_id,
                                                                      InboxItem.kind != "task")))


def test_overdue_items_escalate_to_the_leader_then_the_issuer_once_each(app, factory):
    from core.supervision.jobs import scan_supervision_deadlines

    tree = factory.tree()
    factory.account("county-boss", [(tree.county, "leader")])
    factory.account("east-secretary", [(tree.town, "leader")])
    headers = bearer(app, "county-boss")
    with time_machine.travel(MONDAY, tick=False):
        item = app.test_client().post(f"/api/v1/u/{tree.county}/supervision-items", headers=headers, json={
            "kind": "assigned", "recipient_unit_id": tree.town, "title": "交办：群众反映低保问题",
            "due_on": "2026-11-18"}).get_json()

    def scan(moment):
        with time_machine.travel(moment, tick=False), app.app_context():
            return scan_supervision_deadlines()

    assert scan(MONDAY)["due_soon"] == 1
    assert scan(MONDAY) == {"due_soon": 0, "overdue": 0, "escalated": 0, "report_late": 0}  # not twice
    thursday = datetime(2026, 11, 19, 2, tzinfo=timezone.utc)
    assert scan(thursday)["overdue"] == 1 and scan(thursday)["overdue"] == 0
    assert _inbox_kinds(app, tree.town) == ["due_soon", "overdue"]
    assert _inbox_kinds(app, tree.county) == []  # one working day late: still the township's own matter
    friday = datetime(2026, 11, 20, 2, tzinfo=timezone.utc)
    assert scan(friday)["escalated"] == 1 and scan(friday)["escalated"] == 0
    assert _inbox_kinds(app, tree.county) == ["escalation"]

    # The township's secretary sees the warning in the header count; the issuer records a talk.
    with time_machine.travel(friday, tick=False):
        secretary = Browser(app, factory)
        secretary.login("east-secretary")
        home = secretary.get(f"/u/{tree.town}/").get_data(as_text=True)
        assert 'data-inbox-count="3"' in home  # the task, due soon, overdue
        county = Browser(app, factory)
        county.login("county-boss")
        page = county.get(f"/u/{tree.county}/supervision/{item['id']}").get_data(as_text=True)
        assert "记录约谈" in page and "逾期" in page
        talk = county.post(f"/u/{tree.county}/supervision/{item['id']}/talk", {
            "who": "县纪委副书记", "whom": "东镇纪委书记", "held_on": "2026-11-20", "reason": "交办件逾期未办结",
            "outcome": "限期三个工作日内办结"}, form_page=f"/u/{tree.county}/supervision/{item['id']}",
            follow_redirects=True).get_data(as_text=True)
        assert "约谈已记录：甲纪督〔2026〕2号" in talk and "限期三个工作日内办结" in talk
    assert _inbox_kinds(app, tree.county) == ["escalation"]  # handled: closed, not deleted


def test_rectification_order_downloads_as_word(app, factory):
    from docx import Document

    tree = factory.tree()
    factory.account("county-boss", [(tree.county, "leader")])
    headers = bearer(app, "county-boss")
    with time_machine.travel(MONDAY, tick=False):
        item = app.test_client().post(f"/api/v1/u/{tree.county}/supervision-items", headers=headers, json={
            "kind": "rectification", "recipient_unit_id": tree.town, "title": "2026年第三季度澄清正名工作检查",
            "due_on": "2026-12-10", "problems": [{"description": "回访记录不全", "requirement": "补齐一人四访记录"},
                                                 {"description": "澄清通知书未存档"}]}).get_json()
        county = Browser(app, factory)
        county.login("county-boss")
        response = county.get(f"/u/{tree.county}/supervision/{item['id']}/document.docx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    document = Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "整改交办单" in text and "甲纪督〔2026〕1号" in text and "东镇" in text and "2026年12月10日" in text
    assert "回访记录不全" in cells and "补齐一人四访记录" in cells and "澄清通知书未存档" in cells


def test_supervision_order_names_any_report_weekday(app, factory):
    """A Saturday cadence (weekly:6, allowed by the API) prints as 每周六 in the 督办单."""
    from docx import Document

    tree = factory.tree()
    factory.account("county-boss", [(tree.county, "leader")])
    with time_machine.travel(MONDAY, tick=False):
        item = app.test_client().post(f"/api/v1/u/{tree.county}/supervision-items", headers=bearer(app, "county-boss"),
                                      json={"kind": "assigned", "recipient_unit_id": tree.town, "title": "交办件",
                                            "due_on": "2026-12-10", "report_cadence": "weekly:6"}).get_json()
        county = Browser(app, factory)
        county.login("county-boss")
        response = county.get(f"/u/{tree.county}/supervision/{item['id']}/document.docx")
    assert response.status_code == 200
    assert "每周六报送进展" in "\n".join(p.text for p in Document(io.BytesIO(response.data)).paragraphs)


def test_the_demo_province_holds_overdue_supervision_and_registered_petitions(app, factory):
    """The seeders of the lower areas, in their order (supervision, petitions, directives): 松林县's assignment and
    its registered supervision of 河口镇's petition both a week late and escalated to the county, the talk about
    the assignment, 城关镇's petition open to the county under registration, and the province's campaign with
    eight of sixty townships' returns filed."""
    from core import calendar, context
    from core.areas import installed
    from core.directives.models import Directive, DirectiveReturn
    from core.extensions import db
    from core.inbox.models import InboxItem
    from core.supervision.models import SupervisionItem
    from tenants.demo import DEMO_PASSWORD, build_demo
    from tenants.models import Share, Unit

    lower = ("core.supervision.demo", "core.petitions.demo", "core.directives.demo")
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        build_demo()
        db.session.commit()
        seeders = [seed for seed in installed(app).demo_seeders if seed.__module__ in lower]
        assert [seed.__module__ for seed in seeders] == list(lower)
        for seed in seeders:
            seed()
            db.session.commit()
        units = {u.code: u.id for u in db.session.scalars(select(Unit))}
        items = {i.title: i for i in db.session.scalars(select(SupervisionItem))}
        late = items["交办：集体资产侵占问题线索"]
        late_report = items["扶贫项目资金问题挂号督办"]
        in_time = items["征地补偿款问题挂号督办"]
        assert (late.escalation, late_report.escalation, in_time.escalation) == (2, 2, 0)
        assert late.due_on < calendar.today() and late_report.due_on == late.due_on
        assert items["约谈：镇纪委书记"].parent_id == late.id
        assert {(i.recipient_unit_id, i.subject_label[:2]) for i in (in_time, late_report)} == {
            (units["990121001"], "城关"), (units["990121004"], "河口")}
        assert all(db.session.get(Share, i.share_id).revoked_at is None for i in (in_time, late_report))
        escalations = db.session.scalars(select(InboxItem.object_id).where(
            InboxItem.unit_id == units["990121"], InboxItem.kind == "escalation")).all()
        assert sorted(escalations) == sorted([late.id, late_report.id])
        campaign = db.session.scalar(select(Directive).where(Directive.title == "全省信访积案动态清零专项行动"))
        assert db.session.scalar(select(func.count(DirectiveReturn.id)).where(
            DirectiveReturn.directive_id == campaign.id)) == 8
    county = Browser(app, factory)
    county.login("county-leader", DEMO_PASSWORD)
    page = county.get(f"/u/{units['990121']}/supervision").get_data(as_text=True)
    assert page.count("挂号督办") >= 2 and "交办：集体资产侵占问题线索" in page
