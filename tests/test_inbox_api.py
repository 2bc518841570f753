"""The inbox API: the unit-scoped form is the documented one; the older /api/v1/inbox still answers with the
caller's entries in every unit it belongs to, each read as that unit, and never another unit's."""
from __future__ import annotations

from tests.conftest import bearer


def _post_entries(app, account_id: int, unit_ids: dict[str, int]) -> None:
    from core import context
    from core.extensions import db
    from core.inbox import operations as inbox_ops
    from tenants.models import Unit

    with app.app_context():
        with context.acting(context.maintenance_context(), db.session):
            for title, unit_id in unit_ids.items():
                inbox_ops.post(db.session.get(Unit, unit_id), f"test:{title}", kind="task", object_type="petitions",
                               object_id=1, title=title, account_id=account_id)
            db.session.commit()


def test_the_older_inbox_form_answers_every_unit_and_is_documented_once(app, factory):
    t = factory.tree()
    officer = factory.account("inbox-officer", [(t.town, "officer"), (t.town2, "officer")])
    stranger = factory.account("inbox-stranger", [(t.other_town, "officer")])
    _post_entries(app, officer, {"东镇待办": t.town, "西镇待办": t.town2})
    _post_entries(app, stranger, {"南镇待办": t.other_town})
    headers = bearer(app, "inbox-officer")
    client = app.test_client()

    every_unit = client.get("/api/v1/inbox", headers=headers)
    assert every_unit.status_code == 200
    assert {(e["unit_id"], e["title"]) for e in every_unit.get_json()} == {(t.town, "东镇待办"), (t.town2, "西镇待办")}

    one_unit = client.get(f"/api/v1/u/{t.town2}/inbox", headers=headers)
    assert [(e["unit_id"], e["title"]) for e in one_unit.get_json()] == [(t.town2, "西镇待办")]
    assert client.get(f"/api/v1/u/{t.other_town}/inbox", headers=headers).status_code == 404

    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "get" in paths["/u/{unit_id}/inbox"] and "/inbox" not in paths
