"""An open item of a C village's plan corrected (its measure, the responsible person, its deadline with the reason):
the overdue figure follows the new deadline, a moved deadline without its reason and a closed item are refused in
Chinese with nothing saved, every change is audited old and new, and a sibling township gets 404."""
from __future__ import annotations

import json

from datetime import timedelta

from sqlalchemy import select

from core import calendar, context
from core.extensions import db
from tests.conftest import bearer
from tests.test_villages import _graded, _people, _plan, _round, _stats, _village


def test_an_open_item_is_corrected_and_its_deadline_moved_with_a_reason(app, factory, browser):
    from core.audit.models import AuditEvent
    from core.villages.models import VillagePlan

    tree = factory.tree()
    people = _people(factory, tree)
    village_id = _village(app, tree, people, "双溪村", "202")
    _graded(app, tree, people, village_id, _round(app, tree, people), 60, days_ago=40)
    plan_id = _plan(app, people, village_id, issued_days_ago=30, deadlines=(10, 200))
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        late, later = [(i.id, i.version) for i in db.session.get(VillagePlan, plan_id).items]
    assert _stats(app, tree.town)["villages.plan_items.overdue"] == 1

    browser.login("v-officer")
    plan_url = f"/u/{tree.town}/villages/plans/{plan_id}"
    page = browser.get(plan_url).get_data(as_text=True)
    assert "data-edit-item" in page
    new_deadline = (calendar.today() + timedelta(days=20)).isoformat()
    refused = browser.post(f"{plan_url}/items/{late[0]}", data={"deadline": new_deadline, "measure": "措施1（细化）",
                                                               "responsible": "蒋联村", "reason": ""})
    assert refused.status_code == 422 and "调整整改时限须填写理由" in refused.get_data(as_text=True)
    assert _stats(app, tree.town)["villages.plan_items.overdue"] == 1
    saved = browser.post(f"{plan_url}/items/{late[0]}", data={
        "deadline": new_deadline, "measure": "措施1（细化）", "responsible": "周联村", "reason": "需等县里测绘结果"})
    assert saved.status_code == 302
    assert _stats(app, tree.town)["villages.plan_items.overdue"] == 0
    text = browser.get(plan_url).get_data(as_text=True)
    assert "措施1（细化）" in text and "周联村" in text
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        detail = json.loads(db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "village_plan.update_item")).one())
    assert detail["reason"] == "需等县里测绘结果"
    assert detail["changed"]["responsible"] == {"from": "蒋联村", "to": "周联村"}

    # Through the API: a field alone; a closed item cannot change; a sibling township gets 404.
    client = app.test_client()
    base = f"/api/v1/u/{tree.town}/village-plans/{plan_id}/items/{later[0]}"
    officer = bearer(app, "v-officer")
    r = client.patch(base, headers=officer, json={"measure": "措施2（补充）"})
    assert r.status_code == 200 and r.get_json()["measure"] == "措施2（补充）"
    assert client.post(f"{base}/close", headers=officer, json={"evidence": "已整改"}).status_code == 200
    r = client.patch(base, headers=officer, json={"measure": "再改"})
    assert r.status_code == 422 and "只有未销号的问题可以修改" in str(r.get_json())
    stranger = bearer(app, "v-west-leader")
    assert client.patch(base, headers=stranger, json={"measure": "x"}).status_code == 404
    assert client.patch(base.replace(f"/u/{tree.town}/", f"/u/{tree.town2}/"), headers=stranger,
                        json={"measure": "x"}).status_code == 404
