"""Data for the roll-up benchmark (ops/bench/rollup.py): a province and the nation, with their stats rows.

- **province**: 1 province, 11 cities, 90 counties, 1,400 townships (provisioned through the real
  division-code import, so ``units.path`` is what ``tenants`` builds), 320,000 petitions, 30,000
  clearing cases, their candidates and follow-up visits, over the last three years. Rows are made in
  Python from one seed and loaded with COPY (psycopg 3 ``cursor.copy``) on PostgreSQL, with
  ``executemany`` in large transactions on SQLite: the same records on both.
- **nation**: a root above 32 provinces, 41,000 units in all (bulk-inserted with explicit ids, paths
  = ids from the root joined with '.', trailing '.', checked after the load), 10 million petitions and
  about 940,000 clearing cases made on the server by ``SELECT … generate_series`` (PostgreSQL only;
  sealed on their way in, below). The tree has no nation level: the root is a province-level unit named 全国 (one deployment
  per province federating upward is the real shape; here the upstream holds the whole tree).

Records arrive over time from every unit, so one unit's rows are scattered over the heap as in a
real table. States follow age: recent petitions are open, older ones concluded after 15–90 days
(founded 25 %, partly 20 %, unfounded 40 %, unverifiable 15 %), 3 % stuck open past their deadline,
3 % of those above townships routed down; clearing cases mostly filed, recent ones at every stage.

The accused person's name, position and work unit of petitions, candidates and cases are sealed as the app
seals them (SM4-GCM bound to table, unit and id, with the keyed hashes for matching and exact-name search;
ops/bench/sealing.py, under the keys of the instance folder the app then runs with): on the province's rows in
Python before the load; for the nation, the server's rows stream out of ``COPY (SELECT …) TO STDOUT``, are
sealed in Python and stream into ``COPY … FROM STDIN`` (``--seal-workers`` processes seal, one fewer than the
cores by default).

The ``unit_stats`` rows are then written from the records by ``INSERT … SELECT … GROUP BY`` as the
casework writes them (tenants.operations.bump_stat/set_stat): stock rows (period '') and, for dated
events, one row per ISO day, ISO week (``2026-W47``), month (``2026-11``) and year (``2026``). So a
live GROUP BY over the records and the sums of the stats rows must agree (rollup.py asserts it). The
subtree totals (``unit_stat_totals``) are built from them level by level as the migration builds
them (tenants.stats.rebuild_totals_statements); the journal starts empty, as after a fold.

Each database carries a ``bench_marker`` row (kind, scale, generator version, a hash of the
migrations); a run reuses a database whose marker matches and rebuilds it otherwise or with --fresh.
On reuse on a later day only the time-based rows (overdue) are recounted, as the periodic job does.

    .venv/bin/python ops/bench/reporting_data.py province            # PostgreSQL bench_rollup_province
    .venv/bin/python ops/bench/reporting_data.py nation --scale 0.1  # PostgreSQL bench_rollup_nation
    .venv/bin/python ops/bench/reporting_data.py sqlite              # $BENCH_DATA_DIR/province.db

BENCH_ADMIN_URL (postgresql://postgres@127.0.0.1:5432/postgres) is a superuser URL on the server;
the databases above are created on it and their public schema rebuilt, never the tests' ``test*``;
BENCH_ROLLUP_DATABASE (bench_rollup) names them (<name>_province, <name>_nation).
BENCH_DATA_DIR (/tmp/qinglian-bench-rollup) holds the instance folders (secrets) and the SQLite file.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import APP_ROLE, OWNER_ROLE, prepare_postgres, role_url  # noqa: E402  (beside this script)
from sealing import PERSON, Sealing, default_workers  # noqa: E402

GENERATOR_VERSION = 4  # 3: subtree totals; 4: persons sealed
DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR", "/tmp/qinglian-bench-rollup"))
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE_NAME = os.environ.get("BENCH_ROLLUP_DATABASE", "bench_rollup")
DATABASES = {"province": f"{DATABASE_NAME}_province", "nation": f"{DATABASE_NAME}_nation"}

PROVINCE_PETITIONS, PROVINCE_CASES = 320_000, 30_000
NATION_PETITIONS, NATION_CASES = 10_000_000, 940_000
NATION_PROVINCES = 32
DAYS = 3 * 365  # records over the last three years

# Who receives what: petitions mostly at townships, clearing cases even more so (the seed's 镇案镇办).
PETITION_LEVELS = {"township": 0.75, "county": 0.18, "city": 0.05, "province": 0.02}
CASE_LEVELS = {"township": 0.80, "county": 0.17, "city": 0.03, "province": 0.0}
ZIPF_S = 0.5  # within a level, unit weight ∝ rank^-s on a shuffled order: heaviest ≈ 25× the median

OUTCOMES = [("founded", 0.25), ("partly", 0.45), ("unfounded", 0.85), ("unverifiable", 1.0)]  # cumulative
PETITION_OPEN = ("registered", "handling")
PETITION_CONCLUDED = ("concluded", "closed", "settled")
CASE_STATES = ["applied", "assessed", "escalated", "reviewed", "plan_submitted", "plan_approved", "cleared",
               "fed_back", "filed", "declined"]
CASE_OPEN = CASE_STATES[:8]
VISIT_KINDS = ["person", "org_head", "colleagues", "family"]
CHANNELS = ["letter", "visit", "phone", "web"]
HANDLING_DAYS = 56  # 40 working days ≈ 8 weeks (PETITION_HANDLING_WORKDAYS)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬建国志海燕晓东春梅德胜文斌庆永卫金凤"
POSITIONS = ["村党支部书记", "村委会主任", "村会计", "网格员", "镇党委委员", "站所负责人", "村监委会主任", "科长"]
ORGS = ["东村", "西村", "南村", "北村", "中心村", "新村", "农业服务中心", "财政所", "国土所", "卫生院"]
CATEGORIES = ["征地拆迁", "三资管理", "扶贫救济", "工作作风", "违规吃喝", "工程建设", "惠农补贴", "选人用人"]
MATTERS = ["优亲厚友、违规分配低保名额", "工程项目招投标中收受好处", "侵占集体土地补偿款", "违规报销差旅费用",
           "征地拆迁中优亲厚友", "对群众诉求推诿扯皮", "违规插手村级工程", "虚报冒领惠农补贴", "公款吃喝", "村务不公开"]
LEVELS_OF_ACCUSED = ["village", "village", "village", "township", "township", "county"]


def log(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------- periods (as tenants.operations keys them)


def day_key(day: date) -> str:
    return day.isoformat()


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def year_key(day: date) -> str:
    return str(day.year)


# ---------------------------------------------------------------- what was built


@dataclass
class Built:
    kind: str  # province | nation
    backend: str  # postgresql | sqlite
    scale: float
    url: str  # the app's URL: the non-owner app role on PostgreSQL (RLS in force), the file on SQLite
    migration_url: str
    admin_url: str | None  # superuser URL of the database (PostgreSQL)
    instance: str  # instance folder: secrets.json shared by every process of the app
    root_id: int
    today: date
    reused: bool = False
    seal_workers: int = 1  # processes that seal the persons' fields
    seconds: float = 0.0  # generation time (0 when reused)
    stages: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def postgres(self) -> bool:
        return self.backend == "postgresql"

    def app_config(self) -> dict:
        config = {"SQLALCHEMY_DATABASE_URI": self.url, "DATABASE_MIGRATION_URL": self.migration_url,
                  "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "RATELIMIT_ENABLED": False}
        if self.postgres:
            config["DATABASE_APP_ROLE"] = APP_ROLE
        return config

    def app_env(self) -> dict[str, str]:
        """The environment a separate process of the app (gunicorn) needs to reach this database."""
        env = {"QINGLIAN_INSTANCE_PATH": self.instance, "DATABASE_URL": self.url,
               "DATABASE_MIGRATION_URL": self.migration_url, "QINGLIAN_ENV": "embedded"}
        if self.postgres:
            env["DATABASE_APP_ROLE"] = APP_ROLE
        return env


def database_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def migrations_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def wanted_marker(kind: str, scale: float) -> dict:
    return {"kind": kind, "scale": scale, "generator": GENERATOR_VERSION, "migrations": migrations_hash()}


# ---------------------------------------------------------------- the database handle


class Db:
    """A plain DB-API connection as the superuser (PostgreSQL: RLS bypassed, as a restore would) or to the
    SQLite file, with the two dialects' few differences in one place."""

    def __init__(self, backend: str, target: str):
        self.backend, self.target = backend, target.replace("postgresql+psycopg://", "postgresql://")
        if backend == "postgresql":
            import psycopg

            self.conn = psycopg.connect(self.target, autocommit=True)
        else:
            import sqlite3

            self.conn = sqlite3.connect(target, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=OFF")
            self.conn.execute("PRAGMA cache_size=-262144")
            self.conn.execute("PRAGMA temp_store=MEMORY")

    @property
    def pg(self) -> bool:
        return self.backend == "postgresql"

    def q(self, sql: str) -> str:
        return sql if self.pg else sql.replace("%s", "?")

    def execute(self, sql: str, params=()):
        # Without parameters the statement goes as is (its LIKE patterns may hold '%').
        return self.conn.execute(self.q(sql), params) if params else self.conn.execute(sql)

    def run(self, sql: str, params=()) -> None:
        self.execute(sql, params)

    def all(self, sql: str, params=()) -> list:
        return self.execute(sql, params).fetchall()

    def one(self, sql: str, params=()):
        row = self.execute(sql, params).fetchone()
        return row[0] if row else None

    def begin(self) -> None:
        self.run("BEGIN")

    def commit(self) -> None:
        self.run("COMMIT")

    def load(self, table: str, columns: list[str], rows) -> int:
        """Bulk load: COPY on PostgreSQL, executemany in one transaction on SQLite."""
        n = 0
        if self.pg:
            with self.conn.cursor() as cur:
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        n += 1
            return n
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        batch: list = []
        self.begin()
        for row in rows:
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) == 20_000:
                self.conn.executemany(sql, batch)
                n += len(batch)
                batch = []
        if batch:
            self.conn.executemany(sql, batch)
            n += len(batch)
        self.commit()
        return n

    def copy_sealed(self, select: str, table: str, columns: list[str], sealing: Sealing,
                    plain_table: str | None = None) -> int:
        """PostgreSQL: the rows of ``select`` (in ``columns`` order) streamed out with COPY, their persons
        sealed in Python, streamed into ``table`` with COPY on a second connection (as this one: no FK
        triggers), in the select's order; with ``plain_table``, the plain (id, name, position, work unit) into
        that table on a third. Returns the rows loaded."""
        from contextlib import ExitStack

        import psycopg

        n = 0
        with ExitStack() as stack:
            def copy(conn, statement: str):
                return stack.enter_context(stack.enter_context(conn.cursor()).copy(statement))

            sinks = [stack.enter_context(psycopg.connect(self.target, autocommit=True))
                     for _ in range(2 if plain_table else 1)]
            for sink in sinks:
                sink.execute("SET session_replication_role = replica")
            source = copy(self.conn, f"COPY ({select}) TO STDOUT")
            target = copy(sinks[0], f"COPY {table} ({', '.join(columns)}) FROM STDIN")
            side = copy(sinks[1], f"COPY {plain_table} FROM STDIN") if plain_table else None
            for sealed, plain in sealing.copy(table, columns, source, plain=bool(plain_table)):
                target.write(sealed)
                n += sealed.count(b"\n")
                if side:
                    side.write(plain)
        return n

    def close(self) -> None:
        self.conn.close()


def _sqlite_value(value):
    """As SQLAlchemy stores them on SQLite: ISO dates, 'YYYY-MM-DD HH:MM:SS.ffffff' times, JSON as text."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def read_marker(db: Db) -> dict | None:
    try:
        raw = db.one("SELECT value FROM bench_marker WHERE name = 'marker'")
    except Exception:  # no marker table: not a generated database
        return None
    return json.loads(raw) if raw else None


def write_marker(db: Db, marker: dict) -> None:
    db.run("CREATE TABLE IF NOT EXISTS bench_marker (name VARCHAR(32) PRIMARY KEY, value TEXT NOT NULL)")
    db.run("DELETE FROM bench_marker WHERE name = 'marker'")
    db.run("INSERT INTO bench_marker (name, value) VALUES (%s, %s)", ("marker", json.dumps(marker)))


# ---------------------------------------------------------------- spreading records over units


def zipf_counts(total: int, n: int, rng: random.Random) -> list[int]:
    """``total`` split over ``n`` units, weight ∝ rank^-s on a shuffled order, largest-remainder rounding."""
    if n == 0 or total == 0:
        return [0] * n
    weights = [(rank + 1) ** -ZIPF_S for rank in range(n)]
    rng.shuffle(weights)
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [math.floor(x) for x in exact]
    for i in sorted(range(n), key=lambda i: exact[i] - counts[i], reverse=True)[: total - sum(counts)]:
        counts[i] += 1
    return counts


def allocate(units: list[tuple[int, str]], total: int, shares: dict[str, float], seed: int) -> dict[int, int]:
    """Records per unit id: the total split by level share, then Zipf-like within each level.
    ``units`` = [(id, level)] of one province (or of the province benchmark's whole tree)."""
    rng = random.Random(seed)
    out: dict[int, int] = {}
    levels = [lvl for lvl in shares if any(level == lvl for _, level in units)]
    weight = sum(shares[lvl] for lvl in levels)
    remaining = total
    for i, lvl in enumerate(levels):
        ids = [uid for uid, level in units if level == lvl]
        n = remaining if i == len(levels) - 1 else round(total * shares[lvl] / weight)
        remaining -= n
        out.update(zip(ids, zipf_counts(n, len(ids), rng)))
    return out


# ---------------------------------------------------------------- province records, made in Python


@dataclass
class UnitRow:
    id: int
    level: str
    path: str
    name: str
    short: str


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def petition_rows(units: list[UnitRow], counts: dict[int, int], today: date, now: datetime, seed: int):
    """The province's petitions as COPY rows (explicit ids), in arrival order; the accused in plain text,
    the keys empty (both made by ``Sealing``)."""
    rng = random.Random(seed)
    rows = []
    by_id = {u.id: u for u in units}
    for unit_id, n in counts.items():
        unit = by_id[unit_id]
        for seq in range(1, n + 1):
            received = today - timedelta(days=rng.randrange(DAYS))
            age = (today - received).days
            handling = 15 + rng.randrange(75)
            r = rng.random()
            concluded_on = outcome = findings = None
            feedback = None
            if unit.level != "township" and 0.03 <= r < 0.06:
                state = "routed"
            elif r < 0.03 or age < handling:
                state = "registered" if age < 7 else "handling"
            else:
                concluded_on = received + timedelta(days=handling)
                x = rng.random()
                outcome = next(name for name, cum in OUTCOMES if x < cum)
                findings = "经核查，" + ("反映问题属实。" if outcome == "founded" else "反映问题部分属实。"
                                      if outcome == "partly" else "反映问题不属实。" if outcome == "unfounded"
                                      else "现有证据无法查实。")
                y = rng.random()
                state = "concluded" if (today - concluded_on).days < 20 else "closed" if y < 0.7 else "settled"
                if state != "concluded":
                    feedback = {"on": (concluded_on + timedelta(days=5)).isoformat(), "way": "phone",
                                "content": "已向举报人反馈核查结果", "satisfied": y < 0.6}
            f = rng.random()
            flags = '["repeat"]' if f < 0.05 else '["multi_year", "repeat"]' if f < 0.065 else "[]"
            accused, org = _name(rng), rng.choice(ORGS)
            matter = rng.choice(MATTERS)
            work_unit = unit.short + org
            rows.append((
                None, received.year, seq, f"{unit.short}纪信〔{received.year}〕{seq}号", rng.choice(CHANNELS), received,
                rng.random() < 0.2, accused, rng.choice(POSITIONS), work_unit, rng.choice(LEVELS_OF_ACCUSED),
                rng.random() < 0.6, "", rng.choice(CATEGORIES),
                f"反映{accused}{matter}", f"来信反映{work_unit}{accused}在任职期间{matter}，请求核查。" * rng.randint(1, 3),
                state, received + timedelta(days=HANDLING_DAYS), findings, outcome, concluded_on,
                json.dumps(feedback, ensure_ascii=False) if feedback else None, flags,
                unit.id, unit.path, datetime.combine(received, dtime(9), timezone.utc) + timedelta(
                    seconds=rng.randrange(28_800)), now, 1 if state == "registered" else 3, "",
            ))
    rows.sort(key=lambda row: row[25])  # arrival order: a unit's rows scattered over the table
    return [(i,) + row[1:] for i, row in enumerate(rows, 1)]


PETITION_COLUMNS = ["id", "year", "seq", "number", "channel", "received_on", "anonymous", "accused_name",
                    "accused_position", "accused_work_unit", "accused_level", "accused_party_member", "accused_key",
                    "category", "summary", "content", "state", "due_on", "findings", "outcome", "concluded_on",
                    "feedback", "flags", "unit_id", "unit_path", "created_at", "updated_at", "version",
                    "accused_name_key"]


def candidate_rows(petitions: list[tuple], levels: dict[int, str], today: date, now: datetime):
    """Half of the unfounded conclusions of townships and counties enter the clearing pool (备选库)."""
    rows = []
    for p in petitions:
        pid, outcome, state, unit_id = p[0], p[19], p[16], p[23]
        if outcome != "unfounded" or state not in PETITION_CONCLUDED or pid % 2 or levels[unit_id] not in (
                "township", "county"):
            continue
        concluded_on = p[20]
        h = pid * 2654435761 % 100
        if (today - concluded_on).days > 365:
            state_c = "accepted" if h < 60 else "unsuitable"
        else:
            state_c = "pool" if h < 60 else "accepted" if h < 85 else "unsuitable"
        rows.append((len(rows) + 1, p[3], concluded_on, "person", p[7], p[8], p[9], p[14], p[18] or "", "[]", 0,
                     state_c, "不符合澄清条件" if state_c == "unsuitable" else None,
                     now if state_c != "pool" else None, pid, unit_id, p[24], now, now, 1))
    return rows


CANDIDATE_COLUMNS = ["id", "reference", "concluded_on", "subject_kind", "person_name", "person_position",
                     "person_work_unit", "accusation", "finding", "priority_flags", "priority", "state",
                     "screening_reason", "screened_at", "petition_id", "unit_id", "unit_path", "created_at",
                     "updated_at", "version"]


def case_rows(units: list[UnitRow], counts: dict[int, int], today: date, now: datetime, seed: int):
    """Clearing cases: older ones mostly filed, the last five months at every stage."""
    rng = random.Random(seed)
    by_id = {u.id: u for u in units}
    rows = []
    for unit_id, n in counts.items():
        unit = by_id[unit_id]
        for seq in range(1, n + 1):
            applied = today - timedelta(days=rng.randrange(DAYS))
            age = (today - applied).days
            state = _case_state(age, rng.random())
            cleared_on = None
            if state in ("cleared", "fed_back", "filed"):
                cleared_on = min(applied + timedelta(days=40 + rng.randrange(50)), today)
            is_open = state in CASE_OPEN
            due_on = today + timedelta(days=rng.randint(-12, 25)) if is_open else None
            name, org = _name(rng), rng.choice(ORGS)
            work_unit = unit.short + org
            subject = "unit" if rng.random() < 0.03 else "person"
            rows.append((
                None, applied.year, seq, f"{unit.short}纪澄〔{applied.year}〕{seq}号",
                "pool" if rng.random() < 0.7 else "green_channel", f"{unit.short}纪信〔{applied.year}〕{rng.randint(1, 900)}号",
                subject, name, rng.choice(POSITIONS), work_unit, "",
                rng.choice(MATTERS) + "，经初步核实反映问题不属实。", "经核查，反映问题不属实。", "", applied, "[]", 0,
                rng.random() < 0.05, state, due_on, cleared_on,
                None if cleared_on is None else rng.random() < 0.85,
                min(cleared_on + timedelta(days=7), today) if state == "filed" else None,
                "不符合澄清条件" if state == "declined" else None, unit.id, unit.path,
                datetime.combine(applied, dtime(9), timezone.utc) + timedelta(seconds=rng.randrange(28_800)), now,
                1 + CASE_STATES.index(state), "",
            ))
    rows.sort(key=lambda row: row[26])
    return [(i,) + row[1:] for i, row in enumerate(rows, 1)]


def _case_state(age: int, r: float) -> str:
    if age < 20:
        return "applied" if r < 0.7 else "assessed" if r < 0.9 else "declined"
    if age < 150:  # in progress: spread over the chain
        chain = ["applied", "assessed", "escalated", "reviewed", "plan_submitted", "plan_approved", "cleared",
                 "fed_back", "filed", "declined"]
        weights = [6, 6, 1, 6, 3, 5, 8, 6, 52, 7]
        acc, x = 0, r * sum(weights)
        for state, w in zip(chain, weights):
            acc += w
            if x < acc:
                return state
        return "filed"
    return "filed" if r < 0.9 else "declined" if r < 0.97 else "fed_back"


CASE_COLUMNS = ["id", "year", "seq", "number", "origin", "reference", "subject_kind", "person_name",
                "person_position", "person_work_unit", "person_key", "accusation", "finding", "request",
                "applied_on", "priority_flags", "priority", "sensitive", "state", "due_on", "cleared_on",
                "cleared_on_time", "filed_on",
                "closed_reason", "unit_id", "unit_path", "created_at", "updated_at", "version", "person_name_key"]


def visit_rows(cases: list[tuple], today: date, now: datetime):
    """一人四访 for every cleared case: all four made once filed, half of them once fed back."""
    rows = []
    for c in cases:
        cid, state, cleared_on = c[0], c[18], c[20]
        if cleared_on is None:
            continue
        for n, kind in enumerate(VISIT_KINDS):
            visited = state == "filed" or (state == "fed_back" and (cid + n) % 2 == 0)
            visited_on = min(cleared_on + timedelta(days=5 + (cid * 7 + n * 3) % 24), today) if visited else None
            rows.append((len(rows) + 1, cid, kind, cleared_on + timedelta(days=28), visited_on,
                         "镇纪委书记、承办人" if visited else "", "情绪稳定" if visited else "",
                         "工作积极" if visited else "", "", "", c[24], c[25], now, now, 2 if visited else 1))
    return rows


VISIT_COLUMNS = ["id", "case_id", "kind", "due_on", "visited_on", "visitors", "mental_state", "work_performance",
                 "family_situation", "notes", "unit_id", "unit_path", "created_at", "updated_at", "version"]


# ---------------------------------------------------------------- the stats rows, from the records


STOCK_SQL = [
    # (metric expression, table, where) — period '' rows that are not sums of dated events
    ("'petitions.open'", "petitions", "state IN ('registered', 'handling')"),
    ("'petitions.routed'", "petitions", "state = 'routed'"),
    ("'petitions.overdue'", "petitions", "state IN ('registered', 'handling') AND due_on < {today}"),
    ("'petitions.repeat'", "petitions", "CAST(flags AS TEXT) LIKE '%\"repeat\"%'"),
    ("'petitions.sanduo'", "petitions", "CAST(flags AS TEXT) LIKE '%\"multi_%'"),
    ("'clearing.state.' || state", "clearing_cases", "1 = 1"),
    ("'clearing.overdue'", "clearing_cases", "state IN ({open}) AND due_on < {today}"),
    ("'clearing.candidates'", "clearing_candidates", "state = 'pool'"),
    ("'clearing.visits_due'", "clearing_visits", "visited_on IS NULL"),
    ("'clearing.visits_overdue'", "clearing_visits", "visited_on IS NULL AND due_on < {today}"),
]
TIME_BASED = ("petitions.overdue", "clearing.overdue", "clearing.visits_overdue")
EVENT_SQL = [
    # (metric expression, table, day column, where) — dated events: stock '' and day/week/month/year rows
    ("'petitions.received'", "petitions", "received_on", "1 = 1"),
    ("'petitions.concluded.' || outcome", "petitions", "concluded_on", "state IN ('concluded', 'closed', 'settled')"),
    ("CASE WHEN subject_kind = 'unit' THEN 'clearing.cleared_units' ELSE 'clearing.cleared_persons' END",
     "clearing_cases", "cleared_on", "cleared_on IS NOT NULL"),
    # cleared no later than the deadline then at hand (core.clearing.operations._clear)
    ("'clearing.cleared_on_time'", "clearing_cases", "cleared_on", "cleared_on IS NOT NULL AND cleared_on_time = TRUE"),
    ("'clearing.visits_done'", "clearing_visits", "visited_on", "visited_on IS NOT NULL"),
]


def _lit(db: Db, day: date) -> str:
    return f"DATE '{day.isoformat()}'" if db.pg else f"'{day.isoformat()}'"


def write_calendar(db: Db, first: date, last: date) -> None:
    db.run("DROP TABLE IF EXISTS bench_calendar")
    day_type = "DATE" if db.pg else "VARCHAR(10)"
    db.run(f"CREATE TABLE bench_calendar (day {day_type} PRIMARY KEY, dkey VARCHAR(10) NOT NULL, "
           "wkey VARCHAR(8) NOT NULL, mkey VARCHAR(7) NOT NULL, ykey VARCHAR(4) NOT NULL)")
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    db.load("bench_calendar", ["day", "dkey", "wkey", "mkey", "ykey"],
            ((d, day_key(d), week_key(d), month_key(d), year_key(d)) for d in days))


def stock_select(db: Db, today: date, only: tuple[str, ...] | None = None) -> str:
    parts = []
    for metric, table, where in STOCK_SQL:
        if only and not any(m in metric for m in only):
            continue
        cond = where.format(today=_lit(db, today), open=", ".join(f"'{s}'" for s in CASE_OPEN))
        parts.append(f"SELECT r.unit_id, u.path, {metric} AS metric, '' AS period, COUNT(*) AS value FROM {table} r JOIN units u ON u.id = r.unit_id "
                     f"WHERE {cond} GROUP BY r.unit_id, u.path, 3")
    return "\nUNION ALL ".join(parts)


def write_stats(db: Db, today: date, stages: dict[str, float]) -> int:
    """unit_stats from the records: stock rows, and the dated events keyed by day, week, month and year."""
    t0 = time.perf_counter()
    first = date(today.year - 4, 1, 1)
    write_calendar(db, first, today + timedelta(days=400))
    unlogged = "UNLOGGED " if db.pg else ""
    db.run("DROP TABLE IF EXISTS bench_events")
    db.run(f"CREATE {unlogged}TABLE bench_events (unit_id INTEGER NOT NULL, metric VARCHAR(64) NOT NULL, "
           f"day {'DATE' if db.pg else 'VARCHAR(10)'} NOT NULL, n BIGINT NOT NULL)")
    if db.pg:
        db.run("SET work_mem = '1GB'")
    db.begin()
    for metric, table, day, where in EVENT_SQL:
        db.run(f"INSERT INTO bench_events (unit_id, metric, day, n) SELECT unit_id, {metric}, {day}, COUNT(*) "
               f"FROM {table} WHERE {where} GROUP BY unit_id, 2, {day}")
    db.commit()
    db.run("ANALYZE bench_events")
    db.run("ANALYZE bench_calendar")
    stages["stats: dated events by day"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    keyed = []
    keyed.append("SELECT e.unit_id, u.path, e.metric, c.dkey, e.n FROM bench_events e "
                 "JOIN bench_calendar c ON c.day = e.day JOIN units u ON u.id = e.unit_id")
    for key in ("wkey", "mkey", "ykey"):
        keyed.append(f"SELECT e.unit_id, u.path, e.metric, c.{key}, SUM(e.n) FROM bench_events e "
                     f"JOIN bench_calendar c ON c.day = e.day JOIN units u ON u.id = e.unit_id "
                     f"GROUP BY e.unit_id, u.path, e.metric, c.{key}")
    keyed.append("SELECT e.unit_id, u.path, e.metric, '', SUM(e.n) FROM bench_events e JOIN units u ON u.id = e.unit_id "
                 "GROUP BY e.unit_id, u.path, e.metric")
    db.begin()
    db.run("INSERT INTO unit_stats (unit_id, unit_path, metric, period, value)\n" + "\nUNION ALL ".join(keyed))
    db.run("INSERT INTO unit_stats (unit_id, unit_path, metric, period, value)\n" + stock_select(db, today))
    db.commit()
    stages["stats: unit_stats rows"] = time.perf_counter() - t1
    db.run("DROP TABLE bench_events")
    t1 = time.perf_counter()
    write_totals(db)
    stages["stats: subtree totals (level by level)"] = time.perf_counter() - t1
    if db.pg:
        db.run("RESET work_mem")
    return db.one("SELECT COUNT(*) FROM unit_stats")


def write_totals(db: Db, metrics: tuple[str, ...] = ()) -> None:
    """unit_stat_totals from unit_stats, as migration 0011 builds it (all metrics, or only ``metrics``)."""
    from tenants.stats import MAX_DEPTH_SQL, rebuild_totals_statements

    db.begin()
    if metrics:
        db.run("DELETE FROM unit_stat_totals WHERE metric IN (" + ", ".join(f"'{m}'" for m in metrics) + ")")
    for statement in rebuild_totals_statements(db.one(MAX_DEPTH_SQL), empty=True, metrics=metrics):
        db.run(statement)
    db.commit()


def refresh_time_based(db: Db, today: date) -> None:
    """A reused database on a later day: recount the overdue rows, as the periodic scans do."""
    db.begin()
    db.run("DELETE FROM unit_stats WHERE period = '' AND metric IN (%s, %s, %s)", TIME_BASED)
    db.run("INSERT INTO unit_stats (unit_id, unit_path, metric, period, value)\n"
           + stock_select(db, today, only=("overdue",)))
    db.commit()
    write_totals(db, TIME_BASED)


# ---------------------------------------------------------------- the province


def province_sheet() -> bytes:
    """1 province, 11 cities, 90 counties (8 or 9 per city), 1,400 townships (15 or 16 per county)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["区划代码", "名称"])
    writer.writerow(["910000", "测评省"])
    county_no = 0
    for c in range(1, 12):
        writer.writerow([f"91{c:02d}00", f"甲{c}市"])
        for k in range(1, (9 if c <= 2 else 8) + 1):
            county = f"91{c:02d}{k:02d}"
            writer.writerow([county, f"乙{c}-{k}县"])
            for t in range(1, (16 if county_no < 50 else 15) + 1):
                writer.writerow([f"{county}{t:03d}", f"丙{c}-{k}-{t}镇"])
            county_no += 1
    return out.getvalue().encode()


def _app(built: Built):
    """The app on this database, with the instance folder's keys (the ones its processes will use)."""
    from core.app import create_app

    os.environ["QINGLIAN_INSTANCE_PATH"] = built.instance
    return create_app(built.app_config())


def _migrate(built: Built) -> None:
    from flask_migrate import upgrade

    app = _app(built)
    with app.app_context():
        upgrade()
        from core.extensions import db

        db.session.remove()
        db.engine.dispose()


def _provision_province(built: Built) -> None:
    from core import context
    from core.extensions import db
    from tenants import operations as ops
    from tenants import provisioning

    app = _app(built)
    with app.app_context():
        with context.acting(context.maintenance_context(), db.session):
            check = provisioning.check_sheet(provisioning.read_sheet("units.csv", province_sheet()))
            assert check.ok, [r.errors for r in check.rows if not r.ok][:3]
            ops.import_units(check.new_units())
            db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _units(db: Db) -> list[UnitRow]:
    from core.numbering import short_name

    return [UnitRow(i, level, path, name, short_name(name))
            for i, level, path, name in db.all("SELECT id, level, path, name FROM units ORDER BY id")]


def check_paths(db: Db) -> None:
    """Every path is its parent's path plus its own id and '.', a root's its id and '.'."""
    bad = db.one("SELECT COUNT(*) FROM units c LEFT JOIN units p ON p.id = c.parent_id "
                 "WHERE c.path <> COALESCE(p.path, '') || CAST(c.id AS VARCHAR(12)) || '.'")
    assert bad == 0, f"{bad} units with a wrong path"


def _setval(db: Db, tables: list[str]) -> None:
    if db.pg:
        for table in tables:
            db.run(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))")


def build_province(built: Built) -> None:
    from core import calendar

    stages = built.stages
    t = time.perf_counter()
    _migrate(built)
    _provision_province(built)
    stages["schema and units (provisioning import)"] = time.perf_counter() - t
    db = _connect(built)
    try:
        check_paths(db)
        units = _units(db)
        built.root_id = next(u.id for u in units if u.level == "province")
        today = calendar.today()
        built.today = today
        now = datetime.now(timezone.utc)
        levels = {u.id: u.level for u in units}
        pairs = [(u.id, u.level) for u in units]
        n_pet = round(PROVINCE_PETITIONS * built.scale)
        n_cases = round(PROVINCE_CASES * built.scale)
        t = time.perf_counter()
        petitions = petition_rows(units, allocate(pairs, n_pet, PETITION_LEVELS, 1), today, now, 2)
        candidates = candidate_rows(petitions, levels, today, now)
        cases = case_rows(units, allocate(pairs, n_cases, CASE_LEVELS, 3), today, now, 4)
        visits = visit_rows(cases, today, now)
        stages["records made (Python)"] = time.perf_counter() - t
        t = time.perf_counter()
        if db.pg:
            db.run("SET session_replication_role = replica")  # no FK triggers: the rows are consistent by making
        # Sealed as they stream into the load: the database takes a batch while the next is sealed.
        with _app(built).app_context(), Sealing(built.app_config(), built.seal_workers) as sealing:
            for table, columns, rows in (("petitions", PETITION_COLUMNS, petitions),
                                         ("clearing_candidates", CANDIDATE_COLUMNS, candidates),
                                         ("clearing_cases", CASE_COLUMNS, cases),
                                         ("clearing_visits", VISIT_COLUMNS, visits)):
                built.counts[table] = db.load(table, columns,
                                              sealing.rows(table, columns, rows) if table in PERSON else rows)
        _setval(db, ["petitions", "clearing_candidates", "clearing_cases", "clearing_visits"])
        for table in ("units", "petitions", "clearing_candidates", "clearing_cases", "clearing_visits"):
            db.run(f"ANALYZE {table}")  # statistics before the stats statements join them
        stages[f"records sealed ({built.seal_workers} proc.) and loaded (" + ("COPY" if db.pg else "executemany")
               + ")"] = time.perf_counter() - t
        built.counts["unit_stats"] = write_stats(db, today, stages)
        built.counts["unit_stat_totals"] = db.one("SELECT COUNT(*) FROM unit_stat_totals")
        if db.pg:
            db.run("SET session_replication_role = DEFAULT")
        built.counts["units"] = len(units)
        _analyze(db, stages)
    finally:
        db.close()


def _analyze(db: Db, stages: dict[str, float]) -> None:
    t = time.perf_counter()
    if db.pg:  # a table in steady state: statistics and visibility map, as autovacuum leaves it
        for table in ("units", "petitions", "clearing_cases", "clearing_candidates", "clearing_visits", "unit_stats",
                      "unit_stat_totals", "unit_stat_journal"):
            db.run(f"VACUUM (ANALYZE) {table}")
    else:
        db.run("ANALYZE")
    stages["vacuum / analyze"] = time.perf_counter() - t


# ---------------------------------------------------------------- the nation (PostgreSQL, server-side)


def nation_units(now: datetime) -> list[tuple]:
    """Root 全国 above 32 provinces of 10–11 cities, 8–9 counties a city, 13–14 townships a county."""
    rows = []

    def add(name, level, code, parent):
        uid = len(rows) + 1
        path = f"{parent[5] if parent else ''}{uid}."
        row = (uid, name, level, code, parent[0] if parent else None, path, now, now, 1)
        rows.append(row)
        return row

    root = add("全国", "province", "000000", None)
    for p in range(NATION_PROVINCES):
        pc = f"{11 + p:02d}"
        prov = add(f"测{p + 1}省", "province", f"{pc}0000", root)
        for c in range(1, 11 + (p % 2)):
            city = add(f"测{p + 1}-{c}市", "city", f"{pc}{c:02d}00", prov)
            for k in range(1, 9 + (c % 2)):
                county = add(f"测{p + 1}-{c}-{k}县", "county", f"{pc}{c:02d}{k:02d}", city)
                for t in range(1, 14 + (1 if k % 4 == 0 else 0)):
                    add(f"测{p + 1}-{c}-{k}-{t}镇", "township", f"{pc}{c:02d}{k:02d}{t:03d}", county)
    return rows


UNIT_COLUMNS = ["id", "name", "level", "code", "parent_id", "path", "created_at", "updated_at", "version"]


def _arr(items) -> str:
    return "ARRAY[" + ", ".join(f"'{x}'" for x in items) + "]"


def _pick(items, r: str) -> str:
    return f"({_arr(items)})[1 + floor({r} * {len(items)})::int]"


def _next_id(table: str) -> str:
    return f"nextval(pg_get_serial_sequence('{table}', 'id'))"


def nation_petitions_sql(today: date) -> str:
    """One SELECT over generate_series in PETITION_COLUMNS order, the accused in plain text and the keys empty
    (sealed on the way in): rep-major, so each unit's rows are spread over the heap."""
    t = f"DATE '{today.isoformat()}'"
    name = (f"{_pick(SURNAMES, 'x.r8')} || {_pick(GIVEN, 'x.r9')} || "
            f"CASE WHEN x.r10 < 0.5 THEN {_pick(GIVEN, 'x.r11')} ELSE '' END")
    outcome = ("CASE WHEN x.r5 < 0.25 THEN 'founded' WHEN x.r5 < 0.45 THEN 'partly' "
               "WHEN x.r5 < 0.85 THEN 'unfounded' ELSE 'unverifiable' END")
    return f"""
SELECT {_next_id('petitions')}, extract(year FROM y.received_on)::int, x.i + 1,
       x.short || '纪信〔' || extract(year FROM y.received_on)::int || '〕' || (x.i + 1) || '号',
       {_pick(CHANNELS, 'x.r6')}, y.received_on, x.r7 < 0.2, z.accused, {_pick(POSITIONS, 'x.r12')},
       x.short || z.org, {_pick(LEVELS_OF_ACCUSED, 'x.r13')}, x.r14 < 0.6, '',
       {_pick(CATEGORIES, 'x.r15')}, '反映' || z.accused || z.matter,
       repeat('来信反映' || x.short || z.org || z.accused || '在任职期间' || z.matter || '，请求核查。', 1 + floor(x.r16 * 3)::int),
       y.state, y.received_on + {HANDLING_DAYS},
       CASE WHEN y.concluded THEN '经核查，反映问题' || y.outcome || '。' END,
       CASE WHEN y.concluded THEN y.outcome END, CASE WHEN y.concluded THEN y.received_on + y.handling END,
       CASE WHEN y.state IN ('closed', 'settled') THEN
         json_build_object('on', y.received_on + y.handling + 5, 'way', 'phone', 'satisfied', x.r4 < 0.6) END,
       CASE WHEN x.r17 < 0.05 THEN '["repeat"]' WHEN x.r17 < 0.065 THEN '["multi_year", "repeat"]' ELSE '[]' END::json,
       x.unit_id, x.path, y.received_on + time '09:00' + x.r18 * interval '8 hours', now(),
       CASE WHEN y.state = 'registered' THEN 1 ELSE 3 END, ''
FROM (
  SELECT a.unit_id, a.path, a.short, a.level, rep.i, random() r1, random() r2, random() r3, random() r4, random() r5,
         random() r6, random() r7, random() r8, random() r9, random() r10, random() r11, random() r12, random() r13,
         random() r14, random() r15, random() r16, random() r17, random() r18, random() r19, random() r20
  FROM generate_series(0, (SELECT MAX(petitions) FROM bench_alloc) - 1) AS rep(i)
  CROSS JOIN LATERAL (SELECT * FROM bench_alloc b WHERE b.petitions > rep.i) a
  OFFSET 0
) x
CROSS JOIN LATERAL (SELECT {name} AS accused, {_pick(ORGS, 'x.r19')} AS org, {_pick(MATTERS, 'x.r20')} AS matter) z
CROSS JOIN LATERAL (
  SELECT s.received_on, s.handling, s.state, s.state IN ('concluded', 'closed', 'settled') AS concluded,
         {outcome} AS outcome
  FROM (SELECT r.received_on, r.handling,
               CASE WHEN x.level <> 'township' AND x.r3 >= 0.03 AND x.r3 < 0.06 THEN 'routed'
                    WHEN x.r3 < 0.03 OR {t} - r.received_on < r.handling THEN
                         CASE WHEN {t} - r.received_on < 7 THEN 'registered' ELSE 'handling' END
                    WHEN {t} - (r.received_on + r.handling) < 20 THEN 'concluded'
                    WHEN x.r4 < 0.7 THEN 'closed' ELSE 'settled' END AS state
        FROM (SELECT {t} - floor(x.r1 * {DAYS})::int AS received_on, 15 + floor(x.r2 * 75)::int AS handling) r) s
) y
"""


def nation_cases_sql(today: date) -> str:
    t = f"DATE '{today.isoformat()}'"
    states = CASE_STATES
    weights = [6, 6, 1, 6, 3, 5, 8, 6, 52, 7]
    cum, acc = [], 0
    for w in weights:
        acc += w
        cum.append(acc / sum(weights))
    middle = "CASE " + " ".join(f"WHEN x.r3 < {c:.4f} THEN '{s}'" for s, c in zip(states, cum)) + " ELSE 'filed' END"
    name = f"{_pick(SURNAMES, 'x.r5')} || {_pick(GIVEN, 'x.r6')}"
    return f"""
SELECT {_next_id('clearing_cases')}, extract(year FROM y.applied_on)::int, x.i + 1,
       x.short || '纪澄〔' || extract(year FROM y.applied_on)::int || '〕' || (x.i + 1) || '号',
       CASE WHEN x.r7 < 0.7 THEN 'pool' ELSE 'green_channel' END,
       x.short || '纪信〔' || extract(year FROM y.applied_on)::int || '〕' || (1 + floor(x.r8 * 900)::int) || '号',
       CASE WHEN x.r9 < 0.03 THEN 'unit' ELSE 'person' END, z.name, {_pick(POSITIONS, 'x.r10')}, x.short || z.org,
       '', {_pick(MATTERS, 'x.r11')} || '，经初步核实反映问题不属实。',
       '经核查，反映问题不属实。', '', y.applied_on, '[]', 0, x.r12 < 0.05, y.state,
       CASE WHEN y.state IN ({", ".join(f"'{s}'" for s in CASE_OPEN)}) THEN {t} - 12 + floor(x.r13 * 38)::int END,
       y.cleared_on, CASE WHEN y.cleared_on IS NOT NULL THEN x.r2 < 0.85 END,
       CASE WHEN y.state = 'filed' THEN LEAST(y.cleared_on + 7, {t}) END,
       CASE WHEN y.state = 'declined' THEN '不符合澄清条件' END,
       x.unit_id, x.path, y.applied_on + time '09:00' + x.r14 * interval '8 hours', now(), 1, ''
FROM (
  SELECT a.unit_id, a.path, a.short, rep.i, random() r1, random() r2, random() r3, random() r4, random() r5,
         random() r6, random() r7, random() r8, random() r9, random() r10, random() r11, random() r12, random() r13,
         random() r14, random() r15
  FROM generate_series(0, (SELECT MAX(cases) FROM bench_alloc) - 1) AS rep(i)
  CROSS JOIN LATERAL (SELECT * FROM bench_alloc b WHERE b.cases > rep.i) a
  OFFSET 0
) x
CROSS JOIN LATERAL (SELECT {name} AS name, {_pick(ORGS, 'x.r15')} AS org) z
CROSS JOIN LATERAL (
  SELECT s.applied_on, s.state,
         CASE WHEN s.state IN ('cleared', 'fed_back', 'filed')
              THEN LEAST(s.applied_on + 40 + floor(x.r4 * 50)::int, {t}) END AS cleared_on
  FROM (SELECT r.applied_on,
               CASE WHEN {t} - r.applied_on < 20 THEN
                         CASE WHEN x.r3 < 0.7 THEN 'applied' WHEN x.r3 < 0.9 THEN 'assessed' ELSE 'declined' END
                    WHEN {t} - r.applied_on < 150 THEN {middle}
                    WHEN x.r3 < 0.9 THEN 'filed' WHEN x.r3 < 0.97 THEN 'declined' ELSE 'fed_back' END AS state
        FROM (SELECT {t} - floor(x.r1 * {DAYS})::int AS applied_on) r) s
) y
"""


ACCUSED_TABLE = "bench_accused"  # the petitions' accused in plain text, while their candidates are made


def nation_candidates_sql(today: date) -> str:
    """In CANDIDATE_COLUMNS order; the person in plain text from ACCUSED_TABLE (the petitions' is sealed)."""
    t = f"DATE '{today.isoformat()}'"
    h = "(p.id::bigint * 2654435761 % 100)"
    return f"""
SELECT {_next_id('clearing_candidates')}, p.number, p.concluded_on, 'person', a.name, a.position, a.work_unit,
       p.summary, COALESCE(p.findings, ''), '[]', 0, c.state, CASE WHEN c.state = 'unsuitable' THEN '不符合澄清条件' END,
       CASE WHEN c.state <> 'pool' THEN now() END, p.id, p.unit_id, p.unit_path, now(), now(), 1
FROM petitions p JOIN units u ON u.id = p.unit_id JOIN {ACCUSED_TABLE} a ON a.id = p.id
CROSS JOIN LATERAL (SELECT CASE WHEN {t} - p.concluded_on > 365 THEN
                                     CASE WHEN {h} < 60 THEN 'accepted' ELSE 'unsuitable' END
                                WHEN {h} < 60 THEN 'pool' WHEN {h} < 85 THEN 'accepted' ELSE 'unsuitable' END AS state) c
WHERE p.outcome = 'unfounded' AND p.state IN ('concluded', 'closed', 'settled') AND p.id % 2 = 0
  AND u.level IN ('township', 'county')
"""


def nation_visits_sql(today: date) -> str:
    t = f"DATE '{today.isoformat()}'"
    kinds = ", ".join(f"('{k}', {n})" for n, k in enumerate(VISIT_KINDS))
    visited = "(c.state = 'filed' OR (c.state = 'fed_back' AND (c.id + k.n) % 2 = 0))"
    return f"""
INSERT INTO clearing_visits (case_id, kind, due_on, visited_on, visitors, mental_state, work_performance,
    family_situation, notes, unit_id, unit_path, created_at, updated_at, version)
SELECT c.id, k.kind, c.cleared_on + 28,
       CASE WHEN {visited} THEN LEAST(c.cleared_on + 5 + (c.id * 7 + k.n * 3) % 24, {t}) END,
       CASE WHEN {visited} THEN '镇纪委书记、承办人' ELSE '' END, CASE WHEN {visited} THEN '情绪稳定' ELSE '' END,
       CASE WHEN {visited} THEN '工作积极' ELSE '' END, '', '', c.unit_id, c.unit_path, now(), now(),
       CASE WHEN {visited} THEN 2 ELSE 1 END
FROM clearing_cases c CROSS JOIN (VALUES {kinds}) AS k(kind, n)
WHERE c.cleared_on IS NOT NULL
"""


LOAD_TABLES = ["petitions", "clearing_candidates", "clearing_cases", "clearing_visits", "unit_stats",
               "unit_stat_totals"]


def _drop_indexes(db: Db) -> list[str]:
    """Secondary indexes and unique constraints of the loaded tables, dropped for the load; returns how to
    recreate them exactly (as pg_restore does: data first, then indexes)."""
    recreate = []
    tables = ", ".join(f"'{t}'" for t in LOAD_TABLES)
    for table, name, definition in db.all(
            f"SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            f"WHERE contype = 'u' AND conrelid::regclass::text IN ({tables})"):
        recreate.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        db.run(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name, definition in db.all(
            f"SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' AND i.tablename IN "
            f"({tables}) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"):
        recreate.append(definition)
        db.run(f"DROP INDEX {name}")
    return recreate


def build_nation(built: Built) -> None:
    from core import calendar
    from core.numbering import short_name

    stages = built.stages
    t = time.perf_counter()
    _migrate(built)
    stages["schema (migrations)"] = time.perf_counter() - t
    today = calendar.today()
    built.today = today
    now = datetime.now(timezone.utc)
    db = _connect(built)
    try:
        t = time.perf_counter()
        units = nation_units(now)
        db.load("units", UNIT_COLUMNS, units)
        _setval(db, ["units"])
        db.run("ANALYZE units")
        check_paths(db)
        built.root_id = 1
        # Records per unit: each province's share (0.6–1.4 of the mean) split as in the province benchmark.
        n_pet, n_cases = round(NATION_PETITIONS * built.scale), round(NATION_CASES * built.scale)
        provinces = [u for u in units if u[4] == 1]
        weights = [0.6 + 0.8 * ((p * 7) % NATION_PROVINCES) / (NATION_PROVINCES - 1) for p in range(len(provinces))]
        per_pet = proportional_split(n_pet, weights)
        per_case = proportional_split(n_cases, weights)
        members: dict[int, list[tuple[int, str]]] = {p[0]: [] for p in provinces}
        for uid, _name_, level, _code, parent, path, *_ in units:
            if uid == 1:
                continue
            prov = int(path.split(".")[1])
            members[prov].append((uid, level))
        alloc_p, alloc_c = {}, {}
        for i, prov in enumerate(provinces):
            alloc_p.update(allocate(members[prov[0]], per_pet[i], PETITION_LEVELS, 100 + i))
            alloc_c.update(allocate(members[prov[0]], per_case[i], CASE_LEVELS, 200 + i))
        db.run("DROP TABLE IF EXISTS bench_alloc")
        db.run("CREATE UNLOGGED TABLE bench_alloc (unit_id INTEGER PRIMARY KEY, path VARCHAR(255), short VARCHAR(100), "
               "level VARCHAR(16), petitions INTEGER, cases INTEGER)")
        db.load("bench_alloc", ["unit_id", "path", "short", "level", "petitions", "cases"],
                ((u[0], u[5], short_name(u[1]), u[2], alloc_p.get(u[0], 0), alloc_c.get(u[0], 0)) for u in units))
        db.run("CREATE INDEX ON bench_alloc (petitions)")
        db.run("CREATE INDEX ON bench_alloc (cases)")
        db.run("ANALYZE bench_alloc")
        stages["units (COPY, explicit ids and paths)"] = time.perf_counter() - t

        t = time.perf_counter()
        recreate = _drop_indexes(db)
        db.run("SET session_replication_role = replica")  # no FK triggers (nor on the COPY's): consistent by making
        db.run("SET work_mem = '256MB'")
        db.run("SELECT setseed(0.42)")
        db.run(f"CREATE UNLOGGED TABLE {ACCUSED_TABLE} (id INTEGER NOT NULL, name TEXT NOT NULL, "
               "position TEXT NOT NULL, work_unit TEXT NOT NULL)")
        with _app(built).app_context(), Sealing(built.app_config(), built.seal_workers) as sealing:
            for table, columns, sql in (("petitions", PETITION_COLUMNS, nation_petitions_sql(today)),
                                        ("clearing_cases", CASE_COLUMNS, nation_cases_sql(today)),
                                        ("clearing_candidates", CANDIDATE_COLUMNS, nation_candidates_sql(today))):
                t1 = time.perf_counter()
                db.copy_sealed(sql, table, columns, sealing, ACCUSED_TABLE if table == "petitions" else None)
                db.run(f"ANALYZE {table}")  # statistics before the next statements join it (else nested loops)
                if table == "petitions":
                    db.run(f"ANALYZE {ACCUSED_TABLE}")
                stages[f"{table} (COPY out, sealed, COPY in)"] = time.perf_counter() - t1
        db.run(f"DROP TABLE {ACCUSED_TABLE}")
        t1 = time.perf_counter()
        db.run(nation_visits_sql(today))
        db.run("ANALYZE clearing_visits")
        stages["visits (INSERT … SELECT)"] = time.perf_counter() - t1
        built.counts["units"] = len(units)
        for table in ("petitions", "clearing_candidates", "clearing_cases", "clearing_visits"):
            built.counts[table] = db.one(f"SELECT COUNT(*) FROM {table}")
        built.counts["unit_stats"] = write_stats(db, today, stages)
        built.counts["unit_stat_totals"] = db.one("SELECT COUNT(*) FROM unit_stat_totals")
        db.run("SET session_replication_role = DEFAULT")
        t1 = time.perf_counter()
        db.run("SET maintenance_work_mem = '1GB'")
        db.run("SET max_parallel_maintenance_workers = 2")
        for statement in recreate:
            db.run(statement)
        db.run("RESET maintenance_work_mem")
        stages["indexes and unique constraints rebuilt"] = time.perf_counter() - t1
        db.run("DROP TABLE bench_alloc")
        _analyze(db, stages)
    finally:
        db.close()


def proportional_split(total: int, weights: list[float]) -> list[int]:
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [math.floor(x) for x in exact]
    for i in sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)[: total - sum(counts)]:
        counts[i] += 1
    return counts


# ---------------------------------------------------------------- reuse or build


def _connect(built: Built) -> Db:
    if built.postgres:
        return Db("postgresql", built.admin_url)
    return Db("sqlite", built.url.removeprefix("sqlite:///"))


def handle(kind: str, backend: str, scale: float) -> Built:
    name = kind if backend == "postgresql" else f"{kind}-sqlite"
    instance = DATA_DIR / name
    instance.mkdir(parents=True, exist_ok=True)
    if backend == "postgresql":
        admin = database_url(DATABASES[kind])
        url, migration = role_url(admin, APP_ROLE), role_url(admin, OWNER_ROLE)
    else:
        admin = None
        url = migration = f"sqlite:///{instance / 'province.db'}"
    return Built(kind, backend, scale, url, migration, admin, str(instance), 0, date.today())


def ensure(kind: str, backend: str = "postgresql", scale: float = 1.0, fresh: bool = False,
           keep: bool = False, seal_workers: int | None = None) -> Built:
    """The database of ``kind`` at ``scale``: reused when its marker matches, else (or --fresh) rebuilt.
    ``keep`` reuses it even if the migrations changed since (it then measures the schema it was built with);
    ``seal_workers`` processes seal the persons (default: one fewer than the cores)."""
    from core import calendar

    if kind == "nation" and backend != "postgresql":
        raise SystemExit("the nation is generated on PostgreSQL only")
    built = handle(kind, backend, scale)
    built.seal_workers = seal_workers or default_workers()
    wanted = wanted_marker(kind, scale)
    marker = None
    if not fresh:
        marker = _existing_marker(built)
    if marker and all(marker.get(k) == v for k, v in wanted.items() if not (keep and k == "migrations")):
        built.reused = True
        built.root_id, built.counts = marker["root_id"], marker["counts"]
        built.seconds, built.stages = marker["seconds"], marker["stages"]
        built.today = calendar.today()
        if marker["today"] != built.today.isoformat():
            db = _connect(built)
            try:
                refresh_time_based(db, built.today)
                marker["today"] = built.today.isoformat()
                write_marker(db, marker)
            finally:
                db.close()
        stale = " — built with OTHER migrations (--keep)" if marker["migrations"] != wanted["migrations"] else ""
        log(f"{kind} on {backend}: reusing the database generated in {built.seconds:.0f} s "
            f"(scale {scale}; --fresh rebuilds it){stale}")
        return built
    log(f"{kind} on {backend}: generating (scale {scale}) …")
    start = time.perf_counter()
    if backend == "postgresql":
        prepare_postgres(built.admin_url)
    else:
        path = Path(built.url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    (build_province if kind == "province" else build_nation)(built)
    built.seconds = time.perf_counter() - start
    check_readable(built)
    db = _connect(built)
    try:
        write_marker(db, {**wanted, "root_id": built.root_id, "counts": built.counts, "seconds": built.seconds,
                          "stages": built.stages, "today": built.today.isoformat()})
    finally:
        db.close()
    print_generation(built)
    return built


def _existing_marker(built: Built) -> dict | None:
    if built.postgres:
        import psycopg

        try:
            db = _connect(built)
        except psycopg.OperationalError:
            return None
    else:
        if not Path(built.url.removeprefix("sqlite:///")).exists():
            return None
        db = _connect(built)
    try:
        return read_marker(db)
    finally:
        db.close()


def check_readable(built: Built) -> None:
    """The app reads the generated persons back: the newest petition, candidate and clearing case decrypt under
    the instance's keys (DecryptionError otherwise), their keys are the app's, and the exact-name search of
    their unit finds them."""
    from sqlalchemy import select

    from core import context
    from core.crypto import name_key, person_key
    from core.extensions import db
    from sealing import _model

    with _app(built).app_context(), context.acting(context.maintenance_context(), db.session):
        for table, (prefix, keyed) in PERSON.items():
            model = _model(table)
            row = db.session.scalars(select(model).order_by(model.id.desc()).limit(1)).first()
            name, work_unit = getattr(row, f"{prefix}_name"), getattr(row, f"{prefix}_work_unit")
            assert name and work_unit and getattr(row, f"{prefix}_position"), (table, row.id)
            if keyed:
                assert getattr(row, f"{prefix}_key") == person_key(name, work_unit), (table, row.id)
                found = db.session.scalars(select(model.id).where(
                    model.unit_id == row.unit_id, getattr(model, f"{prefix}_name_key") == name_key(name))).all()
                assert row.id in found, (table, row.id)
        db.session.remove()
    log("  checked: the app decrypts the newest petition, candidate and case and finds them by exact name")


def print_generation(built: Built) -> None:
    counts = ", ".join(f"{k} {v:,}" for k, v in built.counts.items())
    log(f"  generated {built.kind} on {built.backend} in {built.seconds:.1f} s: {counts}")
    for stage, seconds in built.stages.items():
        log(f"    {stage:48s} {seconds:8.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["province", "nation", "sqlite"])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the records (the tree stays whole)")
    parser.add_argument("--fresh", action="store_true", help="rebuild even if a matching database exists")
    parser.add_argument("--keep", action="store_true", help="reuse a database even if the migrations changed")
    parser.add_argument("--seal-workers", type=int, default=default_workers(),
                        help="processes that seal the persons' fields (default: one fewer than the cores)")
    args = parser.parse_args()
    backend = "sqlite" if args.kind == "sqlite" else "postgresql"
    built = ensure("province" if args.kind == "sqlite" else args.kind, backend, args.scale, args.fresh, args.keep,
                   args.seal_workers)
    if built.reused:
        print_generation(built)


if __name__ == "__main__":
    main()
