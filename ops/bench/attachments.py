"""Benchmark: upload and download of a large video attachment (default 1 GB), sealed and checked, against a
plain ``cp`` of the same file on the same disk in the same run; the peak memory of the process doing it.

    .venv/bin/python ops/bench/attachments.py [--size-mb 1024] [--dir DIR] [--via ops,app]

Each transfer runs in a fresh child process (its peak RSS is its own ``ru_maxrss``):
- ``ops``: core.attachments.operations.upload from the file, then operations.read into a file (the sealing,
  the SM3 digest, the per-segment authentication and, for a file this size, the digest checked as it goes);
- ``app``: the same through the app's JSON API in its test client (multipart parsing, the request's spooled
  file, the streamed answer), as a worker would serve it.
The database is an embedded SQLite file in DIR (the files are what is measured). Goal (issue 19): peak RSS
under 100 MB, throughput within 3x of ``cp`` with the sealing included.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _app(workdir: Path):
    os.environ["QINGLIAN_INSTANCE_PATH"] = str(workdir / "instance")
    sys.path.insert(0, str(ROOT))
    from core.app import create_app

    return create_app({"ATTACHMENTS_DIR": str(workdir / "storage"), "RATELIMIT_ENABLED": False,
                       "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024})


def child_setup(workdir: Path) -> dict:
    """Migrate the embedded database; a township, its officer (a bearer token) and a petition."""
    app = _app(workdir)
    with app.app_context():
        from flask_migrate import upgrade

        from core import calendar, context
        from core.extensions import db
        from core.identity import operations as identity_ops
        from core.petitions import operations as petition_ops
        from tenants import operations as tenancy_ops

        upgrade()
        with context.acting(context.maintenance_context(), db.session):
            province = tenancy_ops.create_unit("基准省", "province", "970000", None)
            city = tenancy_ops.create_unit("基准市", "city", "970100", province)
            county = tenancy_ops.create_unit("基准县", "county", "970121", city)
            town = tenancy_ops.create_unit("基准镇", "township", "970121001", county)
            account, _ = identity_ops.create_account("bench-officer", "基准承办人", "Correct-Horse-42")
            tenancy_ops.add_membership(account, town, "officer")
            petition = petition_ops.register_petition(town, dict(
                channel="visit", received_on=calendar.today(), anonymous=True, accused_name="某某",
                summary="基准：录音录像附件"))
            db.session.commit()
            return {"unit_id": town.id, "petition_id": petition.id, "account_id": account.id}


def child_ops_upload(workdir: Path, source: Path, ids: dict) -> dict:
    app = _app(workdir)
    with app.app_context():
        from core import context
        from core.attachments import operations as ops
        from core.extensions import db
        from core.identity.models import Account
        from core.petitions.models import Petition
        from tenants.models import Unit

        with context.acting(context.maintenance_context(account_id=ids["account_id"]), db.session):
            petition, unit = db.session.get(Petition, ids["petition_id"]), db.session.get(Unit, ids["unit_id"])
            account = db.session.get(Account, ids["account_id"])
            before = _rss_mb()
            started = time.perf_counter()
            with open(source, "rb") as stream:
                attachment = ops.upload(petition, stream, "接谈录像.mp4", acting_unit=unit, account=account)
            db.session.commit()
            seconds = time.perf_counter() - started
            return {"seconds": seconds, "rss_before_mb": before, "peak_rss_mb": _rss_mb(), "file_id": attachment.id}


def child_ops_download(workdir: Path, target: Path, ids: dict) -> dict:
    app = _app(workdir)
    with app.app_context():
        from core import context
        from core.attachments import operations as ops
        from core.attachments.models import Attachment
        from core.extensions import db

        with context.acting(context.maintenance_context(account_id=ids["account_id"]), db.session):
            attachment = db.session.get(Attachment, ids["file_id"])
            before = _rss_mb()
            started = time.perf_counter()
            with open(target, "wb") as sink:
                for segment in ops.read(attachment, "download"):
                    sink.write(segment)
            db.session.commit()
            return {"seconds": time.perf_counter() - started, "rss_before_mb": before, "peak_rss_mb": _rss_mb()}


def _token(client) -> dict:
    answer = client.post("/api/v1/auth/token", json={"username": "bench-officer", "password": "Correct-Horse-42"})
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def child_app_upload(workdir: Path, source: Path, ids: dict) -> dict:
    app = _app(workdir)
    client = app.test_client()
    headers = _token(client)
    before = _rss_mb()
    started = time.perf_counter()
    with open(source, "rb") as stream:
        answer = client.post(f"/api/v1/u/{ids['unit_id']}/attachments", headers=headers,
                             content_type="multipart/form-data",
                             data={"record_type": "petitions", "record_id": str(ids["petition_id"]),
                                   "file": (stream, "接谈录像.mp4")})
    seconds = time.perf_counter() - started
    assert answer.status_code == 201, answer.get_data(as_text=True)[:500]
    return {"seconds": seconds, "rss_before_mb": before, "peak_rss_mb": _rss_mb(),
            "file_id": answer.get_json()["items"][0]["id"]}


def child_app_download(workdir: Path, target: Path, ids: dict) -> dict:
    app = _app(workdir)
    client = app.test_client()
    headers = _token(client)
    before = _rss_mb()
    started = time.perf_counter()
    answer = client.get(f"/api/v1/u/{ids['unit_id']}/attachments/{ids['file_id']}/content", headers=headers,
                        buffered=False)
    assert answer.status_code == 200, answer.status_code
    with open(target, "wb") as sink:
        for segment in answer.response:
            sink.write(segment)
    answer.close()
    return {"seconds": time.perf_counter() - started, "rss_before_mb": before, "peak_rss_mb": _rss_mb()}


CHILDREN = {"setup": child_setup, "ops_upload": child_ops_upload, "ops_download": child_ops_download,
            "app_upload": child_app_upload, "app_download": child_app_download}


def _child(name: str, workdir: Path, *args) -> dict:
    command = [sys.executable, __file__, "--child", name, "--dir", str(workdir), *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def make_video(path: Path, size: int) -> None:
    """An MP4 box header, then incompressible bytes (a real video's entropy) up to ``size``."""
    with open(path, "wb") as sink:
        sink.write(b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41")
        written = 32
        while written < size:
            chunk = os.urandom(min(4 * MB, size - written))
            sink.write(chunk)
            written += len(chunk)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(4 * MB):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--dir", help="where the files go (default: a temporary directory under instance/)")
    parser.add_argument("--via", default="ops,app", help="ops, app or both (comma-separated)")
    parser.add_argument("--child", choices=sorted(CHILDREN))
    parser.add_argument("rest", nargs="*")
    args = parser.parse_args()
    if args.child:
        workdir = Path(args.dir)
        ids = json.loads((workdir / "ids.json").read_text()) if (workdir / "ids.json").exists() else {}
        extra = [Path(a) for a in args.rest]
        print(json.dumps(CHILDREN[args.child](workdir, *extra, ids) if extra else CHILDREN[args.child](workdir)))
        return

    base = Path(args.dir) if args.dir else ROOT / "instance"
    base.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-attachments-", dir=base))
    try:
        size = args.size_mb * MB
        source = workdir / "video.mp4"
        print(f"writing a {args.size_mb} MB video to {workdir} ...", flush=True)
        make_video(source, size)
        expected = sha256(source)
        ids = _child("setup", workdir)
        (workdir / "ids.json").write_text(json.dumps(ids))

        copy = workdir / "copy.mp4"
        started = time.perf_counter()
        subprocess.run(["cp", str(source), str(copy)], check=True)
        cp_seconds = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run(["cp", str(source), str(workdir / "copy2.mp4")], check=True)
        subprocess.run(["sync", str(workdir / "copy2.mp4")], check=True)
        cp_sync_seconds = time.perf_counter() - started
        os.unlink(copy)
        os.unlink(workdir / "copy2.mp4")
        print(f"cp: {cp_seconds:.2f} s ({args.size_mb / cp_seconds:.0f} MB/s); cp + sync: {cp_sync_seconds:.2f} s "
              f"({args.size_mb / cp_sync_seconds:.0f} MB/s)")

        for via in [v.strip() for v in args.via.split(",") if v.strip()]:
            up = _child(f"{via}_upload", workdir, source)
            ids["file_id"] = up["file_id"]
            (workdir / "ids.json").write_text(json.dumps(ids))
            target = workdir / f"download-{via}.mp4"
            down = _child(f"{via}_download", workdir, target)
            identical = sha256(target) == expected
            os.unlink(target)
            for label, result in (("upload", up), ("download", down)):
                rate = args.size_mb / result["seconds"]
                print(f"{via:3} {label:8}: {result['seconds']:6.2f} s {rate:5.0f} MB/s = {result['seconds'] / cp_seconds:4.1f}x cp"
                      f" ({result['seconds'] / cp_sync_seconds:3.1f}x cp+sync); RSS {result['rss_before_mb']:.0f} MB before,"
                      f" peak {result['peak_rss_mb']:.0f} MB ({'under' if result['peak_rss_mb'] < 100 else 'OVER'} 100 MB)")
            print(f"{via:3} round trip byte-identical: {identical}")
            for stored in (workdir / "storage").rglob("*.sealed"):
                stored.unlink()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
