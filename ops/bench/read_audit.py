"""Benchmark: what auditing reads costs a request (issue 17: every record opened leaves a ``petitions.read`` entry).

Set-up (not measured): the province of ops/bench/petition_import.py (two townships, an intake officer at each),
and BENCH_PETITIONS (300) petitions registered at the first through ``register_petition`` (each with its own
audit entry, so the unit's chain is long and its head row hot, as in use).

Measured through the app (Flask test client, the whole request: session, acting unit, the scoped loader, the
page, the commit), as the township's intake officer, each request timed on its own, audit on and off
interleaved so that both see the same machine:

- the petition detail page ``GET /u/<town>/petitions/<id>``, a random petition each time;
- the API's ``GET /api/v1/u/<town>/petitions/<id>`` (bearer token);
- the list page ``GET /u/<town>/petitions`` (50 rows a page), which must not pay per row.

The machine may be shared, so beside the times it counts the SQL statements per request (which other load does
not change) and prints the load average before and after.

"Off" is the same app with the loader's read note (``tenants.scoping._note_read``) replaced by a no-op: the
baseline, in the same run and database. Printed: p50, p95 and mean per request, the audit's cost per request
(p50 on − p50 off) and the ratio, and the entries written (one per record opened, none for a list).

    .venv/bin/python ops/bench/read_audit.py                 # SQLite in a temp dir
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_reads .venv/bin/python ops/bench/read_audit.py

BENCH_DATABASE_URL is a superuser URL: its database is created if missing and its public schema rebuilt, so
never point it at the test suite's database (the app connects as ``qinglian_bench_app``, RLS forced).
BENCH_PETITIONS (300) and BENCH_RUNS (400 per variant, 100 for the list) change the sizes; BENCH_KEEP=1 keeps
the temporary files.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from petition_import import PASSWORD, acting_at, build, ledger_rows, registration  # noqa: E402  (beside this script)

WARMUP = 20


def read_entries(world) -> int:
    """The ``petitions.read`` entries of the trail, read as the audit admin reads them."""
    from sqlalchemy import func, select

    from core import context
    from core.audit.models import AuditEvent
    from core.extensions import db

    with world.app.app_context(), context.acting(context.ActingContext(platform_role="audit"), db.session):
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "petitions.read"))


def logged_in(app, username: str):
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and "/login" not in response.location, response.location
    return client


def bearer(app, username: str) -> dict:
    response = app.test_client().post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


class ReadAudit:
    """Switches the loader's read note on and off (off: the baseline, everything else the same)."""

    def __init__(self):
        from tenants import scoping

        self.scoping, self.note = scoping, scoping._note_read

    def __call__(self, on: bool) -> None:
        self.scoping._note_read = self.note if on else (lambda *args: None)


class Statements:
    """Counts the statements the app's engine runs."""

    def __init__(self, app):
        from sqlalchemy import event

        from core.extensions import db

        self.count = 0
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._one)

    def _one(self, *args) -> None:
        self.count += 1


def timed(client, path: str, headers=None) -> float:
    start = time.perf_counter()
    response = client.get(path, headers=headers)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


def compare(label: str, request, runs: int, audit: ReadAudit, world, statements: Statements) -> dict:
    """``request(i)`` timed ``runs`` times with the audit on and as many off, alternating which goes first."""
    times, counted = {True: [], False: []}, {True: 0, False: 0}
    for i in range(WARMUP):
        for on in (True, False):
            audit(on)
            request(i)
    before = read_entries(world)
    for i in range(runs):
        for on in ((True, False) if i % 2 else (False, True)):
            audit(on)
            before_statements = statements.count
            times[on].append(request(i))
            counted[on] += statements.count - before_statements
    audit(True)
    written = read_entries(world) - before
    on, off = (sorted(times[k]) for k in (True, False))
    row = {"label": label, "runs": runs, "written": written}
    for name, values in (("on", on), ("off", off)):
        row[name] = {"p50": statistics.median(values) * 1000, "p95": values[int(0.95 * (len(values) - 1))] * 1000,
                     "mean": statistics.fmean(values) * 1000, "sql": counted[name == "on"] / runs}
    return row


def main() -> None:
    admin = os.environ.get("BENCH_DATABASE_URL")
    n = int(os.environ.get("BENCH_PETITIONS", "300"))
    runs = int(os.environ.get("BENCH_RUNS", "400"))
    if admin and not admin.startswith("postgresql"):
        sys.exit("BENCH_DATABASE_URL must be a postgresql:// superuser URL")
    print(f"read-audit benchmark on {'PostgreSQL (app role, RLS forced)' if admin else 'SQLite'}; {n:,} petitions; "
          f"{runs} requests per variant, audit on and off interleaved; {os.cpu_count()} CPUs")
    world = build(admin)
    from core import calendar
    from core.extensions import db
    from core.petitions import operations as petition_ops

    with world.app.app_context():
        today = calendar.today()
    start = time.perf_counter()
    with acting_at(world, world.town) as unit:
        ids = [petition_ops.register_petition(unit, registration(row)).id for row in ledger_rows(n, today, seed=3)]
        db.session.commit()
    print(f"set-up (not measured): {n:,} petitions registered in {time.perf_counter() - start:.1f} s")

    username = f"intake{world.town}"
    page, api, headers = logged_in(world.app, username), world.app.test_client(), bearer(world.app, username)
    pick = random.Random(17)
    audit, statements = ReadAudit(), Statements(world.app)
    base = f"/u/{world.town}/petitions"
    load_before = os.getloadavg()[0]
    results = [
        compare("detail page GET /u/<town>/petitions/<id>",
                lambda i: timed(page, f"{base}/{pick.choice(ids)}"), runs, audit, world, statements),
        compare("API GET /api/v1/u/<town>/petitions/<id>",
                lambda i: timed(api, f"/api/v1{base}/{pick.choice(ids)}", headers), runs, audit, world, statements),
        compare("list page GET /u/<town>/petitions (50 rows)",
                lambda i: timed(page, base), max(runs // 4, 20), audit, world, statements),
    ]
    print()
    print(f"{'request':46s} {'audit':>5s} {'p50 ms':>8s} {'p95 ms':>8s} {'mean ms':>8s} {'SQL':>5s}   entries written")
    for r in results:
        for name in ("on", "off"):
            s = r[name]
            written = f"{r['written']:,} for {r['runs']:,} requests" if name == "on" else "—"
            print(f"{r['label'] if name == 'on' else '':46s} {name:>5s} {s['p50']:8.2f} {s['p95']:8.2f} "
                  f"{s['mean']:8.2f} {s['sql']:5.1f}   {written}")
    print(f"(SQL: statements per request; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)")
    print()
    for r in results:
        on, off = r["on"], r["off"]
        print(f"{r['label']}: the read audit costs {on['p50'] - off['p50']:+.2f} ms at p50 "
              f"({on['p50'] / off['p50']:.2f}× the request without it), {on['p95'] - off['p95']:+.2f} ms at p95, "
              f"{on['mean'] - off['mean']:+.2f} ms on the mean, {on['sql'] - off['sql']:+.1f} SQL statements")
    detail, list_page = results[0], results[2]
    assert detail["written"] == detail["runs"], detail  # one entry per record opened …
    assert list_page["written"] == 0, list_page  # … and none for a list
    if not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(world.instance, ignore_errors=True)


if __name__ == "__main__":
    main()
