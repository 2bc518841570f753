"""Benchmark: the 18 ledgers of the busiest township as one workbook, and its county's completeness page, against
exporting one ledger (信访举报登记台账) in the same run.

Set-up (not measured): ops/bench/petition_import.py's province: 东镇 (the busiest township) imports BENCH_ROWS
petitions through the ledger import; its kept ledgers get BENCH_KEPT rows each (through the operations); the county
gets BENCH_TOWNS more townships, each with a few kept rows, so the completeness page has a county's worth of them.

Measured, one after the other in this process (peak RSS reset before each, VmHWM):
- one ledger: the petitions' export (reporting.exports.operations.write, the export registry's rows) to a file;
- the workbook: core.ledgers.operations.write_workbook over 东镇's 18 ledgers (one sheet each, generated ones through
  the same exporters, kept ones from their rows) to a file;
- the county's completeness: core.ledgers.queries.county_overview (each township's 18 ledgers: rows this month, last
  entry, state), as the county page computes it.

    .venv/bin/python ops/bench/ledgers.py                 # SQLite in a temp dir
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_ledgers .venv/bin/python ops/bench/ledgers.py

BENCH_DATABASE_URL is a superuser URL: its database is created if missing and its public schema rebuilt (never the
test suite's). BENCH_ROWS (20000), BENCH_KEPT (300), BENCH_TOWNS (20) change the sizes; BENCH_KEEP=1 keeps the files.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from petition_import import Stage, acting_at, build, run_import, stage, xlsx  # noqa: E402  (beside this script)


def kept_rows(unit, n: int, today) -> int:
    from core.extensions import db
    from core.ledgers import operations as ops
    from core.ledgers import queries

    added = 0
    for d in queries.catalogue_of(unit):
        if d.kind != "kept":
            continue
        for i in range(n):
            raw = {"entry_date": today - timedelta(days=i % 90)}
            for c in d.columns:
                raw[c["key"]] = (c["choices"][i % len(c["choices"])] if c["type"] == "choice" else
                                 i if c["type"] == "number" else (today - timedelta(days=i)).isoformat()
                                 if c["type"] == "date" else f"{c['label']}{i}")
            ops.add_row(unit, d, raw)
            added += 1
    db.session.commit()
    return added


def main() -> None:
    from core import calendar, context
    from core.extensions import db
    from core.identity import operations as identity_ops
    from core.ledgers import operations as ledger_ops
    from core.ledgers import queries
    from reporting.exports import operations as export_ops
    from reporting.exports.registry import EXPORTERS
    from tenants import operations as tenancy_ops
    from tenants.models import Unit

    n, kept, towns = (int(os.environ.get(k, d)) for k, d in (("BENCH_ROWS", 20000), ("BENCH_KEPT", 300),
                                                              ("BENCH_TOWNS", 20)))
    admin = os.environ.get("BENCH_DATABASE_URL")
    print(f"ledgers benchmark on {'PostgreSQL' if admin else 'SQLite'}: {n:,} petitions in the busiest township, "
          f"{kept} rows in each of its kept ledgers, {towns + 2} townships in the county", flush=True)
    world = build(admin)
    stages: list[Stage] = []
    today = calendar.today()
    try:
        run_import(world, xlsx(n, today), n, [])
        with world.app.app_context(), context.acting(context.maintenance_context(), db.session):
            town = db.session.get(Unit, world.town)
            county = db.session.get(Unit, town.parent_id)
            account, _ = identity_ops.create_account("bench-leader", "东镇纪委书记", "Correct-Horse-42")
            tenancy_ops.add_membership(account, town, "leader")
            county_leader, _ = identity_ops.create_account("bench-county", "乙县纪委领导", "Correct-Horse-42")
            tenancy_ops.add_membership(county_leader, county, "leader")
            leader_id, county_leader_id = account.id, county_leader.id
            extra = [tenancy_ops.create_unit(f"测评{i}镇", "township", f"900121{i + 3:03d}", county).id
                     for i in range(towns)]
            db.session.commit()
        with world.app.app_context(), context.acting(context.maintenance_context(account_id=leader_id), db.session):
            added = kept_rows(db.session.get(Unit, world.town), kept, today)
            for unit_id in extra:
                kept_rows(db.session.get(Unit, unit_id), 3, today)
        print(f"  set-up: {added:,} kept rows in 东镇, 3 per kept ledger in {towns} other townships", flush=True)

        out = tempfile.mkdtemp(prefix="qinglian-bench-ledgers-")
        with acting_at(world, world.town) as unit:
            context.activate(context.ActingContext(account_id=leader_id, unit_id=unit.id, unit_path=unit.path),
                             db.session)
            with stage("one ledger: 信访举报登记台账 (export registry)", n, stages) as one:
                with open(f"{out}/one.xlsx", "wb") as target:
                    rows = export_ops.write(EXPORTERS["petitions"], unit, {}, target)
            one.rows = rows
            catalogue = queries.catalogue_of(unit)
            with stage(f"workbook: {len(catalogue)} ledgers, one sheet each", 0, stages) as book:
                with open(f"{out}/all.xlsx", "wb") as target:
                    book.rows = ledger_ops.write_workbook(unit, catalogue, target)
            print(f"    files: one {os.path.getsize(f'{out}/one.xlsx') / 1e6:.1f} MB, "
                  f"workbook {os.path.getsize(f'{out}/all.xlsx') / 1e6:.1f} MB, {book.rows:,} rows", flush=True)
        with acting_at(world, world.town) as unit:
            county = db.session.get(Unit, unit.parent_id)
            context.activate(context.ActingContext(account_id=county_leader_id, unit_id=county.id,
                                                   unit_path=county.path), db.session)
            with stage(f"county completeness: {towns + 2} townships × 18 ledgers", 0, stages) as page:
                overview = queries.county_overview(county, today)
            assert len(overview) == towns + 2 and all(len(states) == 18 for _t, states, _s in overview)
        print()
        print(f"  workbook / one ledger: {book.seconds / one.seconds:5.2f}× the time, "
              f"{book.peak_mb / one.peak_mb:5.2f}× the peak memory ({book.rows:,} vs {one.rows:,} rows)")
        print(f"  county page / one ledger: {page.seconds / one.seconds:5.2f}× the time, "
              f"{page.peak_mb / one.peak_mb:5.2f}× the peak memory")
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(out, ignore_errors=True)
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(world.instance, ignore_errors=True)


if __name__ == "__main__":
    main()
