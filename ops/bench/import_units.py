"""Benchmark: bulk provisioning of a province (1,500 units) and of a national-scale sheet.

Generates division-code sheets, then times check (dry run) and commit through the same code
paths as the web import, against a fresh database each run. Prints figures and the ratio
of each size against the province baseline measured in the same run.

    .venv/bin/python ops/bench/import_units.py                 # SQLite in a temp dir
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python ops/bench/import_units.py
"""
from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def sheet(provinces: int, cities: int, counties: int, townships: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["区划代码", "名称"])
    for p in range(provinces):
        pc = f"{90 + p:02d}"
        writer.writerow([f"{pc}0000", f"省{p}"])
        for c in range(1, cities + 1):
            writer.writerow([f"{pc}{c:02d}00", f"市{p}-{c}"])
            for k in range(1, counties + 1):
                county = f"{pc}{c:02d}{20 + k:02d}"
                writer.writerow([county, f"县{p}-{c}-{k}"])
                for t in range(1, townships + 1):
                    writer.writerow([f"{county}{t:03d}", f"镇{p}-{c}-{k}-{t}"])
    return out.getvalue().encode()


def run(label: str, data: bytes) -> float:
    from sqlalchemy import text

    from core import context
    from core.app import create_app
    from core.extensions import db
    from tenants import operations as ops
    from tenants import provisioning

    instance = tempfile.mkdtemp()
    os.environ["QINGLIAN_INSTANCE_PATH"] = instance
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{instance}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_MIGRATION_URL": url})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        from flask_migrate import upgrade

        upgrade()
        context.activate(context.maintenance_context(), db.session)
        start = time.perf_counter()
        check = provisioning.check_sheet(provisioning.read_sheet("units.csv", data))
        checked = time.perf_counter()
        assert check.ok, [r.errors for r in check.rows if not r.ok][:3]
        ops.import_units(check.new_units())
        db.session.commit()
        done = time.perf_counter()
    rows = len(check.rows)
    print(f"{label:28s} rows={rows:6d}  dry-run {checked - start:6.2f}s  commit {done - checked:6.2f}s  "
          f"total {done - start:6.2f}s  ({rows / (done - start):,.0f} rows/s)")
    return done - start


if __name__ == "__main__":
    baseline = run("province (1 × 13 × 8 × 14)", sheet(1, 13, 8, 14))
    for label, shape in [("3 provinces", (3, 13, 8, 14)), ("national (10 × 14 × 10 × 20)", (10, 14, 10, 20))]:
        seconds = run(label, sheet(*shape))
        print(f"{'':28s} ratio to province baseline: {seconds / baseline:.1f}×")
