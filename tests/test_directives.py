"""Directives and campaigns: a province's weekly return reaches every township, rolls up, is chased and forwarded."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import time_machine
from sqlalchemy import func, select

from tests.conftest import bearer

# Wednesday 18 November 2026, 10:00 in Beijing.
WEDNESDAY = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)
NEXT_TUESDAY = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)


def _demo(app, factory):
    """The demo province plus test accounts at some of its units, keyed by unit code."""
    from core import context
    from core.extensions import db
    from tenants.demo import build_demo
    from tenants.models import Unit

    with app.app_context():
        with context.acting(context.maintenance_context(), db.session):
            build_demo()
            db.session.commit()
            units = {u.code: (u.id, u.level, u.path) for u in db.session.scalars(select(Unit))}
    factory.account("p-leader", [(units["990000"][0], "leader")])
    factory.account("c-leader", [(units["990100"][0], "leader")])
    for code in ("990121001", "990121002", "990221001"):
        factory.account(f"t-{code}", [(units[code][0], "officer")])
    return units


def _send_weekly(app, units, headers):
    province = units["990000"][0]
    response = app.test_client().post(f"/api/v1/u/{province}/directives", headers=headers, json={
        "kind": "campaign", "title": "信访积案动态清零周报", "body": "请各乡镇每周一报送。",
        "audience": {"mode": "levels", "levels": ["township"]},
        "return_fields": [{"key": "stock", "label": "积案存量", "type": "number", "required": True},
                          {"key": "closed", "label": "本周化解", "type": "number", "required": True},
                          {"key": "note", "label": "说明", "type": "text"}],
        "return_cadence": "weekly:1",
        "phases": [{"name": "集中排查", "starts_on": "2026-11-16", "ends_on": "2026-11-30"},
                   {"name": "动态清零", "starts_on": "2026-12-01", "ends_on": "2026-12-31"}],
    })
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_weekly_return_reaches_every_township_rolls_up_and_names_the_late(app, factory):
    units = _demo(app, factory)
    townships = {uid for uid, level, _ in units.values() if level == "township"}
    with time_machine.travel(WEDNESDAY, tick=False):
        headers = bearer(app, "p-leader")
        directive_id = _send_weekly(app, units, headers)
        province = units["990000"][0]
        tracking = app.test_client().get(f"/api/v1/u/{province}/directives/{directive_id}/receipts",
                                         headers=headers).get_json()
        assert {r["unit_id"] for r in tracking["receipts"]} == townships and len(townships) == 60

        # A township sees the campaign, its current phase and the period it must file.
        town = units["990121001"][0]
        t_headers = bearer(app, "t-990121001")
        seen = app.test_client().get(f"/api/v1/u/{town}/directives/{directive_id}", headers=t_headers).get_json()
        assert seen["current_phase"] == "集中排查"
        assert seen["current_period"] == {"key": "2026-11-23", "due_on": "2026-11-23", "due_on_estimated": False}
        inbox = app.test_client().get("/api/v1/inbox", headers=t_headers).get_json()
        assert any("信访积案动态清零周报" in e["title"] and e["due_on"] == "2026-11-23" for e in inbox)

        # A return that misses a required field is refused with the field named, and nothing is filed.
        bad = app.test_client().post(f"/api/v1/u/{town}/directives/{directive_id}/returns", headers=t_headers,
                                     json={"period": "2026-11-23", "values": {"stock": 3}})
        assert bad.status_code == 422 and "closed" in bad.get_json()["errors"]

        for code, stock, closed in (("990121001", 5, 2), ("990121002", 3, 1), ("990221001", 7, 4)):
            response = app.test_client().post(
                f"/api/v1/u/{units[code][0]}/directives/{directive_id}/returns", headers=bearer(app, f"t-{code}"),
                json={"period": "2026-11-23", "values": {"stock": stock, "closed": closed, "note": "按期报送"}})
            assert response.status_code == 201, response.get_json()

    with time_machine.travel(NEXT_TUESDAY, tick=False):
        tracking = app.test_client().get(f"/api/v1/u/{province}/directives/{directive_id}/receipts?period=2026-11-23",
                                         headers=headers).get_json()
        rollup = tracking["rollup"]
        assert rollup["totals"] == {"stock": 15, "closed": 7}
        assert (rollup["returned"], rollup["expected"]) == (3, 60)
        by_city = {c["unit_name"]: c for c in rollup["by_child"]}
        assert by_city["青山市"]["sums"] == {"stock": 8, "closed": 3} and by_city["青山市"]["returned"] == 2
        assert by_city["清河市"]["sums"] == {"stock": 7, "closed": 4}
        late = set(tracking["late"]["2026-11-23"])
        assert late == townships - {units[c][0] for c in ("990121001", "990121002", "990221001")}

        # The tracking page names the late units and offers the one-click reminder.
        from tests.conftest import Browser

        browser = Browser(app, factory)
        browser.login("p-leader")
        page = browser.get(f"/u/{province}/directives/{directive_id}?period=2026-11-23").get_data(as_text=True)
        assert page.count("data-late") == 57 and "逾期未报" in page
        reminded = browser.post(f"/u/{province}/directives/{directive_id}/remind", {"period": "2026-11-23"},
                                form_page=f"/u/{province}/directives/{directive_id}")
        assert reminded.status_code == 302
        again = browser.post(f"/u/{province}/directives/{directive_id}/remind", {"period": "2026-11-23"},
                             form_page=f"/u/{province}/directives/{directive_id}", follow_redirects=True)
        assert "已向 0 个单位发出催办" in again.get_data(as_text=True)  # once a day per unit
        late_town = units["990122001"][0]
        with app.app_context():
            from core import context
            from core.extensions import db
            from core.inbox.models import InboxItem

            with context.acting(context.maintenance_context(), db.session):
                reminders = db.session.scalar(select(func.count(InboxItem.id)).where(
                    InboxItem.kind == "reminder", InboxItem.unit_id == late_town))
                on_time = db.session.scalar(select(func.count(InboxItem.id)).where(
                    InboxItem.kind == "reminder", InboxItem.unit_id == units["990121001"][0]))
        assert (reminders, on_time) == (1, 0)


def test_a_city_forwards_with_additions_to_its_own_subtree(app, factory):
    units = _demo(app, factory)
    with time_machine.travel(WEDNESDAY, tick=False):
        directive_id = _send_weekly(app, units, bearer(app, "p-leader"))
        # The city is not a receiver of a township-level directive: give it one of its own.
        province = units["990000"][0]
        response = app.test_client().post(f"/api/v1/u/{province}/directives", headers=bearer(app, "p-leader"), json={
            "title": "关于做好澄清正名工作的通知", "audience": {"mode": "levels", "levels": ["city"]},
            "requires_ack": True})
        to_cities = response.get_json()["id"]
        city = units["990100"][0]
        from tests.conftest import Browser

        browser = Browser(app, factory)
        browser.login("c-leader")
        page = browser.get(f"/u/{city}/directives/{to_cities}").get_data(as_text=True)
        assert "转发到下辖单位" in page
        form_page = f"/u/{city}/directives/{to_cities}/forward"
        forwarded = browser.post(form_page, {
            "kind": "directive", "title": "转发：关于做好澄清正名工作的通知", "body": "请各县区于月底前报送本地典型案例。",
            "requires_ack": "1", "audience_mode": "levels", "levels": ["county", "township"],
            "field_label_0": "典型案例数", "field_type_0": "number", "field_required_0": "1",
            "schedule": "once", "return_due_on": "2026-11-30"})
        assert forwarded.status_code == 302, forwarded.get_data(as_text=True)
        forwarded_id = int(forwarded.location.rstrip("/").split("/")[-1])
        track = browser.get(f"/u/{city}/directives/{forwarded_id}").get_data(as_text=True)
        assert "转发自：示例省《关于做好澄清正名工作的通知》" in track
        assert track.count("<tr>") + track.count("<tr ") >= 4 * 6 + 4  # 4 counties, 24 townships (+ header rows)

        # A township of the city sees the forward with the city's additions; one of another city does not.
        town = units["990121001"][0]
        t_browser = Browser(app, factory)
        t_browser.login("t-990121001")
        inbox_page = t_browser.get(f"/u/{town}/directives").get_data(as_text=True)
        assert "转发：关于做好澄清正名工作的通知" in inbox_page
        seen = t_browser.get(f"/u/{town}/directives/{forwarded_id}").get_data(as_text=True)
        assert "请各县区于月底前报送本地典型案例。" in seen and "典型案例数" in seen
        other = Browser(app, factory)
        other.login("t-990221001")
        assert other.get(f"/u/{units['990221001'][0]}/directives/{forwarded_id}").status_code == 404
        # The original sender still tracks its own directive only.
        assert directive_id != forwarded_id


def test_bad_directives_are_refused_with_reasons_and_nothing_is_saved(app, factory):
    tree = factory.tree()
    factory.account("county-boss", [(tree.county, "leader")])
    factory.account("town-boss", [(tree.town, "leader")])
    headers = bearer(app, "county-boss")
    client = app.test_client()
    base = {"title": "通知", "audience": {"mode": "all"}}
    with time_machine.travel(WEDNESDAY, tick=False):
        cases = [
            ({**base, "audience": {"mode": "units", "unit_ids": [tree.other_town]}}, "audience"),
            ({**base, "return_fields": [{"label": "数", "type": "number"}], "return_cadence": "monthly:31"},
             "return_cadence"),
            ({**base, "return_fields": [{"label": "数", "type": "number"}], "return_cadence": "fortnightly"},
             "return_cadence"),
            ({**base, "return_fields": [{"label": "数", "type": "number"}], "return_due_on": "2026-11-01"},
             "return_due_on"),
            ({**base, "return_fields": [{"label": "数", "type": "number"}]}, "return_cadence"),
            ({**base, "kind": "campaign"}, "phases"),
            ({**base, "kind": "campaign", "phases": [{"name": "排查", "starts_on": "2026-12-01",
                                                      "ends_on": "2026-11-20"}]}, "phases"),
        ]
        for body, field in cases:
            response = client.post(f"/api/v1/u/{tree.county}/directives", headers=headers, json=body)
            assert response.status_code == 422, body
            assert field in response.get_json()["errors"], (body, response.get_json())
        listed = client.get(f"/api/v1/u/{tree.county}/directives", headers=headers).get_json()
        assert listed["sent"] == []
        # A township leader has nobody below to steer: the route does not exist for it.
        assert client.post(f"/api/v1/u/{tree.town}/directives", headers=bearer(app, "town-boss"),
                           json=base).status_code == 404


def test_deadline_job_posts_each_warning_once(app, factory):
    from core.directives.jobs import scan_directive_deadlines

    tree = factory.tree()
    factory.account("county-boss", [(tree.county, "leader")])
    with time_machine.travel(WEDNESDAY, tick=False):
        sent = app.test_client().post(f"/api/v1/u/{tree.county}/directives", headers=bearer(app, "county-boss"), json={
            "title": "月报", "audience": {"mode": "all"}, "requires_ack": False,
            "return_fields": [{"label": "件数", "type": "number"}], "return_cadence": "weekly:1"})
        assert sent.status_code == 201, sent.get_json()
    counts = []
    for moment in (datetime(2026, 11, 20, 2, tzinfo=timezone.utc),  # Friday: due Monday is the next working day
                   datetime(2026, 11, 20, 6, tzinfo=timezone.utc),  # the same day again
                   datetime(2026, 11, 24, 2, tzinfo=timezone.utc)):  # Tuesday: overdue
        with time_machine.travel(moment, tick=False), app.app_context():
            counts.append(scan_directive_deadlines())
    assert counts[0]["reminders"] == 2 and counts[0]["due_soon"] == 2, counts  # the two townships
    assert counts[1] == {"tasks": 0, "due_soon": 0, "reminders": 0, "overdue": 0}
    assert counts[2]["overdue"] == 2 and counts[2]["tasks"] == 2  # and the new period's task


def _one_directive_to_a_township(app, factory):
    """A county's directive needing 签收 at its townships, and the officer of one of them."""
    tree = factory.tree()
    factory.account("county-boss", [(tree.county, "leader")])
    factory.account("town-hand", [(tree.town, "officer")])
    sent = app.test_client().post(f"/api/v1/u/{tree.county}/directives", headers=bearer(app, "county-boss"), json={
        "title": "关于开展专项检查的通知", "audience": {"mode": "levels", "levels": ["township"]},
        "requires_ack": True})
    assert sent.status_code == 201, sent.get_json()
    return tree, sent.get_json()["id"]


def _receipt_and_audit(app, directive_id, town):
    from core import context
    from core.audit.models import AuditEvent
    from core.directives.models import DirectiveReceipt
    from core.extensions import db

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        receipt = db.session.scalar(select(DirectiveReceipt).where(DirectiveReceipt.directive_id == directive_id,
                                                                   DirectiveReceipt.unit_id == town))
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.unit_id == town)).all()
        return (receipt.state, receipt.acknowledged_at), [(e.action, e.outcome, e.detail) for e in events]


def test_a_township_signs_for_a_directive_in_the_browser(app, factory):
    from tests.conftest import Browser

    tree, directive_id = _one_directive_to_a_township(app, factory)
    browser = Browser(app, factory)
    browser.login("town-hand")
    page = f"/u/{tree.town}/directives/{directive_id}"
    assert "签收" in browser.get(page).get_data(as_text=True)
    signed = browser.post(f"{page}/acknowledge", form_page=page)
    assert signed.status_code == 302 and signed.location.endswith(page)
    assert "已签收" in browser.get(page).get_data(as_text=True)
    (status, acknowledged_at), _events = _receipt_and_audit(app, directive_id, tree.town)
    assert status == "acknowledged" and acknowledged_at is not None


def test_a_request_that_fails_leaves_a_failure_in_the_audit_trail(app, factory, monkeypatch):
    """An unexpected error answers 500, saves nothing of the request, and is audited as failed."""
    from core.directives import operations as directive_ops
    from tests.conftest import Browser

    tree, directive_id = _one_directive_to_a_township(app, factory)

    def broken(receipt):
        receipt.acknowledged_at = datetime.now(timezone.utc)
        raise RuntimeError("a defect")

    monkeypatch.setattr(directive_ops, "acknowledge", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # answer as in production, not raise
    browser = Browser(app, factory)
    browser.login("town-hand")
    page = f"/u/{tree.town}/directives/{directive_id}"
    failed = browser.post(f"{page}/acknowledge", form_page=page)
    assert failed.status_code == 500 and "系统错误" in failed.get_data(as_text=True)
    (status, acknowledged_at), events = _receipt_and_audit(app, directive_id, tree.town)
    assert (status, acknowledged_at) == ("received", None)
    failures = [json.loads(detail) for action, outcome, detail in events if outcome == "failed"]
    assert len(failures) == 1 and failures[0]["path"] == f"{page}/acknowledge", events
