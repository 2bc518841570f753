"""Benchmark: the roll-up endpoint against the live GROUP BY it replaces (issue 6).

Data from ops/bench/reporting_data.py: the province (1,502 units, 320,000 petitions, 30,000 clearing
cases) on PostgreSQL and on SQLite, and the nation (41,000 units, 10 million petitions) on PostgreSQL.
For each database, gunicorn is started with the production settings (ops/gunicorn.conf.py: gthread,
2 workers here, request recycling off so no worker restarts inside a measurement) against the app's
non-owner role (RLS in force), and a single client sends requests one after another on one
keep-alive connection (http.client), the targets interleaved, after a warm-up:

- ``GET /api/v1/units/<id>/rollup?period=month`` (the headline figures) at the province, a city, a
  county and a township, and at the nation's root, one of its provinces and one of that province's
  cities, with the bearer token of a leader of the root (an analyst's token is checked to answer the
  same); SQLite is served by the same gunicorn (it only reads);
- the naive way: the same figures by a live GROUP BY over the records (petitions, clearing cases,
  candidates, visits) joined to ``units`` by the path range, with the child coverage — sent straight
  through psycopg/sqlite3 as the superuser (no HTTP, no ORM, no RLS: the naive way at its best);
- a one-row primary-key lookup (``SELECT … FROM units WHERE id = …``) through the same driver;
- bare endpoints on the same gunicorn: ``/bench/bare`` (anonymous) and ``/bench/bare-auth`` (the
  bearer token checked, then nothing) — what any request of the app costs.

Every measured figure of the endpoint is checked against the live GROUP BY (they must agree: the
stats rows are generated from the records); a difference fails the run. Then the targets: province
rollup p95 ≤ 20 ms, nation p95 ≤ 100 ms (PostgreSQL, end to end), and the live GROUP BY at least
20× slower (median) at province scale. For each target it also prints where a request's time goes
(SQL statements and their time, through the Flask test client), and when a target fails, the
EXPLAIN (ANALYZE, BUFFERS) of the roll-up's statements.

The bulletins (通报) of every unit of the province above township (last week's and last month's) are
built by ``reporting.bulletins``' build-all function (see ``bulletin_builder``) in one transaction,
timed, then rolled back so the next run builds them again; if there is no such function the run says so.

    .venv/bin/python ops/bench/rollup.py                                # everything at full size
    .venv/bin/python ops/bench/rollup.py --nation-scale 0.05 --requests 100   # a quicker pass
    .venv/bin/python ops/bench/rollup.py --skip nation,sqlite

Options: --province-scale/--nation-scale (fraction of the records), --requests (300 per target),
--warmup (30), --fresh (regenerate), --keep (reuse a database built before the migrations last changed),
--skip (nation, sqlite, province, bulletins). The databases are kept (bench_rollup_province,
bench_rollup_nation; $BENCH_DATA_DIR/province-sqlite/province.db) and reused while their generator,
scale and migrations are unchanged (BENCH_ROLLUP_DATABASE renames them). At full size a run takes about 30 min
(the nation's 300 requests at its current speed, 15 of them); generating the nation about 20 min the first time,
plus sealing its 11 million persons (SM4-GCM, about 15,000 rows/s per sealing process, see reporting_data.py).
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH_DIR))

import reporting_data as data  # noqa: E402  (beside this script)

PERIOD = "month"
PASSWORD = "Correct-Horse-42-bench"
TARGET_PROVINCE_P95_MS = 20.0
TARGET_NATION_P95_MS = 100.0
TARGET_RATIO = 20.0
NAIVE_BUDGET_S = 40.0  # per target: the live GROUP BY is run at most this long (at least 3 times)
CASE_OPEN = data.CASE_OPEN
IN_PROGRESS = ("applied", "assessed", "escalated", "reviewed", "plan_submitted", "plan_approved", "cleared",
               "fed_back")
OUTCOMES = ("founded", "partly", "unfounded", "unverifiable")
# Headline figures with no records in the generated data (no campaign, no supervision items or returns):
# the endpoint's values are printed but not compared.
NOT_GENERATED = ("zeroing.", "supervision.", "directives.")


# ---------------------------------------------------------------- the app under gunicorn


def bench_app():
    """gunicorn's app: the real one, plus two bare endpoints (``rollup:bench_app()``)."""
    from flask import abort, jsonify
    from flask_login import current_user

    from core.app import create_app

    app = create_app()

    @app.get("/bench/bare")
    def bench_bare():
        return "ok"

    @app.get("/bench/bare-auth")
    def bench_bare_auth():
        if not current_user.is_authenticated:
            abort(401)
        return jsonify(account=current_user.id)

    return app


class Gunicorn:
    def __init__(self, built: data.Built, label: str):
        self.built, self.label = built, label
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log = Path(built.instance) / "gunicorn.log"
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
        env.update(built.app_env())
        env.update(GUNICORN_BIND=f"127.0.0.1:{self.port}", GUNICORN_WORKERS="2", GUNICORN_MAX_REQUESTS="0",
                   GUNICORN_ACCESSLOG=str(Path(built.instance) / "access.log"), GUNICORN_ERRORLOG=str(self.log),
                   GUNICORN_LOGLEVEL="warning", PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "ops" / "gunicorn.conf.py"),
             "--chdir", str(BENCH_DIR), "rollup:bench_app()"], env=env, cwd=str(ROOT),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.proc.returncode}); see {self.log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/bench/bare")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit(f"gunicorn did not answer within 60 s; see {self.log}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Client:
    """One keep-alive connection; each call = one request, timed from send to the last byte read."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str, token: str | None = None) -> tuple[float, int, bytes]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        t0 = time.perf_counter()
        try:
            self.conn.request("GET", path, headers=headers)
            response = self.conn.getresponse()
            body = response.read()
        except (http.client.HTTPException, ConnectionError):  # the server closed an idle keep-alive
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            t0 = time.perf_counter()
            self.conn.request("GET", path, headers=headers)
            response = self.conn.getresponse()
            body = response.read()
        return (time.perf_counter() - t0) * 1000, response.status, body


# ---------------------------------------------------------------- accounts, tokens, units measured


@dataclass
class Target:
    label: str
    unit_id: int
    path: str
    level: str
    units: int = 0  # in the subtree
    petitions: int = 0
    cases: int = 0
    children: list[tuple[int, str]] = field(default_factory=list)  # (id, path) of the direct children


@dataclass
class World:
    built: data.Built
    label: str
    targets: list[Target]
    leader_token: str
    leader_id: int = 0
    analyst_token: str | None = None
    load_before: float = 0.0
    load: float = 0.0


def _app(built: data.Built):
    from core.app import create_app

    os.environ["QINGLIAN_INSTANCE_PATH"] = built.instance
    return create_app(built.app_config())


def prepare(built: data.Built, label: str, picks: list[tuple[str, str]]) -> World:
    """Accounts (created once, through the identity and tenancy operations) and fresh API tokens; the
    units to measure: ``picks`` = [(label, level)] taking the first unit of each level on the way down."""
    from sqlalchemy import select

    from core import context
    from core.extensions import db
    from core.identity import operations as identity_ops
    from core.identity.models import Account
    from tenants import operations as ops
    from tenants.models import Unit

    app = _app(built)
    with app.app_context():
        with context.acting(context.maintenance_context(), db.session):
            root = db.session.get(Unit, built.root_id)
            tokens, ids = {}, {}
            for role in ("leader", "analyst"):
                username = f"bench_{role}_{root.id}"
                account = db.session.scalar(select(Account).where(Account.username == username))
                if account is None:
                    account, _ = identity_ops.create_account(username, f"测评{role}", PASSWORD)
                    ops.add_membership(account, root, role)
                tokens[role] = identity_ops.issue_token(account, "rollup benchmark").plaintext
                ids[role] = account.id
            db.session.commit()
            targets, parent = [], root
            for pick_label, level in picks:
                if level == root.level and parent is root and not targets:
                    unit = root
                else:
                    unit = db.session.scalar(select(Unit).where(Unit.parent_id == parent.id, Unit.level == level)
                                             .order_by(Unit.id))
                targets.append(Target(pick_label, unit.id, unit.path, unit.level))
                parent = unit
        db.session.remove()
        db.engine.dispose()
    world = World(built, label, targets, tokens["leader"], ids["leader"], tokens["analyst"])
    sizes(world)
    return world


def sizes(world: World) -> None:
    db = data._connect(world.built)
    try:
        for t in world.targets:
            up = t.path[:-1] + "/"
            t.units = db.one("SELECT COUNT(*) FROM units WHERE path >= %s AND path < %s", (t.path, up))
            t.petitions = db.one("SELECT COUNT(*) FROM petitions WHERE unit_path >= %s AND unit_path < %s", (t.path, up))
            t.cases = db.one("SELECT COUNT(*) FROM clearing_cases WHERE unit_path >= %s AND unit_path < %s",
                             (t.path, up))
            t.children = [tuple(r) for r in db.all("SELECT id, path FROM units WHERE parent_id = %s AND "
                                                   "archived_at IS NULL ORDER BY id", (t.unit_id,))]
    finally:
        db.close()


# ---------------------------------------------------------------- the naive way: a live GROUP BY


def month_bounds(today: date) -> tuple[date, date]:
    from reporting.periods import parse_period

    period = parse_period(PERIOD, today)
    return period.since, period.until


def naive_sql(pg: bool) -> list[str]:
    """The headline figures from the records of the subtree (units joined by the path range); parameters
    :path, :upper, :since, :until, :today. One statement per table, as a report query would be written."""
    p = "%s" if pg else "?"
    pc = "%%" if pg else "%"  # a literal % beside psycopg's placeholders

    def where(alias: str) -> str:
        return f"JOIN units u ON u.id = {alias}.unit_id WHERE u.path >= {p} AND u.path < {p}"

    in_period = lambda col: f"{col} >= {p} AND {col} <= {p}"  # noqa: E731
    open_states = ", ".join(f"'{s}'" for s in CASE_OPEN)
    petitions = (
        "SELECT COUNT(*) FILTER (WHERE " + in_period("r.received_on") + ") AS received, "
        + ", ".join(f"COUNT(*) FILTER (WHERE r.state IN ('concluded', 'closed', 'settled') AND r.outcome = '{o}' AND "
                    + in_period("r.concluded_on") + f") AS concluded_{o}" for o in OUTCOMES)
        + ", COUNT(*) FILTER (WHERE r.state IN ('registered', 'handling')) AS open"
        + ", COUNT(*) FILTER (WHERE r.state = 'routed') AS routed"
        + f", COUNT(*) FILTER (WHERE r.state IN ('registered', 'handling') AND r.due_on < {p}) AS overdue"
        + f", COUNT(*) FILTER (WHERE CAST(r.flags AS TEXT) LIKE '{pc}\"repeat\"{pc}') AS repeat"
        + f", COUNT(*) FILTER (WHERE CAST(r.flags AS TEXT) LIKE '{pc}\"multi_{pc}') AS sanduo"
        + " FROM petitions r " + where("r"))
    cases = (
        "SELECT " + ", ".join(f"COUNT(*) FILTER (WHERE r.state = '{s}') AS state_{s}" for s in IN_PROGRESS)
        + ", COUNT(*) FILTER (WHERE r.subject_kind <> 'unit' AND " + in_period("r.cleared_on") + ") AS cleared_persons"
        + ", COUNT(*) FILTER (WHERE r.subject_kind = 'unit' AND " + in_period("r.cleared_on") + ") AS cleared_units"
        + ", COUNT(*) FILTER (WHERE r.cleared_on_time = TRUE AND " + in_period("r.cleared_on") + ") AS cleared_on_time"
        + f", COUNT(*) FILTER (WHERE r.state IN ({open_states}) AND r.due_on < {p}) AS overdue"
        + " FROM clearing_cases r " + where("r"))
    candidates = "SELECT COUNT(*) FILTER (WHERE r.state = 'pool') AS pool FROM clearing_candidates r " + where("r")
    visits = (
        "SELECT COUNT(*) FILTER (WHERE " + in_period("r.visited_on") + ") AS done"
        + ", COUNT(*) FILTER (WHERE r.visited_on IS NOT NULL) AS done_total"
        + ", COUNT(*) FILTER (WHERE r.visited_on IS NULL) AS due"
        + f", COUNT(*) FILTER (WHERE r.visited_on IS NULL AND r.due_on < {p}) AS overdue"
        + " FROM clearing_visits r " + where("r"))
    # 全覆盖: which children (their subtrees) and the unit's own level cleared someone in the period.
    coverage = (f"SELECT c.id, COUNT(r.id) FROM units c LEFT JOIN units u ON u.path >= c.path AND "
                f"u.path < {'overlay(c.path placing ' + chr(39) + '/' + chr(39) + ' from length(c.path))' if pg else 'substr(c.path, 1, length(c.path) - 1) || ' + chr(39) + '/' + chr(39)} "
                f"LEFT JOIN clearing_cases r ON r.unit_id = u.id AND " + in_period("r.cleared_on")
                + f" WHERE c.parent_id = {p} AND c.archived_at IS NULL GROUP BY c.id"
                + f" UNION ALL SELECT 0, COUNT(*) FROM clearing_cases r WHERE r.unit_id = {p} AND "
                + in_period("r.cleared_on"))
    return [petitions, cases, candidates, visits, coverage]


def naive_params(target: Target, since: date, until: date, today: date, pg: bool) -> list[tuple]:
    up = target.path[:-1] + "/"
    d = (lambda x: x) if pg else (lambda x: x.isoformat())
    s, u, t = d(since), d(until), d(today)
    return [
        (s, u, s, u, s, u, s, u, s, u, t, target.path, up),
        (s, u, s, u, s, u, t, target.path, up),
        (target.path, up),
        (s, u, t, target.path, up),
        (s, u, target.unit_id, target.unit_id, s, u),
    ]


def naive_figures(rows: list) -> dict[str, float | int | None]:
    """The endpoint's headline keys from the GROUP BY results (same arithmetic as reporting.figures)."""
    pet, cases, cand, visits, cov = rows
    pet, cases, cand, visits = pet[0], cases[0], cand[0], visits[0]
    received, *concluded = pet[:5]
    open_, _routed, overdue, repeat, sanduo = pet[5:]
    states = cases[:len(IN_PROGRESS)]
    persons, units, on_time, c_overdue = cases[len(IN_PROGRESS):]
    cleared = persons + units
    done, done_total, due, v_overdue = visits
    covered = sum(1 for _id, n in cov if n)
    planned = done_total + due
    return {
        "clearing.candidates": cand[0], "clearing.in_progress": sum(states), "clearing.cleared": cleared,
        "clearing.cleared_persons": persons, "clearing.cleared_units": units,
        "clearing.timeliness": round(100.0 * on_time / cleared, 1) if cleared else None,
        "clearing.visits_done": done, "clearing.visits_due": due,
        "clearing.visit_rate": round(100.0 * done_total / planned, 1) if planned else None,
        "clearing.overdue": c_overdue, "clearing.coverage": round(100.0 * covered / len(cov), 1) if cov else None,
        "petitions.received": received, "petitions.concluded": sum(concluded), "petitions.open": open_,
        "petitions.overdue": overdue, "petitions.repeat": repeat, "petitions.sanduo": sanduo,
    }


class Naive:
    """The live GROUP BY and the primary-key lookup, straight through the driver as the superuser."""

    def __init__(self, built: data.Built):
        self.built = built
        self.db = data._connect(built)
        self.pg = built.postgres
        self.statements = naive_sql(self.pg)
        self.since, self.until = month_bounds(built.today)

    def run(self, target: Target) -> tuple[float, dict]:
        params = naive_params(target, self.since, self.until, self.built.today, self.pg)
        t0 = time.perf_counter()
        rows = [self.db.conn.execute(sql, p).fetchall() for sql, p in zip(self.statements, params)]
        return (time.perf_counter() - t0) * 1000, naive_figures(rows)

    def pk(self, unit_id: int) -> float:
        sql = "SELECT id, name, level, code, path FROM units WHERE id = " + ("%s" if self.pg else "?")
        t0 = time.perf_counter()
        row = self.db.conn.execute(sql, (unit_id,)).fetchone()
        elapsed = (time.perf_counter() - t0) * 1000
        assert row and row[0] == unit_id
        return elapsed

    def close(self) -> None:
        self.db.close()


# ---------------------------------------------------------------- measuring


def pct(samples: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Result:
    label: str
    samples: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def p50(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    @property
    def p95(self) -> float:
        return pct(self.samples, 95) if self.samples else float("nan")


def rollup_path(target: Target) -> str:
    return f"/api/v1/units/{target.unit_id}/rollup?period={PERIOD}"


def measure_http(world: World, port: int, requests: int, warmup: int) -> tuple[dict[str, Result], dict[str, dict]]:
    """Warm-up, then the HTTP targets interleaved (rollup at each unit, the two bare endpoints) so all see
    the same machine; also returns each target's JSON values."""
    client = Client(port)
    calls = [(f"rollup {t.label}", rollup_path(t), world.leader_token) for t in world.targets]
    calls += [("bare endpoint (anonymous)", "/bench/bare", None),
              ("bare endpoint (bearer token)", "/bench/bare-auth", world.leader_token)]
    results = {label: Result(label) for label, _, _ in calls}
    bodies: dict[str, dict] = {}
    for i in range(warmup + requests):
        for label, path, token in calls:
            elapsed, status, body = client.get(path, token)
            if status != 200:
                raise SystemExit(f"{label}: GET {path} answered {status}: {body[:300]!r}")
            if i >= warmup:
                results[label].samples.append(elapsed)
            elif i == 0 and label.startswith("rollup"):
                bodies[label] = json.loads(body)
    if world.analyst_token:  # an analyst of the root reads the same figures
        t = world.targets[0]
        _, status, body = client.get(rollup_path(t), world.analyst_token)
        assert status == 200 and json.loads(body) == bodies[f"rollup {t.label}"], \
            "the analyst's roll-up differs from the leader's"
    return results, bodies


def measure_naive(world: World, requests: int) -> tuple[dict[str, Result], dict[str, dict]]:
    naive = Naive(world.built)
    results, figures = {}, {}
    try:
        for t in world.targets:
            result = Result(f"live GROUP BY {t.label}")
            first, figures[t.label] = naive.run(t)  # the first run warms the cache; not counted
            start = time.perf_counter()
            while len(result.samples) < requests and (len(result.samples) < 3 or
                                                      time.perf_counter() - start < NAIVE_BUDGET_S):
                result.samples.append(naive.run(t)[0])
            result.note = f"{len(result.samples)} runs"
            results[t.label] = result
        pk = Result("primary-key lookup (units.id)")
        ids = [t.unit_id for t in world.targets]
        for i in range(30 + requests):
            elapsed = naive.pk(ids[i % len(ids)])
            if i >= 30:
                pk.samples.append(elapsed)
        results["pk"] = pk
    finally:
        naive.close()
    return results, figures


def inprocess_values(world: World) -> dict[str, dict]:
    """reporting.rollups.rollup() itself (what the endpoint calls), under the leader's context at the root."""
    from core import context
    from core.extensions import db
    from reporting import rollups
    from reporting.periods import parse_period
    from tenants.models import Unit

    app = _app(world.built)
    out = {}
    with app.app_context():
        root = db.session.get(Unit, world.built.root_id)
        context.activate(context.ActingContext(account_id=world.leader_id, unit_id=root.id, unit_path=root.path),
                         db.session)
        for t in world.targets:
            out[t.label] = dict(rollups.rollup(db.session.get(Unit, t.unit_id), parse_period(PERIOD)).values)
        db.session.remove()
        db.engine.dispose()
    return out


def compare(world: World, bodies: dict[str, dict], naive: dict[str, dict]) -> tuple[list[str], bool]:
    """Each measured figure of the endpoint against the live GROUP BY: the list of differences, and whether
    the endpoint's JSON carried its values (else reporting.rollups.rollup()'s own values are compared)."""
    problems = []
    in_json = all(bodies[f"rollup {t.label}"].get("values") is not None for t in world.targets)
    fallback = None if in_json else inprocess_values(world)
    for t in world.targets:
        values = bodies[f"rollup {t.label}"]["values"] if in_json else fallback[t.label]
        expected = naive[t.label]
        for key, value in values.items():
            if key.startswith(NOT_GENERATED):
                continue
            if key not in expected:
                problems.append(f"{world.label} {t.label}: {key} = {value} not computed by the live GROUP BY")
            elif not _same(value, expected[key]):
                problems.append(f"{world.label} {t.label}: {key}: endpoint {value}, live GROUP BY {expected[key]}")
        missing = set(expected) - set(values)
        if missing:
            problems.append(f"{world.label} {t.label}: endpoint lacks {sorted(missing)}")
    return problems, in_json


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-6


# ---------------------------------------------------------------- where a request's time goes


PARTS = [  # (module, function, label): timed inside a request by wrapping them in this process only
    ("reporting.api", "load_rollup_unit", "access"),
    ("reporting.rollups", "current_campaign_id", "campaign"),
    ("reporting.rollups", "_child_lines", "children"),
    ("reporting.rollups", "_read", "sums"),
]


@dataclass
class Split:
    statements: int = 0
    sql_ms: float = 0.0
    total_ms: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)  # label -> ms ("sums" outside coverage)
    sums_statements: int = 0


def breakdown(world: World) -> dict[str, Split]:
    """Where a roll-up request's time goes, through the Flask test client in this process: statements
    sent and their time, and the time in the pieces of reporting (median of 10 warm requests)."""
    import functools
    import importlib

    from sqlalchemy import event

    from core.extensions import db

    app = _app(world.built)
    out = {}
    current: dict[str, float] = {}
    stack: list[str] = []
    counters = {"sums_statements": 0}
    originals = []

    def wrap(module, name, label):
        original = getattr(module, name)
        originals.append((module, name, original))

        @functools.wraps(original)
        def timed(*a, **kw):
            stack.append(label)
            t0 = time.perf_counter()
            try:
                return original(*a, **kw)
            finally:
                stack.pop()
                current[label] = current.get(label, 0.0) + (time.perf_counter() - t0) * 1000

        setattr(module, name, timed)

    for module_name, name, label in PARTS:
        module = importlib.import_module(module_name)
        if hasattr(module, name):
            wrap(module, name, label)
    with app.app_context():
        engine = db.engine
    timings: list[float] = []
    starts: dict[int, float] = {}

    def before(conn, cursor, statement, parameters, context, executemany):
        starts[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        timings.append(time.perf_counter() - starts.pop(id(cursor), time.perf_counter()))
        if "sums" in stack:  # the statements of the figures themselves
            counters["sums_statements"] += 1

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    # No app context around the requests: each gets its own, as under gunicorn (an outer one would keep
    # flask.g, and what the app caches there for a request, from one request to the next).
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world.leader_token}"}
    try:
        for t in world.targets:
            runs = []
            for i in range(12):
                timings.clear()
                current.clear()
                counters["sums_statements"] = 0
                t0 = time.perf_counter()
                response = client.get(rollup_path(t), headers=headers)
                total = (time.perf_counter() - t0) * 1000
                assert response.status_code == 200, response.status_code
                if i >= 2:
                    runs.append(Split(len(timings), sum(timings) * 1000, total, dict(current),
                                      counters["sums_statements"]))
            runs.sort(key=lambda r: r.total_ms)
            out[t.label] = runs[len(runs) // 2]
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        for module, name, original in originals:
            setattr(module, name, original)
        with app.app_context():
            db.session.remove()
        engine.dispose()
    return out


def explain(world: World, target: Target) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements on the stats tables that one roll-up request sends, as the
    app role under the leader's context at the root (RLS in force), as the request runs them."""
    from sqlalchemy import event

    from core import context
    from core.extensions import db
    from tenants.models import Unit

    app = _app(world.built)
    with app.app_context():
        captured = []

        def listener(conn, cursor, statement, parameters, ctx, executemany):
            if "unit_stat" in statement and not statement.startswith("EXPLAIN"):
                captured.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", listener)
        response = app.test_client().get(rollup_path(target), headers={"Authorization": f"Bearer {world.leader_token}"})
        event.remove(db.engine, "before_cursor_execute", listener)
        assert response.status_code == 200
        db.session.remove()
        root = db.session.get(Unit, world.built.root_id)
        context.activate(context.ActingContext(account_id=world.leader_id, unit_id=root.id, unit_path=root.path),
                         db.session)
        conn = db.session.connection()
        print(f"  EXPLAIN (ANALYZE, BUFFERS) of the {len(captured)} statements on the stats tables of GET {rollup_path(target)}"
              f" ({world.label}); the first, then any of another shape:")
        shapes = set()
        for statement, parameters in captured:
            shape = statement.split("WHERE")[0] + str(len(parameters or ()))
            if shape in shapes:
                continue
            shapes.add(shape)
            print("    -- " + " ".join(statement.split())[:500])
            print("    -- parameters: " + str(parameters)[:300])
            for (line,) in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters):
                print("       " + line)
        db.session.remove()
        db.engine.dispose()


# ---------------------------------------------------------------- bulletins


BULLETIN_FUNCTIONS = ("build_all_bulletins", "build_all", "publish_all", "build_bulletins", "generate_all")


def bulletin_builder():
    """The function of reporting.bulletins that builds the bulletins of every unit, if there is one."""
    try:
        import reporting.bulletins as bulletins
    except ImportError as exc:
        return None, f"reporting.bulletins cannot be imported ({exc})"
    for name in BULLETIN_FUNCTIONS:
        for module_name in ("", ".operations", ".jobs"):
            try:
                module = __import__(f"reporting.bulletins{module_name}", fromlist=["_"])
            except ImportError:
                continue
            func = getattr(module, name, None)
            if callable(func):
                return func, f"reporting.bulletins{module_name}.{name}"
    return None, (f"reporting.bulletins has none of {', '.join(BULLETIN_FUNCTIONS)} "
                  f"(it has: {', '.join(n for n in dir(bulletins) if not n.startswith('_'))})")


def measure_bulletins(built: data.Built) -> str:
    """Every bulletin of the province's units above township for the last week and month, built in one
    transaction that is then rolled back (so the next run builds them again, not skips them)."""
    import inspect

    func, where = bulletin_builder()
    if func is None:
        return f"bulletins: NOT MEASURED — {where}"
    from sqlalchemy import func as sql_func, select

    from core import context
    from core.extensions import db
    from tenants.models import Unit

    app = _app(built)
    with app.app_context():
        try:
            with context.acting(context.maintenance_context(), db.session):
                units = db.session.scalar(select(sql_func.count(Unit.id)).where(Unit.level != "township"))
                kwargs = {"today": built.today} if "today" in inspect.signature(func).parameters else {}
                t0 = time.perf_counter()
                outcome = func(**kwargs)
                db.session.flush()
                seconds = time.perf_counter() - t0
                db.session.rollback()
        except Exception as exc:  # report, do not hide the other figures
            db.session.rollback()
            return f"bulletins: {where}() FAILED — {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        finally:
            db.session.remove()
            db.engine.dispose()
    verdict = "PASS" if seconds <= 60 else "FAIL"
    return (f"bulletins: {where}() for the province's {units} units above township in {seconds:.1f} s "
            f"(rolled back after) → {outcome!r:.160} — target ≤ 60 s: {verdict}")


# ---------------------------------------------------------------- the run


def ms(x: float) -> str:
    return f"{x:8.2f}" if x < 1000 else f"{x:8.0f}"


def report(world: World, http_results: dict[str, Result], naive: dict[str, Result],
           split: dict[str, "Split"], verdicts: list[tuple[str, bool]]) -> None:
    bare = http_results["bare endpoint (bearer token)"]
    print()
    print(f"{world.label}: {world.targets[0].units:,} units, {world.targets[0].petitions:,} petitions, "
          f"{world.targets[0].cases:,} clearing cases; period={PERIOD}; times in ms; load average "
          f"{world.load_before:.1f} before, {world.load:.1f} after")
    print(f"  {'target':26s} {'units':>7s} {'petitions':>10s} │ {'rollup p50':>10s} {'p95':>8s} │ "
          f"{'GROUP BY p50':>12s} {'p95':>8s} {'runs':>5s} │ {'naive/rollup':>12s} {'rollup/bare':>11s}")
    for t in world.targets:
        r, n = http_results[f"rollup {t.label}"], naive[t.label]
        print(f"  {t.label:26s} {t.units:7,d} {t.petitions:10,d} │ {ms(r.p50):>10s} {ms(r.p95)} │ "
              f"{ms(n.p50):>12s} {ms(n.p95)} {len(n.samples):5d} │ {n.p50 / r.p50:11.1f}× {r.p50 / bare.p50:10.1f}×")
    for label in ("bare endpoint (anonymous)", "bare endpoint (bearer token)"):
        r = http_results[label]
        print(f"  {label:45s} │ {ms(r.p50):>10s} {ms(r.p95)} │ (HTTP, same gunicorn)")
    pk = naive["pk"]
    print(f"  {'primary-key lookup (units.id, driver)':45s} │ {ms(pk.p50):>10s} {ms(pk.p95)} │")
    print("  where a roll-up request's time goes (in-process, Flask test client, each request in its own app "
          "context, median of 10; ms): statements sent and their time; access = load_rollup_unit, campaign = "
          "current_campaign_id, children = _child_lines (for the coverage), sums = rollups._read, the figures' "
          "statement(s) over totals + journal (figures and coverage together), rest = token, JSON, Flask")
    print(f"  {'target':26s} {'total':>8s} {'stmts':>6s} {'SQL':>8s} │ {'access':>8s} {'campaign':>9s} "
          f"{'children':>9s} {'sums':>8s} {'(stmts)':>8s} {'rest':>8s}")
    for t in world.targets:
        sp = split[t.label]
        known = sum(sp.parts.get(k, 0.0) for k in ("access", "campaign", "children", "sums"))
        print(f"  {t.label:26s} {sp.total_ms:8.2f} {sp.statements:6d} {sp.sql_ms:8.2f} │ "
              f"{sp.parts.get('access', 0):8.2f} {sp.parts.get('campaign', 0):9.2f} {sp.parts.get('children', 0):9.2f} "
              f"{sp.parts.get('sums', 0):8.2f} {sp.sums_statements:8d} {sp.total_ms - known:8.2f}")
    for text, ok in verdicts:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")


def run_world(world: World, args, role: str) -> list[tuple[str, bool]]:
    """Measure one database; returns the verdicts against the targets."""
    world.load_before = os.getloadavg()[0]
    server = Gunicorn(world.built, world.label)
    try:
        http_results, bodies = measure_http(world, server.port, args.requests, args.warmup)
    finally:
        server.stop()
    naive, figures = measure_naive(world, args.requests)
    problems, in_json = compare(world, bodies, figures)
    split = breakdown(world)
    verdicts: list[tuple[str, bool]] = []
    verdicts.append((f"every measured figure of the endpoint equals the live GROUP BY ({len(world.targets)} units)"
                     + ("" if in_json else " — compared through reporting.rollups.rollup(): the endpoint's JSON has"
                        " \"values\": null")
                     + ("" if not problems else ": " + "; ".join(problems[:8])), not problems))
    if not in_json:
        verdicts.append(("the endpoint's JSON carries the figures (\"values\" is null: RollupSchema reads "
                         "Rollup[\"values\"] through Rollup.__getitem__)", False))
    root = world.targets[0]
    r, n = http_results[f"rollup {root.label}"], naive[root.label]
    if role == "province" and world.built.postgres:
        verdicts.append((f"province rollup p95 {r.p95:.1f} ms ≤ {TARGET_PROVINCE_P95_MS:.0f} ms",
                         r.p95 <= TARGET_PROVINCE_P95_MS))
        verdicts.append((f"province rollup {n.p50 / r.p50:.0f}× faster than the live GROUP BY (medians) ≥ "
                         f"{TARGET_RATIO:.0f}×", n.p50 / r.p50 >= TARGET_RATIO))
    elif role == "nation":
        verdicts.append((f"nation rollup p95 {r.p95:.1f} ms ≤ {TARGET_NATION_P95_MS:.0f} ms",
                         r.p95 <= TARGET_NATION_P95_MS))
    world.load = os.getloadavg()[0]
    report(world, http_results, naive, split, verdicts)
    if world.built.postgres and not all(ok for _, ok in verdicts[1:]):
        slowest = max(world.targets, key=lambda t: http_results[f"rollup {t.label}"].p95)
        explain(world, slowest)
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--province-scale", type=float, default=1.0)
    parser.add_argument("--nation-scale", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--fresh", action="store_true", help="regenerate the databases")
    parser.add_argument("--keep", action="store_true", help="reuse the databases even if the migrations changed")
    parser.add_argument("--skip", default="", help="comma-separated: province, sqlite, nation, bulletins")
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    os.environ.pop("REDIS_URL", None)  # jobs inline: nothing here enqueues, and no worker is needed
    print(f"roll-up benchmark: {os.cpu_count()} CPUs; {args.requests} requests per target after {args.warmup} "
          f"warm-up, one client, targets interleaved; gunicorn -c ops/gunicorn.conf.py, 2 workers")
    worlds = []
    if "province" not in skip:
        built = data.ensure("province", "postgresql", args.province_scale, args.fresh, args.keep)
        worlds.append(("province", prepare(built, "province on PostgreSQL (app role, RLS)", [
            ("province", "province"), ("city", "city"), ("county", "county"), ("township", "township")])))
    if "sqlite" not in skip:
        built = data.ensure("province", "sqlite", args.province_scale, args.fresh, args.keep)
        worlds.append(("province", prepare(built, "province on SQLite", [
            ("province", "province"), ("city", "city"), ("county", "county"), ("township", "township")])))
    if "nation" not in skip:
        built = data.ensure("nation", "postgresql", args.nation_scale, args.fresh, args.keep)
        worlds.append(("nation", prepare(built, "nation on PostgreSQL (app role, RLS)", [
            ("nation", "province"), ("a province in the nation", "province"), ("a city in the nation", "city")])))
    for _role, world in worlds:
        b = world.built
        print(f"  {world.label}: generated in {b.seconds:.0f} s{' (reused)' if b.reused else ''}; "
              + ", ".join(f"{k} {v:,}" for k, v in b.counts.items()))
    verdicts = []
    for role, world in worlds:
        verdicts += run_world(world, args, role)
    print()
    if "bulletins" not in skip and "province" not in skip:
        print(measure_bulletins(worlds[0][1].built))
    failed = [text for text, ok in verdicts if not ok]
    print(f"{len(verdicts) - len(failed)} of {len(verdicts)} checks passed")
    if any("equals the live GROUP BY" in text for text in failed):
        sys.exit(1)


if __name__ == "__main__":
    main()
