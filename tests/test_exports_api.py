"""The exports API in its unit-scoped form (/api/v1/u/<unit>/exports, issue 18): it answers as the older form
without the unit, which still answers; an export of another unit or another account is 404 under it."""
from __future__ import annotations

from sqlalchemy import text

from tests.conftest import bearer, run_queued_jobs
from tests.test_exports import register, sheet_rows, world  # noqa: F401  (fixture)


def test_the_unit_scoped_form_asks_follows_and_downloads_as_the_older_form(app, world):
    tree = world
    register(app, tree.town, ["张一", "张一", "李三"])
    client, headers = app.test_client(), bearer(app, "east-intake")
    scoped = f"/api/v1/u/{tree.town}/exports"
    asked = client.post(scoped, json={"kind": "petitions", "filters": {"q": "张一"}}, headers=headers)
    assert asked.status_code == 202, asked.get_json()
    export = asked.get_json()
    assert export["total_rows"] == 2 and export["unit_id"] == tree.town and export["title"] == "信访举报登记台账"
    run_queued_jobs(app)

    done = client.get(f"{scoped}/{export['id']}", headers=headers).get_json()
    older = client.get(f"/api/v1/exports/{export['id']}", headers=headers).get_json()
    assert done["state"] == "done" and done["processed_rows"] == 2
    # The same export either way; each form links the file in its own form.
    assert done["download_url"] == f"{scoped}/{export['id']}/download"
    assert older["download_url"] == f"/api/v1/exports/{export['id']}/download"
    assert {**done, "download_url": None} == {**older, "download_url": None}
    files = [client.get(url, headers=headers) for url in (done["download_url"], older["download_url"])]
    assert all(f.status_code == 200 for f in files)
    assert [r[3] for r in sheet_rows(files[0].data)[1:]] == [r[3] for r in sheet_rows(files[1].data)[1:]] == ["张一"] * 2

    # An export asked through the older form is listed by the new one, and the lists agree.
    older_asked = client.post("/api/v1/exports", json={"kind": "petitions", "unit": tree.town}, headers=headers)
    assert older_asked.status_code == 202
    run_queued_jobs(app)
    listed = client.get(scoped, headers=headers).get_json()["items"]
    assert [e["id"] for e in listed] == [older_asked.get_json()["id"], export["id"]]
    assert [e["id"] for e in listed] == [
        e["id"] for e in client.get(f"/api/v1/exports?unit={tree.town}", headers=headers).get_json()["items"]]
    # A done export is not retried, in either form; a kind that does not exist is refused as before.
    assert client.post(f"{scoped}/{export['id']}/retry", headers=headers).status_code == 409
    assert client.post(f"/api/v1/exports/{export['id']}/retry", headers=headers).status_code == 409
    bad = client.post(scoped, json={"kind": "informants"}, headers=headers)
    assert bad.status_code == 422 and "kind" in bad.get_json()["errors"]


def test_a_failed_export_is_retried_under_the_unit_scoped_form(app, world, owner_engine):
    tree = world
    register(app, tree.town, ["张一"])
    client, headers = app.test_client(), bearer(app, "east-intake")
    scoped = f"/api/v1/u/{tree.town}/exports"
    export_id = client.post(scoped, json={"kind": "petitions"}, headers=headers).get_json()["id"]
    run_queued_jobs(app)
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE exports SET state = 'failed', failure = 'x' WHERE id = :id"), {"id": export_id})
    again = client.post(f"{scoped}/{export_id}/retry", headers=headers)
    assert again.status_code == 202 and again.get_json()["id"] == export_id
    run_queued_jobs(app)
    assert client.get(f"{scoped}/{export_id}", headers=headers).get_json()["state"] == "done"


def test_another_units_or_another_accounts_export_is_404_under_the_unit_scoped_form(app, world, factory):
    tree = world
    factory.account("both-intake", [(tree.town, "intake"), (tree.town2, "intake")])
    register(app, tree.town, ["张一"])
    client = app.test_client()
    owner = bearer(app, "both-intake")  # an intake officer of both townships
    export_id = client.post(f"/api/v1/u/{tree.town}/exports", json={"kind": "petitions"}, headers=owner
                            ).get_json()["id"]
    run_queued_jobs(app)
    paths = [f"/exports/{export_id}", f"/exports/{export_id}/download"]
    assert all(client.get(f"/api/v1/u/{tree.town}{p}", headers=owner).status_code == 200 for p in paths)
    # The owner, at its other unit: the export is 东镇's, not 西镇's.
    for path in paths:
        assert client.get(f"/api/v1/u/{tree.town2}{path}", headers=owner).status_code == 404, path
    assert client.post(f"/api/v1/u/{tree.town2}/exports/{export_id}/retry", headers=owner).status_code == 404
    assert client.get(f"/api/v1/u/{tree.town2}/exports", headers=owner).get_json()["items"] == []
    # The older form still finds it, at whichever unit of the owner holds it.
    assert client.get(f"/api/v1/exports/{export_id}", headers=owner).get_json()["unit_id"] == tree.town
    # Another township's intake, at its own unit and at the owner's; the owner's unit's leader at that unit.
    for username, unit in (("west-intake", tree.town2), ("west-intake", tree.town), ("east-leader", tree.town)):
        headers = bearer(app, username)
        for path in paths:
            assert client.get(f"/api/v1/u/{unit}{path}", headers=headers).status_code == 404, (username, path)
        assert client.post(f"/api/v1/u/{unit}/exports/{export_id}/retry", headers=headers).status_code == 404
    assert client.get(f"/api/v1/u/{tree.town}/exports", headers=bearer(app, "east-leader")).get_json()["items"] == []
