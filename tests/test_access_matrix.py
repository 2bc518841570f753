"""The access module and DESIGN's matrix agree: where the matrix says "figures only", no record or downward item."""
from __future__ import annotations

from tests.conftest import bearer


def test_an_analyst_does_not_track_the_directives_its_unit_sent(app, factory):
    tree = factory.tree()
    factory.account("county-lead", [(tree.county, "leader")])
    factory.account("county-stats", [(tree.county, "analyst")])
    client = app.test_client()
    sent = client.post(f"/api/v1/u/{tree.county}/directives", headers=bearer(app, "county-lead"), json={
        "title": "分析员不应看到的通知", "body": "请各乡镇每周一报送。",
        "audience": {"mode": "units", "unit_ids": [tree.town]},
        "return_fields": [{"key": "n", "label": "件数", "type": "number", "required": True}],
        "return_cadence": "weekly:1"})
    assert sent.status_code == 201, sent.get_json()
    directive_id = sent.get_json()["id"]
    analyst = bearer(app, "county-stats")
    listing = client.get(f"/api/v1/u/{tree.county}/directives", headers=analyst)
    assert "分析员不应看到的通知" not in listing.get_data(as_text=True)
    assert client.get(f"/api/v1/u/{tree.county}/directives/{directive_id}", headers=analyst).status_code == 404
    assert client.get(f"/api/v1/u/{tree.county}/directives/{directive_id}/receipts",
                      headers=analyst).status_code == 404
