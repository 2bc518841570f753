"""Benchmark: a township exports its petition ledger of 100,000 rows (信访举报登记台账 → xlsx).

Set-up (not measured): a township's stock of 100,000 petitions, brought in as the township would, through
the ledger import of ops/bench/petition_import.py (informants encrypted, numbers, history).

Measured, each in a fresh process of its own so that its peak resident memory is its own (the set-up's
100,000-row import would otherwise leave the allocator's high-water mark behind):

- the export job (``reporting.exports.jobs.build_export``'s work, ``operations.build``) under the intake
  officer's acting context (on PostgreSQL the app's non-owner role, so RLS is in the path), with the
  progress writes a worker makes (PostgreSQL): the rows streamed from the list query into an XlsxWriter
  constant-memory workbook on a temporary file, sealed with SM4-GCM into the export's row;
- the baselines, in the same run and database: the same rows from the same query into an openpyxl
  workbook in normal mode (every cell an object in memory until saved), the way a plain export is written,
  and in openpyxl's write-only mode (streamed, but a cell object and an lxml serialisation per value).

Printed: seconds, rows per second, peak RSS (VmHWM) and the process's RSS before the work, the file's size,
and the ratios. Targets (issue 6): ≤ 30 s and < 300 MB for 100,000 rows.

    .venv/bin/python ops/bench/export_rows.py                 # SQLite in a temp dir
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_export .venv/bin/python ops/bench/export_rows.py

BENCH_DATABASE_URL is a superuser URL: its database is created if missing and its public schema rebuilt,
so never point it at the test suite's database. BENCH_ROWS (100000) changes the size; BENCH_KEEP=1 keeps
the temporary files.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import APP_ROLE, OWNER_ROLE, role_url  # noqa: E402  (beside this script)
from petition_import import Stage, build, peak_rss_mb, run_import, stage, xlsx  # noqa: E402

TARGET_SECONDS, TARGET_MB = 30, 300


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ---------------------------------------------------------------- one measurement (a child process)


def measure(mode: str) -> dict:
    """Run ``mode`` (export | baseline) against the set-up database; the result as a dict."""
    from core import calendar, context
    from core.app import create_app
    from core.extensions import db
    from reporting.exports import operations as ops
    from core.jobs import Progress, claim
    from reporting.exports.models import Export
    from reporting.exports.registry import EXPORTERS
    from tenants.models import Unit

    admin = os.environ.get("BENCH_DATABASE_URL")
    config = {"RATELIMIT_ENABLED": False}
    if admin:
        config.update(SQLALCHEMY_DATABASE_URI=role_url(admin, APP_ROLE),
                      DATABASE_MIGRATION_URL=role_url(admin, OWNER_ROLE), DATABASE_APP_ROLE=APP_ROLE)
    else:
        url = f"sqlite:///{os.environ['QINGLIAN_INSTANCE_PATH']}/bench.db"
        config.update(SQLALCHEMY_DATABASE_URI=url, DATABASE_MIGRATION_URL=url)
    app = create_app(config)
    exporter = EXPORTERS["petitions"]
    with app.app_context():
        unit = db.session.get(Unit, int(os.environ["BENCH_TOWN"]))
        context.activate(context.ActingContext(account_id=int(os.environ["BENCH_ACCOUNT"]), unit_id=unit.id,
                                               unit_path=unit.path), db.session)
        total = exporter.count(unit, {})
        db.session.commit()
        before = current_rss_mb()
        start = time.perf_counter()
        if mode == "export":
            # The record the request writes (operations.request_export, whose queueing would run the job inline).
            export = Export(unit_id=unit.id, unit_path=unit.path, kind=exporter.kind, filters={}, state="queued",
                            requested_by_id=int(os.environ["BENCH_ACCOUNT"]), total_rows=total, processed_rows=0,
                            filename=ops.filename(exporter, unit))
            db.session.add(export)
            db.session.commit()
            attempt = claim(Export, export.id, ("queued",), state="running")  # as the job takes it
            progress = Progress(Export, export.id, attempt)
            progress.enabled = db.engine.dialect.name != "sqlite"  # as a worker's job writes it
            ops.build(db.session.get(Export, export.id), exporter, unit, progress, attempt)
            db.session.commit()
            seconds = time.perf_counter() - start
            export = db.session.get(Export, export.id)
            assert export.state == "done" and export.total_rows == total, (export.state, export.total_rows)
            rows, size = export.total_rows, export.size
            data = ops.content(export)  # what the download sends back, checked
            assert data[:2] == b"PK" and len(data) == size
        else:
            import tempfile

            from openpyxl import Workbook

            # normal: every cell an object until the save; writeonly: openpyxl's streaming mode.
            workbook = Workbook(write_only=mode == "writeonly")
            sheet = workbook.create_sheet(str(exporter.title)) if mode == "writeonly" else workbook.active
            sheet.append(exporter.header())
            rows = 0
            for row in exporter.rows(unit, {}, calendar.today()):
                sheet.append(row)
                rows += 1
            with tempfile.TemporaryFile() as out:
                workbook.save(out)
                size = out.tell()
            seconds = time.perf_counter() - start
        db.session.rollback()
    return {"mode": mode, "rows": rows, "seconds": seconds, "peak_mb": peak_rss_mb(), "before_mb": before,
            "size": size}


def run_child(mode: str, env: dict) -> dict:
    result = subprocess.run([sys.executable, __file__, "--measure", mode], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{mode} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the run


def main() -> None:
    admin = os.environ.get("BENCH_DATABASE_URL")
    n = int(os.environ.get("BENCH_ROWS", "100000"))
    if admin and not admin.startswith("postgresql"):
        sys.exit("BENCH_DATABASE_URL must be a postgresql:// superuser URL")
    print(f"export benchmark on {'PostgreSQL (app role, RLS forced)' if admin else 'SQLite'}; {n:,} petitions; "
          f"{os.cpu_count()} CPUs")
    stages: list[Stage] = []
    world = build(admin)  # a province down to two townships, an intake officer at each
    with world.app.app_context():
        from core import calendar

        today = calendar.today()
    print("set-up (not measured):")
    with stage(f"generate the ledger (.xlsx, {n:,} rows)", n, stages):
        data = xlsx(n, today)
    run_import(world, data, n, stages)
    del data

    env = {**os.environ, "QINGLIAN_INSTANCE_PATH": world.instance, "BENCH_TOWN": str(world.town),
           "BENCH_ACCOUNT": str(world.accounts[world.town])}
    env.pop("REDIS_URL", None)
    print("measured, each in a process of its own:")
    results = {}
    for mode, label in (("export", "export job (streamed, sealed)"),
                        ("writeonly", "baseline: openpyxl write-only workbook"),
                        ("normal", "baseline: openpyxl normal-mode workbook")):
        r = results[mode] = run_child(mode, env)
        print(f"  {label:44s} {r['seconds']:8.2f} s  {r['rows'] / r['seconds']:9,.0f} rows/s  "
              f"peak RSS {r['peak_mb']:6.0f} MB (at start {r['before_mb']:.0f} MB)  file {r['size'] / 2**20:.1f} MB")
    export, streaming, base = results["export"], results["writeonly"], results["normal"]
    print()
    ok_time, ok_mem = export["seconds"] <= TARGET_SECONDS, export["peak_mb"] < TARGET_MB
    print(f"export of {export['rows']:,} rows: {export['seconds']:.1f} s (target ≤ {TARGET_SECONDS} s: "
          f"{'met' if ok_time else 'MISSED'}), peak RSS {export['peak_mb']:.0f} MB (target < {TARGET_MB} MB: "
          f"{'met' if ok_mem else 'MISSED'}); the work itself added "
          f"{export['peak_mb'] - export['before_mb']:.0f} MB to the process")
    print(f"baseline (normal mode, same rows): {base['seconds']:.1f} s, peak RSS {base['peak_mb']:.0f} MB "
          f"(+{base['peak_mb'] - base['before_mb']:.0f} MB); the export uses "
          f"{(export['peak_mb'] - export['before_mb']) / max(base['peak_mb'] - base['before_mb'], 1):.2f}× "
          f"the baseline's added memory in {export['seconds'] / base['seconds']:.2f}× its time")
    print(f"openpyxl's write-only mode (same rows): {streaming['seconds']:.1f} s, peak RSS {streaming['peak_mb']:.0f} MB; "
          f"the export's XlsxWriter takes {export['seconds'] / streaming['seconds']:.2f}× its time")
    if not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(world.instance, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(sys.argv[2])))
    else:
        main()
