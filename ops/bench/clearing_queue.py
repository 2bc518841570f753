"""Benchmark: the township clearing queue (澄清正名 work page) at 100,000 clearing cases in one province.

Builds one province (10 cities × 8 counties × 15 townships = 1,200 townships) through the real
provisioning import, spreads clearing cases over the townships Zipf-like (the heaviest has a few
thousand, the median a few dozen), across every workflow state (most filed, about a third open),
deadlines around today, priority flags and quarterly batches; then times the queue as a township
officer sees it — ``core.clearing.queries.queue_page`` under the officer's acting context (ORM
auto-filter, and on PostgreSQL the app's non-owner role, so row-level security is in the path),
and the HTML page ``GET /u/<id>/clearing`` through the test client when that view exists.

The baseline is the same province with 1,000 cases in all, in a second database, built and
timed in the same run; every figure is the median of warm runs, with its ratio 100k / 1k.
On PostgreSQL it also prints EXPLAIN (ANALYZE, BUFFERS) for the heaviest township's page 1.

    .venv/bin/python ops/bench/clearing_queue.py                 # SQLite in a temp dir
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python ops/bench/clearing_queue.py

BENCH_DATABASE_URL is a superuser URL: its database (and "<name>_1k" for the baseline) is created
if missing and its public schema rebuilt, so never point it at the test suite's database.
The app then connects as ``qinglian_bench_app`` (neither owner, superuser nor BYPASSRLS) and
migrates as ``qinglian_bench_owner``, as the PostgreSQL pass of the tests does.
BENCH_CASES (100000), BENCH_BASELINE_CASES (1000) and BENCH_RUNS (15) change the sizes and repeats;
BENCH_EXPLAIN_ALL=1 prints the plans of every filter, BENCH_KEEP=1 keeps the temporary SQLite files.
"""
from __future__ import annotations

import csv
import io
import math
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchdb import APP_ROLE, OWNER_ROLE, prepare_postgres, role_url  # noqa: E402  (beside this script)
from sealing import RowSealer  # noqa: E402

SHAPE = (10, 8, 15)  # cities, counties per city, townships per county
ZIPF_S = 0.7  # township weight ∝ rank^-s: heaviest ≈ 4 % of the cases, median ≈ 0.045 %
STATE_WEIGHTS = {  # about a third open, most filed
    "applied": 8, "assessed": 5, "escalated": 1, "reviewed": 5, "plan_submitted": 2, "plan_approved": 5,
    "cleared": 5, "fed_back": 4, "filed": 60, "declined": 5,
}
PASSWORD = "Correct-Horse-42"
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
WARMUP = 3
CHUNK = 5_000

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬建国建华志强志明海燕晓东春梅德胜文斌国庆永红卫东金凤"
POSITIONS = ["村党支部书记", "村委会主任", "镇党委委员", "站所负责人", "村会计", "网格员", "镇长助理", "校长", "卫生院院长"]
ORGS = ["村委会", "党政办", "农业服务中心", "财政所", "中心学校", "卫生院", "综治中心", "国土所"]
ACCUSATIONS = ["优亲厚友、违规分配低保名额", "工程项目招投标中收受好处", "侵占集体土地补偿款", "违规报销差旅费用",
               "征地拆迁中优亲厚友", "对群众诉求推诿扯皮", "违规插手村级工程", "虚报冒领惠农补贴"]


# ---------------------------------------------------------------- the province and its cases


def sheet() -> bytes:
    cities, counties, townships = SHAPE
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["区划代码", "名称"])
    writer.writerow(["900000", "测评省"])
    for c in range(1, cities + 1):
        writer.writerow([f"90{c:02d}00", f"甲{c}市"])
        for k in range(1, counties + 1):
            county = f"90{c:02d}{20 + k:02d}"
            writer.writerow([county, f"乙{c}-{k}县"])
            for t in range(1, townships + 1):
                writer.writerow([f"{county}{t:03d}", f"丙{c}-{k}-{t}镇"])
    return out.getvalue().encode()


def spread(n_cases: int, n_units: int, seed: int = 7) -> list[int]:
    """Cases per township: Zipf-like weights on a fixed random order, largest-remainder rounding."""
    weights = [(rank + 1) ** -ZIPF_S for rank in range(n_units)]
    random.Random(seed).shuffle(weights)
    total = sum(weights)
    exact = [n_cases * w / total for w in weights]
    counts = [math.floor(x) for x in exact]
    for i in sorted(range(n_units), key=lambda i: exact[i] - counts[i], reverse=True)[: n_cases - sum(counts)]:
        counts[i] += 1
    return counts


@dataclass
class Town:
    id: int
    path: str
    name: str
    parent_id: int


@dataclass
class Dataset:
    cases: list[dict] = field(default_factory=list)
    batches: list[dict] = field(default_factory=list)
    counters: list[dict] = field(default_factory=list)
    stats: list[dict] = field(default_factory=list)


def seal_rows(model, rows: list[dict]) -> dict[int, str]:
    """Give the rows ids and seal their persons as the app does (ops/bench/sealing.py: the model's Sealed
    attributes, bound to table, unit and id), with the keyed hashes of matching and search, so a bulk INSERT
    writes no plain name. Returns id -> plain name."""
    from sqlalchemy import text

    from core.extensions import db

    if not rows:
        return {}
    top = db.session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {model.__tablename__}"))
    columns = list(dict.fromkeys([*rows[0], "id", "person_key", "person_name_key"]))
    seal, names = RowSealer(model.__tablename__, columns), {}
    for number, row in enumerate(rows, start=top + 1):
        row["id"], names[number] = number, row["person_name"]
        row.update(zip(columns, seal([row.get(c) for c in columns])))
    return names


def generate(towns: list[Town], n_cases: int, today: date, seed: int = 11) -> Dataset:
    from core.clearing.models import Priority, SubjectKind, priority_rank
    from core.numbering import SERIES_MARKS, short_name

    rng = random.Random(seed)
    states, state_w = list(STATE_WEIGHTS), list(STATE_WEIGHTS.values())
    flags_all = [p.value for p in Priority]
    counts = spread(n_cases, len(towns))
    heavy = {t.id for t, n in sorted(zip(towns, counts), key=lambda x: -x[1])[:20]}
    now = datetime.now(timezone.utc)
    data = Dataset()
    # Quarterly batches of the 20 heaviest townships over the last two years.
    for town in towns:
        if town.id in heavy:
            for back in range(8):
                q_index = (today.year * 4 + (today.month - 1) // 3) - back
                year, quarter = divmod(q_index, 4)
                data.batches.append({"unit_id": town.id, "unit_path": town.path, "year": year, "quarter": quarter + 1,
                                     "target_on": date(year, quarter * 3 + 3, 28), "note": "", "created_at": now,
                                     "updated_at": now, "version": 1})
    stats: dict[tuple[int, str, str], int] = Counter()
    for town, n in zip(towns, counts):
        short = short_name(town.name)
        rows = []
        for _ in range(n):
            state = rng.choices(states, state_w)[0]
            is_open = state not in ("filed", "declined")
            applied_on = today - timedelta(days=rng.randint(3, 150) if is_open else rng.randint(30, 720))
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            work_unit = short + rng.choice(ORGS)
            k = rng.random()
            flags = [] if k < 0.7 else rng.sample(flags_all, 1 if k < 0.9 else 2)
            origin = "pool" if rng.random() < 0.7 else "green_channel"
            subject = SubjectKind.UNIT.value if rng.random() < 0.03 else SubjectKind.PERSON.value
            stage_no = list(STATE_WEIGHTS).index(state)
            cleared_on = (min(applied_on + timedelta(days=rng.randint(40, 90)), today)
                          if state in ("cleared", "fed_back", "filed") else None)
            row = {
                "unit_id": town.id, "unit_path": town.path, "year": applied_on.year, "seq": 0, "number": "",
                "origin": origin, "candidate_id": None, "batch_id": None,
                "reference": f"{short}纪信〔{applied_on.year}〕{rng.randint(1, 900)}号",
                "subject_kind": subject, "person_name": name, "person_position": rng.choice(POSITIONS),
                "person_work_unit": work_unit,  # sealed, with its keys, by seal_rows
                "accusation": rng.choice(ACCUSATIONS) + "，经初步核实反映问题不属实。",
                "finding": "经核查，反映问题不属实。" if stage_no > 0 else "",
                "request": "申请对被反映问题予以澄清正名。" if origin == "green_channel" else "",
                "applied_on": applied_on, "priority_flags": flags, "priority": priority_rank(flags),
                "sensitive": rng.random() < 0.05, "state": state,
                "due_on": today + timedelta(days=rng.randint(-10, 25)) if is_open else None,
                "assessment": ({"checklist": {"verified_fully": True, "conclusion_clear": True, "handling_done": True},
                                "conditions": [], "opinion": "同意澄清"} if stage_no >= 1 else None),
                "override_reason": None,
                "review": {"opinion": "复核同意", "unit_id": town.id} if 3 <= stage_no <= 8 else None,
                "reviewing_unit_id": town.parent_id if state == "escalated" else None, "share_id": None,
                "plan": ({"method": "notice", "scope": "本人及所在党组织", "venue": "镇会议室",
                          "planned_on": applied_on.isoformat()} if 4 <= stage_no <= 8 else None),
                "clearing": ({"held_on": cleared_on.isoformat(), "attendance": 12, "presided_by": "镇纪委书记"}
                             if cleared_on else None),
                "cleared_on": cleared_on,
                "feedback": ({"to_person": True, "to_party_org": True}
                             if state in ("fed_back", "filed") else None),
                "filed_on": cleared_on + timedelta(days=7) if state == "filed" else None,
                "closed_reason": "不符合澄清条件" if state == "declined" else None,
                "created_at": datetime.combine(applied_on, dtime(9), timezone.utc), "updated_at": now,
                "version": 1 + (stage_no if state != "declined" else 2),
            }
            rows.append(row)
            stats[(town.id, f"clearing.state.{state}", "")] += 1
            if is_open and row["due_on"] < today:
                stats[(town.id, "clearing.overdue", "")] += 1
            if cleared_on:
                metric = "clearing.cleared_units" if subject == SubjectKind.UNIT else "clearing.cleared_persons"
                stats[(town.id, metric, "")] += 1
                stats[(town.id, metric, cleared_on.isoformat())] += 1
        rows.sort(key=lambda r: r["applied_on"])
        last: dict[int, int] = defaultdict(int)
        for row in rows:
            last[row["year"]] += 1
            row["seq"] = last[row["year"]]
            row["number"] = f"{short}{SERIES_MARKS['clearing']}〔{row['year']}〕{row['seq']}号"
        data.counters += [{"unit_id": town.id, "unit_path": town.path, "series": "clearing", "year": y,
                           "last_value": v} for y, v in last.items()]
        data.cases += rows
    # Cases arrive over time from every township: insert in that order, so a township's rows are
    # scattered over the heap as in a real table (not packed together, which flatters every plan).
    data.cases.sort(key=lambda r: (r["created_at"], r["unit_id"], r["seq"]))
    paths = {t.id: t.path for t in towns}
    data.stats = [{"unit_id": u, "unit_path": paths[u], "metric": m, "period": p, "value": v}
                  for (u, m, p), v in stats.items()]
    return data


# ---------------------------------------------------------------- one database, built and timed


@dataclass
class Bench:
    label: str
    n_cases: int
    app: object
    url: str
    admin_url: str | None  # PostgreSQL superuser URL of this database
    instance: str  # the temporary instance folder (secrets; the SQLite file)
    heavy: Town | None = None
    median: Town | None = None
    counts: dict[int, int] = field(default_factory=dict)
    accounts: dict[int, tuple[int, str]] = field(default_factory=dict)  # unit id -> (account id, username)
    q_name: str = ""
    batch_id: int | None = None
    load_seconds: float = 0.0

    @property
    def postgres(self) -> bool:
        return self.url.startswith("postgresql")


def build(label: str, n_cases: int, admin_url: str | None) -> Bench:
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, insert, select, text

    from core import context
    from core.app import create_app
    from core.clearing.models import ClearingBatch, ClearingCase
    from core.extensions import db
    from core.identity import operations as identity_ops
    from core.numbering import NumberCounter
    from tenants import operations as ops
    from tenants import provisioning
    from tenants.models import Unit, UnitStat

    instance = tempfile.mkdtemp(prefix="qinglian-bench-")
    os.environ["QINGLIAN_INSTANCE_PATH"] = instance
    config = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "RATELIMIT_ENABLED": False}
    if admin_url:
        prepare_postgres(admin_url)
        url = role_url(admin_url, APP_ROLE)
        config.update(SQLALCHEMY_DATABASE_URI=url, DATABASE_MIGRATION_URL=role_url(admin_url, OWNER_ROLE),
                      DATABASE_APP_ROLE=APP_ROLE)
    else:
        url = f"sqlite:///{instance}/bench.db"
        config.update(SQLALCHEMY_DATABASE_URI=url, DATABASE_MIGRATION_URL=url)
    app = create_app(config)
    bench = Bench(label, n_cases, app, url, admin_url, instance)
    start = time.perf_counter()
    with app.app_context():
        upgrade()
        from core import calendar

        today = calendar.today()
        with context.acting(context.maintenance_context(), db.session):
            check = provisioning.check_sheet(provisioning.read_sheet("units.csv", sheet()))
            assert check.ok, [r.errors for r in check.rows if not r.ok][:3]
            ops.import_units(check.new_units())
            db.session.commit()
            towns = [Town(u.id, u.path, u.name, u.parent_id) for u in db.session.scalars(
                select(Unit).where(Unit.level == "township").order_by(Unit.id))]
            data = generate(towns, n_cases, today)
            session = db.session
            session.execute(insert(ClearingBatch.__table__), data.batches)
            batch_ids = {(u, y, q): i for i, u, y, q in session.execute(select(
                ClearingBatch.id, ClearingBatch.unit_id, ClearingBatch.year, ClearingBatch.quarter))}
            for row in data.cases:
                if row["origin"] == "pool":
                    row["batch_id"] = batch_ids.get((row["unit_id"], row["applied_on"].year,
                                                     (row["applied_on"].month - 1) // 3 + 1))
            plain_names = seal_rows(ClearingCase, data.cases)
            for i in range(0, len(data.cases), CHUNK):
                session.execute(insert(ClearingCase.__table__), data.cases[i:i + CHUNK])
            for table, rows in ((NumberCounter.__table__, data.counters), (UnitStat.__table__, data.stats)):
                for i in range(0, len(rows), CHUNK):
                    session.execute(insert(table), rows[i:i + CHUNK])
            session.commit()
            # The officers: one at the heaviest township, one at the median one.
            bench.counts = dict(Counter(r["unit_id"] for r in data.cases))
            ranked = sorted(towns, key=lambda t: (-bench.counts.get(t.id, 0), t.id))
            bench.heavy, bench.median = ranked[0], ranked[len(ranked) // 2]
            for town in (bench.heavy, bench.median):
                username = f"officer{town.id}"
                account, _ = identity_ops.create_account(username, f"承办{town.id}", PASSWORD)
                ops.add_membership(account, db.session.get(Unit, town.id), "officer")
                bench.accounts[town.id] = (account.id, username)
            db.session.commit()
        open_heavy = [r for r in data.cases
                      if r["unit_id"] == bench.heavy.id and r["state"] not in ("filed", "declined")]
        bench.q_name = plain_names[open_heavy[len(open_heavy) // 2]["id"]] if open_heavy else "王"
        batched = Counter(r["batch_id"] for r in open_heavy if r["batch_id"])
        bench.batch_id = batched.most_common(1)[0][0] if batched else None
        db.session.remove()
    if admin_url:  # a table in steady state: statistics and visibility map, as autovacuum leaves it
        from sqlalchemy.engine import make_url

        engine = create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            # ids were given: the sequence moves past them (as the owner: the app role may not set it)
            conn.execute(text("SELECT setval(pg_get_serial_sequence('clearing_cases', 'id'), "
                              "(SELECT max(id) FROM clearing_cases))"))
            for table in ("clearing_cases", "clearing_batches", "unit_stats", "units", "shares", "number_counters"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))
        engine.dispose()
    bench.load_seconds = time.perf_counter() - start
    return bench


# ---------------------------------------------------------------- timings


SCENARIOS = [  # (label, which township, query args of the page)
    ("heaviest, page 1", "heavy", {}),
    ("median, page 1", "median", {}),
    ("heaviest, stage=review", "heavy", {"stage": "review"}),
    ("heaviest, overdue=1", "heavy", {"overdue": "1"}),
    ("heaviest, q=<name>", "heavy", {"q": "<name>"}),
    ("heaviest, priority=frontline", "heavy", {"priority": "frontline"}),
    ("heaviest, batch_id=<batch>", "heavy", {"batch_id": "<batch>"}),
    ("heaviest, deep page 20", "heavy", {"page": "20"}),
    ("heaviest, closed=1 (all states)", "heavy", {"closed": "1"}),
]


def per_page(app) -> int:
    try:
        from core.clearing import views

        return int(getattr(views, "PER_PAGE", 50))
    except ImportError:
        return 50


def has_page(app) -> bool:
    return any(rule.rule.startswith("/u/<int:unit_id>/clearing") and "GET" in rule.methods
               for rule in app.url_map.iter_rules())


def _args(bench: Bench, args: dict) -> dict:
    out = dict(args)
    if out.get("q") == "<name>":
        out["q"] = bench.q_name
    if out.get("batch_id") == "<batch>":
        out["batch_id"] = str(bench.batch_id or 0)
    return out


def _officer(bench: Bench, town: Town):
    """The township (detached, attributes loaded) and the acting context of its officer's request."""
    from core import context
    from core.extensions import db
    from tenants.models import Unit

    with bench.app.app_context():
        unit = db.session.get(Unit, town.id)
        db.session.remove()  # detached with its attributes: nothing is refreshed inside a timed run
    account_id, _ = bench.accounts[town.id]
    return unit, context.ActingContext(account_id=account_id, unit_id=unit.id, unit_path=unit.path)


def _capture(call) -> list[tuple[str, object]]:
    """The statements on clearing_cases that ``call`` sends, with their parameters."""
    from sqlalchemy import event

    from core.extensions import db

    captured = []

    def listener(conn, cursor, statement, parameters, ctx, executemany):
        if "clearing_cases" in statement:
            captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return captured


def queue_runner(bench: Bench, town: Town, args: dict):
    """One timed call of queue_page as the officer's request makes it (its own transaction, so the
    RLS settings are applied at its begin). Returns (run, info); run() gives seconds."""
    from werkzeug.datastructures import MultiDict

    from core import context
    from core.clearing.queries import QueueFilter, queue_page
    from core.extensions import db

    unit, ctx = _officer(bench, town)
    f, page, size = QueueFilter.from_args(MultiDict(args)), int(args.get("page", 1)), per_page(bench.app)
    with bench.app.app_context():
        context.activate(ctx)
        rows, total = queue_page(unit, f, page, size)
        db.session.remove()

    def run() -> float:
        with bench.app.app_context():
            context.activate(ctx)
            t0 = time.perf_counter()
            queue_page(unit, f, page, size)
            db.session.remove()
            return time.perf_counter() - t0

    return run, {"rows": len(rows), "total": total, "page": page}


def sql_runner(bench: Bench, town: Town, args: dict):
    """The database's share: the SQL queue_page sends (auto-filter included) sent as is, rows fetched,
    in a transaction of its own as the officer (RLS in force), without the ORM around it."""
    from werkzeug.datastructures import MultiDict

    from core import context
    from core.clearing.queries import QueueFilter, queue_page
    from core.extensions import db

    unit, ctx = _officer(bench, town)
    f, page, size = QueueFilter.from_args(MultiDict(args)), int(args.get("page", 1)), per_page(bench.app)
    with bench.app.app_context():
        context.activate(ctx)
        statements = _capture(lambda: queue_page(unit, f, page, size))
        db.session.remove()

    def run() -> float:
        with bench.app.app_context():
            context.activate(ctx)
            t0 = time.perf_counter()
            conn = db.session.connection()
            for statement, parameters in statements:
                conn.exec_driver_sql(statement, parameters).fetchall()
            db.session.remove()
            return time.perf_counter() - t0

    return run


class PageClient:
    """A logged-in township officer's browser (Flask test client, CSRF token fetched from the form)."""

    def __init__(self, app, username: str):
        import re

        self.client = app.test_client()
        form = self.client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        response = self.client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302 and "/login" not in response.location, response.location

    def get(self, path: str, args: dict) -> float:
        t0 = time.perf_counter()
        response = self.client.get(path, query_string=args)
        elapsed = time.perf_counter() - t0
        assert response.status_code == 200, (path, args, response.status_code)
        return elapsed


_clients: dict[tuple[int, int], PageClient] = {}


def page_runner(bench: Bench, town: Town, args: dict):
    """GET /u/<id>/clearing?args as the township's officer, the whole request through the app."""
    key = (id(bench), town.id)
    if key not in _clients:
        _clients[key] = PageClient(bench.app, bench.accounts[town.id][1])
    client = _clients[key]
    return lambda: client.get(f"/u/{town.id}/clearing", args)


def interleaved(*runs) -> list[list[float]]:
    """Warm up, then alternate the runs (1k, 100k, 1k, …) so both see the same machine load."""
    samples: list[list[float]] = [[] for _ in runs]
    for i in range(WARMUP + RUNS):
        for run, out in zip(runs, samples):
            elapsed = run()
            if i >= WARMUP:
                out.append(elapsed * 1000)
    return samples


def measure(small: Bench, big: Bench) -> dict[str, dict]:
    page_exists = has_page(big.app)
    results = {}
    for label, which, raw in SCENARIOS:
        entry = {}
        for kind, factory in (("query", queue_runner), ("sql", sql_runner), ("page", page_runner)):
            if kind == "page" and not page_exists:
                continue
            runs = []
            for bench in (small, big):
                town = bench.heavy if which == "heavy" else bench.median
                made = factory(bench, town, _args(bench, raw))
                if kind == "query":
                    made, entry[bench.label] = made
                runs.append(made)
            entry[kind] = interleaved(*runs)
        results[label] = entry
    return results


def explain(bench: Bench, args: dict) -> None:
    """The plans of the statements queue_page sends for the heaviest township, as the officer."""
    from werkzeug.datastructures import MultiDict

    from core import context
    from core.clearing.queries import QueueFilter, queue_page
    from core.extensions import db

    unit, ctx = _officer(bench, bench.heavy)
    with bench.app.app_context():
        context.activate(ctx)
        captured = _capture(lambda: queue_page(unit, QueueFilter.from_args(MultiDict(args)),
                                               int(args.get("page", 1)), per_page(bench.app)))
        conn = db.session.connection()  # same transaction: the officer's settings are applied
        prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " if bench.postgres else "EXPLAIN QUERY PLAN "
        for (statement, parameters), what in zip(captured, ("count", "rows")):
            lines = [row[-1] for row in conn.exec_driver_sql(prefix + statement, parameters)]
            used = sorted({m for line in lines for m in re.findall(r"ix_clearing_cases_\w+", line)})
            print(f"  -- {what} query {args or ''}: indexes used: {', '.join(used) or 'NONE (sequential scan)'}")
            for line in lines:
                print(f"     {line if len(line) <= 170 else line[:170] + ' …'}")
        db.session.remove()


# ---------------------------------------------------------------- the run


def _short(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def _table(results: dict, small: Bench, big: Bench, stat, title: str, kinds: list[str]) -> None:
    a, b = _short(small.n_cases), _short(big.n_cases)
    names = {"query": "queue_page", "sql": "its SQL alone", "page": "GET page"}
    print(f"{title}")
    print(f"{'':34s} {'matching':>13s} {'on':>4s}" + "".join(f"  {names[k] + ' (ms)':^21s}" for k in kinds))
    cols = f"{a:>6s} {b:>6s} {'ratio':>6s}"
    print(f"{'scenario':34s} {a:>6s} {b:>6s} {'page':>4s}" + f"  {cols}" * len(kinds))
    for label, _, _ in SCENARIOS:
        r = results[label]
        line = f"{label:34s} {r[small.label]['total']:6d} {r[big.label]['total']:6d} {r[big.label]['rows']:4d}"
        for kind in kinds:
            x, y = stat(r[kind][0]), stat(r[kind][1])
            line += f"  {x:6.2f} {y:6.2f} {y / x:5.1f}×"
        print(line)


def main() -> None:
    admin = os.environ.get("BENCH_DATABASE_URL")
    big_n = int(os.environ.get("BENCH_CASES", "100000"))
    small_n = int(os.environ.get("BENCH_BASELINE_CASES", "1000"))
    if admin and not admin.startswith("postgresql"):
        sys.exit("BENCH_DATABASE_URL must be a postgresql:// superuser URL")
    small_admin = None
    if admin:
        from sqlalchemy.engine import make_url

        u = make_url(admin)
        small_admin = u.set(database=f"{u.database}_1k").render_as_string(hide_password=False)
    print(f"clearing queue benchmark on {'PostgreSQL (app role, RLS forced)' if admin else 'SQLite'}; "
          f"{SHAPE[0]}×{SHAPE[1]}×{SHAPE[2]} townships; {RUNS} warm runs, 1k and 100k alternated")
    benches = []
    for n, url in ((small_n, small_admin), (big_n, admin)):
        bench = build(f"{n:,} cases", n, url)
        print(f"  built {bench.label:>14s} in {bench.load_seconds:5.1f}s: heaviest township {bench.heavy.id} has "
              f"{bench.counts.get(bench.heavy.id, 0):,} cases, median township {bench.median.id} has "
              f"{bench.counts.get(bench.median.id, 0):,}; q={bench.q_name!r} batch={bench.batch_id}")
        benches.append(bench)
    small, big = benches
    page_exists = has_page(big.app)
    print(f"  per page: {per_page(big.app)}; HTML page /u/<id>/clearing "
          f"{'exists: timed through the test client' if page_exists else 'not there yet: queue_page only'}")
    load_before = os.getloadavg()[0]
    results = measure(small, big)
    kinds = ["query", "sql"] + (["page"] if page_exists else [])
    print()
    _table(results, small, big, statistics.median, "median of the warm runs", kinds)
    print()
    _table(results, small, big, min, "fastest warm run (least disturbed by other load on the machine)", kinds)
    a, b = _short(small.n_cases), _short(big.n_cases)
    print(f"(matching: the township's cases the filter matches, {a} / {b} data; on page: rows shown at {b}, a page"
          f" past the end shows none; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)")
    print()
    print(f"plans, {big.label}, heaviest township ({big.counts[big.heavy.id]:,} cases):")
    explain(big, {})
    if os.environ.get("BENCH_EXPLAIN_ALL"):
        for _, _, raw in SCENARIOS[2:]:
            explain(big, _args(big, raw))
    if not os.environ.get("BENCH_KEEP"):  # PostgreSQL databases stay (rebuilt by the next run)
        for bench in benches:
            shutil.rmtree(bench.instance, ignore_errors=True)


if __name__ == "__main__":
    main()
