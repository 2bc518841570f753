"""Benchmark: the workbench (工作台, ``GET /u/<id>/``) at the busiest township of the province data set (issue 19).

Data from ops/bench/reporting_data.py (the province: 1,400 townships, 320,000 petitions, 30,000 clearing cases;
reused when its marker matches). The township with the most petitions is picked; an officer and a leader are
made members there (through the identity and tenancy operations), and the township's open petitions and
clearing cases are handed to the officer (``handler_id``), so the officer's panels read real rows. gunicorn runs
with the production settings as in ops/bench/rollup.py (its ``bench_app``, which adds ``/bench/bare``); one
client logs in through the login form (session cookie, CSRF) and sends the requests one after another on one
keep-alive connection, the targets interleaved, after a warm-up. Printed: p50 and p95 of the officer's and the
leader's workbench, of the county leader's (children's overdue), and of the bare endpoint, in the same run.

    .venv/bin/python ops/bench/workbench.py                   # PostgreSQL (BENCH_ADMIN_URL, see reporting_data)
    .venv/bin/python ops/bench/workbench.py --backend sqlite
BENCH_REQUESTS (200) and BENCH_WARMUP (20) change the sizes.
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parents[1]))
sys.path.insert(0, str(BENCH_DIR))

import reporting_data as data  # noqa: E402  (beside this script)
from rollup import Gunicorn, pct  # noqa: E402

PASSWORD = "Correct-Horse-42"
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "20"))
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Session:
    """One keep-alive connection with a cookie jar of one session: logs in through the form, then GETs."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def _send(self, method: str, path: str, body: str | None = None) -> tuple[float, int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            t0 = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return (time.perf_counter() - t0) * 1000, response.status, payload

    def get(self, path: str) -> tuple[float, int, bytes]:
        return self._send("GET", path)

    def login(self, username: str) -> None:
        _ms, _status, page = self.get("/login")
        token = CSRF_RE.search(page.decode()).group(1)
        _ms, status, _body = self._send("POST", "/login", urlencode(
            {"csrf_token": token, "username": username, "password": PASSWORD}))
        if status != 302:
            raise SystemExit(f"login of {username} answered {status}")


def busiest_township(built) -> tuple[int, int, int]:
    """(unit id, its parent county's id, its petitions) of the township with the most petitions."""
    db = data._connect(built)
    try:
        row = db.all("SELECT p.unit_id, u.parent_id, COUNT(*) AS n FROM petitions p JOIN units u ON u.id = p.unit_id "
                     "WHERE u.level = 'township' GROUP BY p.unit_id, u.parent_id ORDER BY n DESC LIMIT 1")[0]
        return int(row[0]), int(row[1]), int(row[2])
    finally:
        db.close()


def prepare(built, town_id: int, county_id: int) -> dict[str, str]:
    """Accounts at the township (officer, leader) and the county (leader), created once; the township's open
    petitions and clearing cases handed to the officer. Returns the usernames by role."""
    from sqlalchemy import select, update

    from core import context
    from core.clearing.models import ClearingCase
    from core.clearing.workflow import OPEN as CASE_OPEN
    from core.extensions import db
    from core.identity import operations as identity_ops
    from core.identity.models import Account
    from core.petitions.models import Petition
    from core.petitions.workflow import OPEN as PETITION_OPEN
    from rollup import _app
    from tenants import operations as ops
    from tenants.models import Unit

    app = _app(built)
    names = {"officer": f"bench_wb_officer_{town_id}", "leader": f"bench_wb_leader_{town_id}",
             "county": f"bench_wb_county_{county_id}"}
    with app.app_context():
        with context.acting(context.maintenance_context(), db.session):
            ids = {}
            for role, username in names.items():
                account = db.session.scalar(select(Account).where(Account.username == username))
                if account is None:
                    account, _ = identity_ops.create_account(username, f"测评{role}", PASSWORD)
                    unit = db.session.get(Unit, county_id if role == "county" else town_id)
                    ops.add_membership(account, unit, "leader" if role != "officer" else "officer")
                ids[role] = account.id
            for model, states in ((Petition, (*PETITION_OPEN, "concluded")), (ClearingCase, CASE_OPEN)):
                db.session.execute(update(model).where(model.unit_id == town_id, model.state.in_(states))
                                   .values(handler_id=ids["officer"]).execution_options(synchronize_session=False))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--fresh", action="store_true", help="rebuild the province data set")
    args = parser.parse_args()
    built = data.ensure("province", "sqlite" if args.backend == "sqlite" else "postgresql", fresh=args.fresh)
    town_id, county_id, petitions = busiest_township(built)
    names = prepare(built, town_id, county_id)
    server = Gunicorn(built, "province")
    try:
        sessions = {role: Session(server.port) for role in names}
        for role, session in sessions.items():
            session.login(names[role])
        targets = {"officer": (sessions["officer"], f"/u/{town_id}/"),
                   "leader": (sessions["leader"], f"/u/{town_id}/"),
                   "county": (sessions["county"], f"/u/{county_id}/"),
                   "bare": (Session(server.port), "/bench/bare")}
        samples: dict[str, list[float]] = {label: [] for label in targets}
        for i in range(WARMUP + REQUESTS):
            for label, (session, path) in targets.items():
                ms, status, _body = session.get(path)
                if status != 200:
                    raise SystemExit(f"{label} {path} answered {status}")
                if i >= WARMUP:
                    samples[label].append(ms)
    finally:
        server.stop()
    print(f"\nworkbench at the busiest township (unit {town_id}, {petitions:,} petitions), {args.backend}, "
          f"gunicorn -c ops/gunicorn.conf.py, 2 workers; {REQUESTS} requests each after {WARMUP} warm-up, interleaved")
    print(f"  {'target':38s} │ {'p50 ms':>8s} {'p95 ms':>8s}")
    labels = {"officer": "officer's workbench GET /u/<town>/", "leader": "leader's workbench GET /u/<town>/",
              "county": "county leader's workbench GET /u/<county>/", "bare": "bare endpoint GET /bench/bare"}
    for label, values in samples.items():
        print(f"  {labels[label]:38s} │ {pct(values, 50):8.1f} {pct(values, 95):8.1f}")
    bare = pct(samples["bare"], 95)
    for label in ("officer", "leader", "county"):
        print(f"  p95 {label} / bare: {pct(samples[label], 95) / bare:.1f}×")


if __name__ == "__main__":
    main()
