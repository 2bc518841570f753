"""Attachments through the JSON API (multipart upload, list, download, archive) and the streaming seal under them:
a file comes back byte-identical, a mismatched one is refused with nothing stored, an informant's file asks a
reason, a sibling township gets 404; the sealed stream detects an altered, cut, reordered or foreign segment."""
from __future__ import annotations

import io
import json
import os

import pytest
from sqlalchemy import text

from core import context, crypto
from core.extensions import db
from tests.conftest import bearer
from tests.test_attachments import pdf_bytes, png_bytes, rows, stored_files


@pytest.fixture(autouse=True)
def own_storage(app, owner_engine, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    yield
    with owner_engine.begin() as conn:
        conn.execute(text("DELETE FROM attachments"))


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    for name, unit, role in (("api-officer", tree.town, "officer"), ("api-intake", tree.town, "intake"),
                             ("api-leader", tree.town, "leader"), ("api-west", tree.town2, "officer")):
        factory.account(name, [(unit, role)])
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from core import calendar
        from core.petitions import operations as petition_ops
        from tenants.models import Unit

        petition = petition_ops.register_petition(db.session.get(Unit, tree.town), dict(
            channel="letter", received_on=calendar.today(), anonymous=False, informant={"name": "周举报"},
            accused_name="吴某", summary="反映吴某问题"))
        db.session.commit()
        return {"tree": tree, "petition_id": petition.id}


def _upload(app, headers, unit_id, petition_id, files, **fields):
    data = {"record_type": "petitions", "record_id": str(petition_id), **fields,
            "file": [(io.BytesIO(content), name) for name, content in files]}
    return app.test_client().post(f"/api/v1/u/{unit_id}/attachments", data=data, headers=headers,
                                  content_type="multipart/form-data")


def test_upload_list_download_byte_identical_then_archive(app, world):
    tree, petition_id = world["tree"], world["petition_id"]
    headers = bearer(app, "api-officer")
    scan = pdf_bytes("scanned transcript")
    response = _upload(app, headers, tree.town, petition_id, [("笔录.pdf", scan)])
    assert response.status_code == 201, response.get_json()
    [item] = response.get_json()["items"]
    assert (item["filename"], item["kind"], item["size"], item["informant"]) == ("笔录.pdf", "pdf", len(scan), False)
    assert item["kind_label"] == "PDF 文档" and len(item["sm3"]) == 64
    client = app.test_client()
    listed = client.get(f"/api/v1/u/{tree.town}/attachments?record_type=petitions&record_id={petition_id}",
                        headers=headers).get_json()["items"]
    assert [i["id"] for i in listed] == [item["id"]]
    content = client.get(f"/api/v1/u/{tree.town}/attachments/{item['id']}/content", headers=headers)
    assert content.status_code == 200 and content.data == scan and content.mimetype == "application/pdf"
    assert client.post(f"/api/v1/u/{tree.town}/attachments/{item['id']}/archive", json={},
                       headers=headers).status_code == 422
    archived = client.post(f"/api/v1/u/{tree.town}/attachments/{item['id']}/archive", json={"reason": "重复上传"},
                           headers=headers)
    assert archived.status_code == 200 and archived.get_json()["archived"] is True
    assert client.get(f"/api/v1/u/{tree.town}/attachments?record_type=petitions&record_id={petition_id}",
                      headers=headers).get_json()["items"] == []
    assert len(client.get(f"/api/v1/u/{tree.town}/attachments?record_type=petitions&record_id={petition_id}"
                          "&archived=1", headers=headers).get_json()["items"]) == 1


def test_mismatched_or_over_size_uploads_are_refused_in_chinese_with_nothing_stored(app, world, monkeypatch):
    tree, petition_id = world["tree"], world["petition_id"]
    headers = bearer(app, "api-officer")
    refused = _upload(app, headers, tree.town, petition_id, [("photo.jpg", png_bytes())])
    assert refused.status_code == 422 and "与文件扩展名不符" in refused.get_json()["message"]
    monkeypatch.setitem(app.config, "ATTACHMENT_LIMITS", {**app.config["ATTACHMENT_LIMITS"], "pdf": 100})
    refused = _upload(app, headers, tree.town, petition_id, [("big.pdf", pdf_bytes())])
    assert refused.status_code == 422 and "大小上限" in refused.get_json()["message"]
    assert _upload(app, headers, tree.town, petition_id, []).status_code == 422
    assert rows(app) == [] and stored_files(app) == []


def test_an_informant_file_is_masked_in_the_list_and_its_download_asks_a_reason(app, world):
    tree, petition_id = world["tree"], world["petition_id"]
    letter = png_bytes("周举报 来信")
    intake = bearer(app, "api-intake")
    item = _upload(app, intake, tree.town, petition_id, [("周举报来信.png", letter)], informant="1").get_json()["items"][0]
    assert item["informant"] is True and item["filename"] == "涉及举报人的附件（已遮蔽）"
    client = app.test_client()
    officer = bearer(app, "api-officer")
    listed = json.dumps(client.get(f"/api/v1/u/{tree.town}/attachments?record_type=petitions&record_id={petition_id}",
                                   headers=officer).get_json(), ensure_ascii=False)
    assert "周举报" not in listed and "已遮蔽" in listed
    url = f"/api/v1/u/{tree.town}/attachments/{item['id']}/content"
    assert client.get(f"{url}?reason=核实", headers=officer).status_code == 404
    leader = bearer(app, "api-leader")
    assert client.get(url, headers=leader).status_code == 422
    opened = client.get(f"{url}?reason=核实举报人身份", headers=leader)
    assert opened.status_code == 200 and opened.data == letter


def test_a_sibling_township_gets_404_through_the_api(app, world):
    tree, petition_id = world["tree"], world["petition_id"]
    item = _upload(app, bearer(app, "api-officer"), tree.town, petition_id,
                   [("a.png", png_bytes())]).get_json()["items"][0]
    west = bearer(app, "api-west")
    client = app.test_client()
    for unit in (tree.town, tree.town2):
        assert client.get(f"/api/v1/u/{unit}/attachments/{item['id']}/content", headers=west).status_code == 404
        assert client.get(f"/api/v1/u/{unit}/attachments?record_type=petitions&record_id={petition_id}",
                          headers=west).status_code == 404
        assert _upload(app, west, unit, petition_id, [("b.png", png_bytes())]).status_code == 404
        assert client.post(f"/api/v1/u/{unit}/attachments/{item['id']}/archive", json={"reason": "x"},
                           headers=west).status_code == 404
    assert len(rows(app)) == 1


def test_a_kind_of_record_that_does_not_exist_is_404_and_audited_whatever_its_length(app, world):
    """A probe naming a long or odd record type (schemathesis found a 500: the name overflowed the audit)."""
    tree, petition_id = world["tree"], world["petition_id"]
    client, officer = app.test_client(), bearer(app, "api-officer")
    for record_type in ("x" * 300, "\u001d\u00fb" * 40, "petitions_not"):
        response = client.get(f"/api/v1/u/{tree.town}/attachments", query_string={
            "record_type": record_type, "record_id": petition_id}, headers=officer)
        assert response.status_code == 404
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from core.audit.models import AuditEvent

        denied = db.session.scalars(db.select(AuditEvent).where(AuditEvent.outcome == "denied",
                                                                AuditEvent.object_type == "attachments")).all()
        assert len(denied) == 3 and all(len(e.object_id) <= 64 for e in denied)


# ---------------------------------------------------------------- the streaming seal (core.crypto)


@pytest.mark.parametrize("size", [0, 1, crypto.FILE_CHUNK - 1, crypto.FILE_CHUNK, crypto.FILE_CHUNK + 1,
                                  2 * crypto.FILE_CHUNK + 12345])
def test_seal_stream_round_trips_any_size_in_segments(app, size):
    plain = os.urandom(size)
    with app.app_context():
        sink = io.BytesIO()
        seen = []
        assert crypto.seal_stream(io.BytesIO(plain), sink, b"record:1", on_chunk=seen.append) == size
        assert b"".join(seen) == plain and all(len(s) <= crypto.FILE_CHUNK for s in seen)
        sealed = sink.getvalue()
        assert plain[:64] not in sealed or size < 16
        segments = list(crypto.unseal_stream(io.BytesIO(sealed), b"record:1"))
        assert b"".join(segments) == plain


def test_unseal_stream_refuses_altered_cut_reordered_or_foreign_files(app):
    plain = os.urandom(3 * crypto.FILE_CHUNK)
    with app.app_context():
        sink = io.BytesIO()
        crypto.seal_stream(io.BytesIO(plain), sink, b"record:1")
        sealed = sink.getvalue()
        head = len(sealed) - 3 * (crypto.FILE_CHUNK + 16)
        segment = crypto.FILE_CHUNK + 16
        altered = bytearray(sealed)
        altered[head + segment + 5] ^= 1
        cut = sealed[:head + 2 * segment]  # the last segment dropped: the second is not marked last
        swapped = sealed[:head] + sealed[head + segment:head + 2 * segment] + sealed[head:head + segment] \
            + sealed[head + 2 * segment:]
        for bad, associated in ((bytes(altered), b"record:1"), (cut, b"record:1"), (swapped, b"record:1"),
                                (sealed, b"record:2")):
            with pytest.raises(crypto.DecryptionError):
                b"".join(crypto.unseal_stream(io.BytesIO(bad), associated))
        # Nothing of a bad segment is given: the first, good one is, then the refusal.
        given = crypto.unseal_stream(io.BytesIO(bytes(altered)), b"record:1")
        assert next(given) == plain[:crypto.FILE_CHUNK]
        with pytest.raises(crypto.DecryptionError):
            next(given)


def test_files_of_a_zones_meeting_reach_the_countys_record_readers_only(app, factory):
    """A county's zone pages are open to all its staff (ZONES_READ), its evidence is not: an analyst and a unit
    admin, who read no records, get 404 on a joint meeting's files; the county's leader reads them."""
    from core import calendar
    from core.attachments import operations as attachment_ops
    from core.zones import operations as zone_ops
    from tenants.models import Unit

    tree = factory.tree()
    lead = factory.account("zone-lead", [(tree.county, "leader")])
    factory.account("zone-analyst", [(tree.county, "analyst")])
    factory.account("zone-unitadmin", [(tree.county, "unit_admin")])
    with app.app_context(), context.acting(context.maintenance_context(account_id=lead), db.session):
        county, town = db.session.get(Unit, tree.county), db.session.get(Unit, tree.town)
        zone = zone_ops.define_zone(county, name="测试协作区", lead_account_id=lead, guiding_office="第一室",
                                    member_unit_ids=[tree.town, tree.town2])
        meeting = zone_ops.schedule_meeting(zone, town, title="联席会议", held_on=calendar.today(), agenda="议程")
        attachment = attachment_ops.upload(meeting, io.BytesIO(png_bytes("会议签到表")), "签到表.png",
                                           acting_unit=town)
        db.session.commit()
        meeting_id, file_id = meeting.id, attachment.id
    client = app.test_client()
    listing = f"/api/v1/u/{tree.county}/attachments?record_type=joint_meetings&record_id={meeting_id}"
    for name in ("zone-analyst", "zone-unitadmin"):
        headers = bearer(app, name)
        assert client.get(listing, headers=headers).status_code == 404, name
        assert client.get(f"/api/v1/u/{tree.county}/attachments/{file_id}/content",
                          headers=headers).status_code == 404, name
    answer = client.get(listing, headers=bearer(app, "zone-lead"))
    assert answer.status_code == 200 and [f["id"] for f in answer.get_json()["items"]] == [file_id]
