"""ops/backup.sh and ops/restore.sh cover the attachments' storage directory as well as the database: after a
backup, a lost storage directory and a damaged row, the restore brings the file back byte-identical, and it
downloads as it was uploaded. PostgreSQL only (pg_dump; TEST_DATABASE_URL), as the owner role restores."""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from core import context
from core.extensions import db
from tests.conftest import ADMIN_URL, OWNER_ROLE, _pg_url
from tests.test_attachments import png_bytes

pytestmark = pytest.mark.skipif(not ADMIN_URL, reason="pg_dump and pg_restore need PostgreSQL")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def storage(app, tmp_path, monkeypatch, owner_engine):
    directory = tmp_path / "attachments"
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(directory))
    yield directory
    with owner_engine.begin() as conn:
        conn.execute(text("DELETE FROM attachments"))


def _run(script: str, *args: str, storage: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "QINGLIAN_ATTACHMENTS_DIR": str(storage), "BACKUP_RETENTION_DAYS": "0",
           "BACKUP_DATABASE_URL": ADMIN_URL}
    return subprocess.run(["bash", str(ROOT / "ops" / script), *args], env=env, capture_output=True, text=True,
                          timeout=300)


def test_a_restore_brings_an_attachment_back_byte_identical(app, factory, browser, storage, tmp_path, owner_engine):
    tree = factory.tree()
    factory.account("backup-officer", [(tree.town, "officer")])
    letter = png_bytes("备份前上传的举报信")
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from core import calendar
        from core.attachments import operations as attachment_ops
        from core.petitions import operations as petition_ops
        from tenants.models import Unit

        town = db.session.get(Unit, tree.town)
        petition = petition_ops.register_petition(town, dict(
            channel="letter", received_on=calendar.today(), anonymous=True, accused_name="郑某", summary="反映郑某问题"))
        attachment = attachment_ops.upload(petition, io.BytesIO(letter), "举报信.png", acting_unit=town)
        db.session.commit()
        file_id, petition_id = attachment.id, petition.id
    [stored] = [p for p in storage.rglob("*.sealed")]
    sealed_before = hashlib.sha256(stored.read_bytes()).hexdigest()

    backups = tmp_path / "backups"
    made = _run("backup.sh", str(backups), storage=storage)
    assert made.returncode == 0, made.stderr
    [dump] = list(backups.glob("*.dump"))
    archive = Path(f"{dump}.attachments.tar")
    assert archive.exists() and archive.name in Path(f"{dump}.sha256").read_text()
    assert "1 file(s)" in made.stdout

    # The storage directory is lost and the row damaged after the backup.
    shutil.rmtree(storage)
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE attachments SET sm3 = :x WHERE id = :i"), {"x": "0" * 64, "i": file_id})

    restored = _run("restore.sh", "--yes", str(dump), _pg_url(OWNER_ROLE), storage=storage)
    assert restored.returncode == 0, restored.stderr
    assert "restored 1 attachment file(s)" in restored.stdout
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == sealed_before
    with app.app_context():
        db.engine.dispose()  # the restore recreated every table: no pooled connection's cached plans

    browser.login("backup-officer")
    page = browser.get(f"/u/{tree.town}/petitions/{petition_id}").get_data(as_text=True)
    assert "举报信.png" in page
    download = browser.get(f"/u/{tree.town}/attachments/{file_id}")
    assert download.status_code == 200 and download.data == letter


def test_a_tampered_archive_is_refused_before_anything_changes(app, storage, tmp_path):
    storage.mkdir(parents=True)
    (storage / "ab").mkdir()
    (storage / "ab" / "abcd.sealed").write_bytes(b"sealed bytes")
    backups = tmp_path / "backups"
    assert _run("backup.sh", str(backups), storage=storage).returncode == 0
    [dump] = list(backups.glob("*.dump"))
    with open(f"{dump}.attachments.tar", "r+b") as archive:
        archive.seek(600)
        archive.write(b"X")
    refused = _run("restore.sh", "--yes", str(dump), _pg_url(OWNER_ROLE), storage=storage)
    assert refused.returncode != 0 and "checksum MISMATCH" in refused.stderr
