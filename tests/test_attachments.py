"""Attachments (附件) from the record's page: a scanned letter uploaded to a petition comes back byte-identical in
its preview and its download; content that is not what its name claims, an empty file and one over its kind's
limit are refused with nothing stored; the stored file is sealed (not plain text), and one altered on disk is
refused at download, audited; a sibling township gets 404; a supervising share shows no files while a
cross-handling share does; a file identifying the informant is masked for an officer and revealed by a leader
with a reason. Runs on SQLite and on PostgreSQL (TEST_DATABASE_URL: row-level security filters the rows)."""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from core import context
from core.extensions import db
from tests.conftest import bearer


def png_bytes(marker: str = "scanned letter", size: int = 8) -> bytes:
    """A small real PNG (grey square) with a text chunk carrying ``marker``: made here, no binary file kept."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes([128] * size) for _row in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\x00" + marker.encode()) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def pdf_bytes(text_line: str = "letter of complaint") -> bytes:
    body = f"BT /F1 12 Tf 72 720 Td ({text_line}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.fixture(autouse=True)
def no_attachment_rows(app, owner_engine, tmp_path, monkeypatch):
    """Each test its own storage directory. tests/conftest.py empties the tables it lists; this one is emptied
    here until it is listed there."""
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    yield
    with owner_engine.begin() as conn:
        conn.execute(text("DELETE FROM attachments"))


@pytest.fixture
def town(app, factory):
    """东镇 with its officer, intake, leader and a petition; 西镇 (a sibling) with its officer; the county's leader."""
    tree = factory.tree()
    accounts = {name: factory.account(name, [(unit, role)]) for name, unit, role in (
        ("east-officer", tree.town, "officer"), ("east-intake", tree.town, "intake"),
        ("east-leader", tree.town, "leader"), ("west-officer", tree.town2, "officer"),
        ("county-leader", tree.county, "leader"))}
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from core import calendar
        from core.petitions import operations as petition_ops
        from tenants.models import Unit

        petition = petition_ops.register_petition(db.session.get(Unit, tree.town), dict(
            channel="letter", received_on=calendar.today(), anonymous=False,
            informant={"name": "李举报", "phone": "13800002222"}, accused_name="张某", summary="反映张某问题"))
        db.session.commit()
        petition_id = petition.id
    return {"tree": tree, "accounts": accounts, "petition_id": petition_id}


def storage(app) -> Path:
    return Path(app.config["ATTACHMENTS_DIR"])


def stored_files(app) -> list[Path]:
    root = storage(app)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def rows(app) -> list:
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from core.attachments.models import Attachment

        return [SimpleNamespace(**{c.key: getattr(row, c.key) for c in Attachment.__mapper__.column_attrs},
                                associated=row.associated)
                for row in db.session.scalars(db.select(Attachment).order_by(Attachment.id))]


def audit_actions(app) -> list[tuple[str, str]]:
    with app.app_context(), context.acting(context.ActingContext(platform_role="audit"), db.session):
        from core.audit.models import AuditEvent

        return [(e.action, e.outcome) for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


def upload(browser, unit_id, petition_id, files, informant=False):
    page = f"/u/{unit_id}/petitions/{petition_id}"
    data = {"record_type": "petitions", "record_id": str(petition_id), "back": page,
            "file": [(io.BytesIO(content), name) for name, content in files]}
    if informant:
        data["informant"] = "1"
    return browser.post(f"/u/{unit_id}/attachments", data, form_page=page, content_type="multipart/form-data")


def test_upload_preview_download_round_trip_byte_identical_and_sealed_at_rest(app, browser, town):
    tree, petition_id = town["tree"], town["petition_id"]
    letter, scan = png_bytes("举报信扫描件 page one"), pdf_bytes()
    browser.login("east-officer")
    response = upload(browser, tree.town, petition_id, [("举报信.png", letter), ("scan.pdf", scan)])
    assert response.status_code == 302 and response.location.endswith(f"/petitions/{petition_id}#attachments")
    page = browser.get(f"/u/{tree.town}/petitions/{petition_id}").get_data(as_text=True)
    assert "举报信.png" in page and "scan.pdf" in page and "已上传 2 个附件" in page
    assert "图片" in page and "PDF 文档" in page
    png_row, pdf_row = rows(app)
    assert (png_row.kind, png_row.size, pdf_row.kind) == ("png", len(letter), "pdf")
    for row, content in ((png_row, letter), (pdf_row, scan)):
        preview = browser.get(f"/u/{tree.town}/attachments/{row.id}/preview")
        assert preview.status_code == 200 and preview.data == content
        assert preview.headers["Content-Disposition"].startswith("inline")
        download = browser.get(f"/u/{tree.town}/attachments/{row.id}")
        assert download.status_code == 200 and download.data == content
        assert download.headers["Content-Disposition"].startswith("attachment")
    # Stored outside the rows, sealed: no byte run of the plain file, nor its marker, on disk.
    files = stored_files(app)
    assert len(files) == 2 and not any(f.name.endswith(".partial") for f in files)
    for path in files:
        sealed = path.read_bytes()
        assert letter[16:48] not in sealed and "举报信扫描件".encode() not in sealed and b"%PDF" not in sealed
    actions = audit_actions(app)
    for action in ("attachment.upload", "attachment.preview", "attachment.download"):
        assert (action, "ok") in actions


def test_content_not_of_its_claimed_kind_empty_or_unknown_is_refused_with_nothing_stored(app, browser, town):
    tree, petition_id = town["tree"], town["petition_id"]
    browser.login("east-officer")
    cases = [("letter.pdf", png_bytes(), "与文件扩展名不符"), ("notes.docx", pdf_bytes(), "与文件扩展名不符"),
             ("empty.pdf", b"", "空文件"), ("plain.pdf", "只是一段文字".encode(), "不是可上传的文件类型"),
             ("script.exe", b"MZ\x90\x00", "不是可上传的文件类型")]
    for name, content, message in cases:
        response = upload(browser, tree.town, petition_id, [(name, content)])
        assert response.status_code == 422, name
        assert message in response.get_data(as_text=True), name
    # One good file with one refused: neither is kept (the request's files go with its rollback).
    response = upload(browser, tree.town, petition_id, [("good.png", png_bytes()), ("bad.pdf", png_bytes())])
    assert response.status_code == 422
    assert rows(app) == [] and stored_files(app) == []


def test_over_its_kinds_limit_is_refused_with_no_row_and_no_file(app, browser, town, monkeypatch):
    tree, petition_id = town["tree"], town["petition_id"]
    monkeypatch.setitem(app.config, "ATTACHMENT_LIMITS", {**app.config["ATTACHMENT_LIMITS"], "image": 2048})
    browser.login("east-officer")
    big = png_bytes("x" * 5000)
    response = upload(browser, tree.town, petition_id, [("big.png", big)])
    assert response.status_code == 422
    assert "超过图片的大小上限" in response.get_data(as_text=True)
    assert rows(app) == [] and stored_files(app) == []
    assert upload(browser, tree.town, petition_id, [("small.png", png_bytes())]).status_code == 302
    assert len(rows(app)) == 1


def test_a_stored_file_altered_or_replaced_is_refused_at_download_and_audited(app, browser, town):
    from core import crypto

    tree, petition_id = town["tree"], town["petition_id"]
    browser.login("east-officer")
    assert upload(browser, tree.town, petition_id, [("a.png", png_bytes("first"))]).status_code == 302
    row = rows(app)[0]
    [path] = stored_files(app)
    sealed = bytearray(path.read_bytes())
    sealed[len(sealed) // 2] ^= 0x01
    path.write_bytes(bytes(sealed))
    for url in (f"/u/{tree.town}/attachments/{row.id}", f"/u/{tree.town}/attachments/{row.id}/preview"):
        response = browser.get(url)
        assert response.status_code == 409
        assert "附件校验未通过" in response.get_data(as_text=True)
    # A file sealed right (same row binding) but of other content: its segments open, its SM3 digest differs.
    with app.app_context():
        with open(path, "wb") as sink:
            crypto.seal_stream(io.BytesIO(png_bytes("other")), sink, row.associated)
    assert browser.get(f"/u/{tree.town}/attachments/{row.id}").status_code == 409
    assert audit_actions(app).count(("attachment.damaged", "failed")) == 3


def test_a_sibling_township_gets_404_for_the_file_and_cannot_attach(app, browser, town):
    tree, petition_id = town["tree"], town["petition_id"]
    browser.login("east-officer")
    assert upload(browser, tree.town, petition_id, [("a.png", png_bytes())]).status_code == 302
    file_id = rows(app)[0].id
    browser.logout()
    browser.login("west-officer")
    for unit in (tree.town, tree.town2):  # the owner's URL, and its own unit's URL with the victim's ids
        for suffix in ("", "/preview"):
            assert browser.get(f"/u/{unit}/attachments/{file_id}{suffix}").status_code == 404
    assert upload(browser, tree.town2, petition_id, [("b.png", png_bytes())]).status_code == 404
    headers = bearer(app, "west-officer")
    client = app.test_client()
    assert client.get(f"/api/v1/u/{tree.town2}/attachments/{file_id}/content", headers=headers).status_code == 404
    assert client.get(f"/api/v1/u/{tree.town2}/attachments?record_type=petitions&record_id={petition_id}",
                      headers=headers).status_code == 404
    assert len(rows(app)) == 1


def _share(app, town, purpose, grantee_unit=None, grantee_account=None):
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from core.identity.models import Account
        from tenants import operations as tenancy_ops
        from tenants.models import Unit

        tenancy_ops.grant_share("petitions", town["petition_id"], db.session.get(Unit, town["tree"].town),
                                purpose=purpose,
                                grantee_unit=db.session.get(Unit, grantee_unit) if grantee_unit else None,
                                grantee_account=db.session.get(Account, grantee_account) if grantee_account else None)
        db.session.commit()


def test_a_supervising_share_shows_no_files_a_cross_handling_share_does(app, browser, factory, town):
    tree, petition_id = town["tree"], town["petition_id"]
    browser.login("east-officer")
    assert upload(browser, tree.town, petition_id, [("evidence.png", png_bytes())]).status_code == 302
    file_id = rows(app)[0].id
    browser.logout()

    # The county supervises the petition: it reads the record, not its files.
    _share(app, town, "supervision", grantee_unit=tree.county)
    browser.login("county-leader")
    page = browser.get(f"/u/{tree.county}/petitions/{petition_id}")
    assert page.status_code == 200 and "evidence.png" not in page.get_data(as_text=True)
    assert "data-attachments" not in page.get_data(as_text=True)
    assert browser.get(f"/u/{tree.county}/attachments/{file_id}").status_code == 404
    browser.logout()

    # 西镇's officer cross-handles it (协作区 grant): the files travel with the record.
    _share(app, town, "cross_handle", grantee_account=town["accounts"]["west-officer"])
    browser.login("west-officer")
    page = browser.get(f"/u/{tree.town2}/petitions/{petition_id}")
    assert page.status_code == 200 and "evidence.png" in page.get_data(as_text=True)
    download = browser.get(f"/u/{tree.town2}/attachments/{file_id}")
    assert download.status_code == 200 and download.data == png_bytes()
    assert upload(browser, tree.town2, petition_id, [("found.png", png_bytes("found"))]).status_code == 302
    assert [r.uploaded_in_unit_id for r in rows(app)] == [tree.town, tree.town2]
    assert all(r.unit_id == tree.town for r in rows(app))


def test_an_informant_file_is_masked_for_an_officer_and_revealed_by_a_leader_with_a_reason(app, browser, town):
    tree, petition_id = town["tree"], town["petition_id"]
    letter = png_bytes("李举报 亲笔信")
    browser.login("east-intake")
    assert upload(browser, tree.town, petition_id, [("李举报举报信.png", letter)], informant=True).status_code == 302
    row = rows(app)[0]
    assert row.informant
    browser.logout()

    browser.login("east-officer")
    page = browser.get(f"/u/{tree.town}/petitions/{petition_id}").get_data(as_text=True)
    assert "涉及举报人的附件（已遮蔽）" in page and "李举报举报信" not in page
    assert f"/attachments/{row.id}/preview" not in page and "data-reveal-form" not in page
    for suffix in ("", "/preview"):
        assert browser.get(f"/u/{tree.town}/attachments/{row.id}{suffix}").status_code == 404
    assert browser.post(f"/u/{tree.town}/attachments/{row.id}/reveal", {"reason": "想看"},
                        form_page=f"/u/{tree.town}/petitions/{petition_id}").status_code == 404
    browser.logout()

    browser.login("east-leader")
    page = browser.get(f"/u/{tree.town}/petitions/{petition_id}").get_data(as_text=True)
    assert "data-reveal-form" in page and "李举报举报信" not in page
    assert browser.get(f"/u/{tree.town}/attachments/{row.id}").status_code == 404  # not before the reveal
    refused = browser.post(f"/u/{tree.town}/attachments/{row.id}/reveal", {"reason": " "},
                           form_page=f"/u/{tree.town}/petitions/{petition_id}")
    assert refused.status_code == 422 and "须填写事由" in refused.get_data(as_text=True)
    revealed = browser.post(f"/u/{tree.town}/attachments/{row.id}/reveal",
                            {"reason": "核实举报人身份", "back": f"/u/{tree.town}/petitions/{petition_id}"},
                            form_page=f"/u/{tree.town}/petitions/{petition_id}", follow_redirects=True)
    assert "李举报举报信.png" in revealed.get_data(as_text=True)
    assert browser.get(f"/u/{tree.town}/attachments/{row.id}/preview").data == letter
    assert browser.get(f"/u/{tree.town}/attachments/{row.id}").data == letter
    assert ("attachment.informant_reveal", "ok") in audit_actions(app)


def test_archive_keeps_the_file_with_a_reason(app, browser, town):
    tree, petition_id = town["tree"], town["petition_id"]
    browser.login("east-officer")
    page_url = f"/u/{tree.town}/petitions/{petition_id}"
    assert upload(browser, tree.town, petition_id, [("wrong.png", png_bytes())]).status_code == 302
    row = rows(app)[0]
    refused = browser.post(f"/u/{tree.town}/attachments/{row.id}/archive", {"reason": ""}, form_page=page_url)
    assert refused.status_code == 422
    done = browser.post(f"/u/{tree.town}/attachments/{row.id}/archive", {"reason": "传错了件", "back": page_url},
                        form_page=page_url, follow_redirects=True)
    body = done.get_data(as_text=True)
    assert "附件已归档" in body and "已归档附件（1）" in body and "传错了件" in body
    assert rows(app)[0].archived_at is not None and len(stored_files(app)) == 1
    assert ("attachment.archive", "ok") in audit_actions(app)


def test_only_the_upload_routes_take_a_body_over_the_apps_limit(app, browser, town):
    """A video may be 2 GB, but a form or a spreadsheet import (read whole into memory) stays at 50 MB."""
    tree, petition_id = town["tree"], town["petition_id"]
    browser.login("east-officer")
    over = app.config["MAX_CONTENT_LENGTH"] + 1024 * 1024
    video = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * (over - 24)
    page = f"/u/{tree.town}/petitions/{petition_id}"
    refused = browser.post(f"/u/{tree.town}/petitions/imports", {"file": (io.BytesIO(video), "ledger.xlsx")},
                           form_page=page, content_type="multipart/form-data")
    assert refused.status_code == 413
    accepted = upload(browser, tree.town, petition_id, [("interview.mp4", video)])
    assert accepted.status_code == 302
    (row,) = rows(app)
    assert (row.kind, row.size) == ("mp4", len(video))
