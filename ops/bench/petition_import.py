"""Benchmark: a township imports its petition ledger of 100,000 rows (大起底).

Generates the ledger as an .xlsx (timed on its own), then runs it the way the page does, through
``core.imports.operations`` and its jobs (inline): upload → column mapping → dry run → commit,
under the township intake officer's acting context (on PostgreSQL the app's non-owner role, so
row-level security is in the path). Prints each stage's wall time, rows per second and the
process's peak resident memory during it.

The baseline, in the same run and database: the first 1,000 rows of the same ledger registered
one by one through ``core.petitions.operations.register_petition`` (what the import replaces:
each registration with its own number, history, audit event and repeat-link search), extrapolated
to the ledger's size. A third figure samples ``propose_links`` over imported rows, the repeat
search the import does not run, to show what it would add.

    .venv/bin/python ops/bench/petition_import.py                 # SQLite in a temp dir
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_import .venv/bin/python ops/bench/petition_import.py

BENCH_DATABASE_URL is a superuser URL: its database is created if missing and its public schema
rebuilt, so never point it at the test suite's database. The app connects as
``qinglian_bench_app`` and migrates as ``qinglian_bench_owner``, as ops/bench/clearing_queue.py does.
BENCH_ROWS (100000), BENCH_BASELINE_ROWS (1000) and BENCH_LINK_SAMPLE (300) change the sizes;
BENCH_KEEP=1 keeps the temporary files.
"""
from __future__ import annotations

import io
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchdb import APP_ROLE, OWNER_ROLE, prepare_postgres, role_url  # noqa: E402  (beside this script)

PASSWORD = "Correct-Horse-42"
HEADERS = ["受理编号", "受理方式", "受理日期", "举报人姓名", "身份证号", "联系电话", "地址", "是否匿名", "被反映人姓名",
           "职务", "被反映人单位", "级别", "是否党员", "问题类别", "反映问题摘要", "反映问题内容"]
CATEGORIES = ["征地拆迁", "三资管理", "扶贫救济", "工作作风", "违规吃喝", "工程建设", "惠农补贴", "选人用人"]
CHANNELS = ["来信", "来访", "来电", "网络举报", "信", "访", "电", "网"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬建国志海燕晓东春梅德胜文斌庆永卫金凤"
POSITIONS = ["村党支部书记", "村委会主任", "村会计", "网格员", "镇党委委员", "站所负责人", "村监委会主任"]
ORGS = ["东村", "西村", "南村", "北村", "中心村", "新村", "农业服务中心", "财政所", "国土所", "卫生院"]
MATTERS = ["优亲厚友、违规分配低保名额", "工程项目招投标中收受好处", "侵占集体土地补偿款", "违规报销差旅费用",
           "征地拆迁中优亲厚友", "对群众诉求推诿扯皮", "违规插手村级工程", "虚报冒领惠农补贴", "公款吃喝",
           "村务不公开"]


# ---------------------------------------------------------------- memory


def peak_rss_mb() -> float:
    """The process's peak resident set since the last reset (VmHWM), else since it started (ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> None:
    """Linux: writing 5 to clear_refs resets the peak, so each stage reports its own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


@dataclass
class Stage:
    label: str
    rows: int
    seconds: float = 0.0
    peak_mb: float = 0.0


@contextmanager
def stage(label: str, rows: int, stages: list[Stage]):
    entry = Stage(label, rows)
    reset_peak()
    start = time.perf_counter()
    yield entry
    entry.seconds = time.perf_counter() - start
    entry.peak_mb = peak_rss_mb()
    stages.append(entry)
    rate = f"{rows / entry.seconds:9,.0f} rows/s" if rows else " " * 16
    print(f"  {label:44s} {entry.seconds:8.2f} s  {rate}  peak RSS {entry.peak_mb:6.0f} MB", flush=True)


# ---------------------------------------------------------------- the ledger


def ledger_rows(n: int, today: date, seed: int = 5):
    """A township's stock: three years of petitions, repeat accused persons and informants among them,
    a fifth anonymous; dates as date cells, a few written by hand."""
    rng = random.Random(seed)
    accused = [(rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
                rng.choice(POSITIONS), rng.choice(ORGS)) for _ in range(max(n // 20, 50))]
    informants = [(rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(2)),
                   f"{rng.randint(110000, 659999)}{rng.randint(1950, 2000)}{rng.randint(1, 12):02d}"
                   f"{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}{rng.choice('0123456789X')}",
                   f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}") for _ in range(max(n // 4, 50))]
    for i in range(1, n + 1):
        name, position, org = rng.choice(accused)
        received = today - timedelta(days=rng.randint(1, 3 * 365))
        anonymous = rng.random() < 0.2
        who = rng.choice(informants)
        written = rng.random() < 0.05
        yield [f"原信{received.year}-{i:06d}", rng.choice(CHANNELS),
               f"{received.year}年{received.month}月{received.day}日" if written else received,
               "" if anonymous else who[0], "" if anonymous or rng.random() < 0.5 else who[1],
               "" if anonymous else who[2], "" if anonymous else f"东镇{rng.choice(ORGS)}{rng.randint(1, 99)}号",
               "是" if anonymous else "否", name, position, f"东镇{org}", rng.choice(["村干部", "乡科级", ""]),
               rng.choice(["是", "否", ""]), rng.choice(CATEGORIES), f"反映{name}{rng.choice(MATTERS)}（{i}）",
               f"来信反映{name}在{org}任职期间{rng.choice(MATTERS)}，请求核查。" * rng.randint(1, 3)]


def xlsx(n: int, today: date) -> bytes:
    """The ledger as openpyxl writes it in streaming mode, plus the sheet's <dimension> that Excel and WPS
    always write (without it a reader scans the whole sheet to learn its size). Its strings stay
    inline, which read about a third slower than the shared strings Excel writes: a conservative file."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("信访台账")
    sheet.append(HEADERS)
    for row in ledger_rows(n, today):
        sheet.append(row)
    written = io.BytesIO()
    workbook.save(written)
    out = io.BytesIO()
    dimension = f'<dimension ref="A1:{get_column_letter(len(HEADERS))}{n + 1}"/>'.encode()
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            with source.open(item) as reader, target.open(item.filename, "w") as writer:
                first = True
                while chunk := reader.read(1 << 20):  # streamed: the sheet's XML is ~20× the file
                    if first and item.filename == "xl/worksheets/sheet1.xml":
                        chunk = chunk.replace(b"</sheetPr>", b"</sheetPr>" + dimension, 1)
                    first = False
                    writer.write(chunk)
    return out.getvalue()


def registration(row: list) -> dict:
    """A ledger row as the registration form sends it (the baseline registers these one by one)."""
    from core.imports import operations as ops

    raw, errors, _ref = ops._raw_row(row, {f: i for i, f in enumerate(
        ["source_ref", "channel", "received_on", "informant_name", "informant_id_number", "informant_phone",
         "informant_address", "anonymous", "accused_name", "accused_position", "accused_work_unit", "accused_level",
         "accused_party_member", "category", "summary", "content"])})
    assert not errors, errors
    return raw


# ---------------------------------------------------------------- the database


@dataclass
class World:
    app: object
    instance: str
    postgres: bool
    town: int = 0  # imports
    town2: int = 0  # the baseline registers here
    accounts: dict[int, int] = field(default_factory=dict)  # unit id -> its intake officer


def build(admin_url: str | None) -> World:
    from flask_migrate import upgrade

    from core import context
    from core.app import create_app
    from core.extensions import db
    from core.identity import operations as identity_ops
    from core.petitions import operations as petition_ops
    from tenants import operations as ops

    instance = tempfile.mkdtemp(prefix="qinglian-bench-import-")
    os.environ["QINGLIAN_INSTANCE_PATH"] = instance
    config = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "RATELIMIT_ENABLED": False}
    if admin_url:
        prepare_postgres(admin_url)
        config.update(SQLALCHEMY_DATABASE_URI=role_url(admin_url, APP_ROLE),
                      DATABASE_MIGRATION_URL=role_url(admin_url, OWNER_ROLE), DATABASE_APP_ROLE=APP_ROLE)
    else:
        url = f"sqlite:///{instance}/bench.db"
        config.update(SQLALCHEMY_DATABASE_URI=url, DATABASE_MIGRATION_URL=url)
    os.environ.pop("REDIS_URL", None)  # jobs inline: the figures are the work itself, not queueing
    app = create_app(config)
    world = World(app, instance, bool(admin_url))
    with app.app_context():
        upgrade()
        with context.acting(context.maintenance_context(), db.session):
            province = ops.create_unit("测评省", "province", "900000", None)
            city = ops.create_unit("甲市", "city", "900100", province)
            county = ops.create_unit("乙县", "county", "900121", city)
            towns = [ops.create_unit(name, "township", code, county)
                     for name, code in (("东镇", "900121001"), ("西镇", "900121002"))]
            for name in CATEGORIES:
                petition_ops.add_category(province, name)
            for town in towns:
                account, _ = identity_ops.create_account(f"intake{town.id}", f"信访{town.id}", PASSWORD)
                ops.add_membership(account, town, "intake")
                world.accounts[town.id] = account.id
            world.town, world.town2 = towns[0].id, towns[1].id
            db.session.commit()
        db.session.remove()
    return world


@contextmanager
def acting_at(world: World, unit_id: int):
    """The intake officer's context at the township, as a request of theirs would set it."""
    from core import context
    from core.extensions import db
    from tenants.models import Unit

    with world.app.app_context():
        unit = db.session.get(Unit, unit_id)
        context.activate(context.ActingContext(account_id=world.accounts[unit_id], unit_id=unit.id,
                                               unit_path=unit.path), db.session)
        yield unit
        db.session.remove()


# ---------------------------------------------------------------- the run


def baseline(world: World, rows: list[list], stages: list[Stage]) -> Stage:
    from core.extensions import db
    from core.petitions import operations as petition_ops

    raws = [registration(row) for row in rows]
    with acting_at(world, world.town2) as unit:
        with stage(f"baseline: register_petition × {len(rows):,}", len(rows), stages) as entry:
            for raw in raws:
                petition_ops.register_petition(unit, raw)
            db.session.commit()
    return entry


def run_import(world: World, data: bytes, n: int, stages: list[Stage]) -> int:
    from core.extensions import db
    from core.imports import operations as ops
    from core.imports.models import ImportJob

    with acting_at(world, world.town) as unit:
        with stage("upload (seal, read the titles)", 0, stages):
            job = ops.upload(unit, "东镇信访台账.xlsx", data)
            db.session.commit()
        import_id = job.id
        mapping = ops.suggest_mapping(job.headers)
        assert len(mapping) == len(HEADERS), mapping
        ops.save_mapping(job, unit, mapping)
        db.session.commit()
        with stage("dry run (check_import job)", n, stages):
            ops.request_check(db.session.get(ImportJob, import_id))  # inline: the job runs here
        job = db.session.get(ImportJob, import_id)
        assert job.state == "checked", (job.state, job.failure, job.errors[:3])
        with stage("commit (commit_import job, one transaction)", n, stages):
            ops.request_commit(job)
        job = db.session.get(ImportJob, import_id)
        assert job.state == "committed" and job.created_count == n, (job.state, job.failure)
        print(f"  imported {job.created_count:,} petitions: {job.first_number} … {job.last_number}")
    return import_id


def link_sample(world: World, sample: int, n: int, stages: list[Stage]) -> Stage:
    """propose_links over a sample of imported rows, rolled back: what running it per row would cost."""
    from sqlalchemy import select

    from core.extensions import db
    from core.petitions import operations as petition_ops
    from core.petitions.models import Petition

    with acting_at(world, world.town):
        ids = db.session.scalars(select(Petition.id).where(Petition.unit_id == world.town)
                                 .order_by(Petition.id.desc()).limit(sample)).all()
        proposed = 0
        with stage(f"propose_links × {len(ids):,} imported rows (sample)", len(ids), stages) as entry:
            for pid in ids:
                proposed += petition_ops.propose_links(db.session.get(Petition, pid))
            db.session.flush()
        db.session.rollback()
        print(f"  (the sample proposed {proposed:,} links; rolled back)")
    return entry


def main() -> None:
    admin = os.environ.get("BENCH_DATABASE_URL")
    n = int(os.environ.get("BENCH_ROWS", "100000"))
    n_base = int(os.environ.get("BENCH_BASELINE_ROWS", "1000"))
    n_links = int(os.environ.get("BENCH_LINK_SAMPLE", "300"))
    if admin and not admin.startswith("postgresql"):
        sys.exit("BENCH_DATABASE_URL must be a postgresql:// superuser URL")
    print(f"petition import benchmark on {'PostgreSQL (app role, RLS forced)' if admin else 'SQLite'}; "
          f"{n:,} rows, baseline {n_base:,} registrations; jobs inline; {os.cpu_count()} CPUs")
    stages: list[Stage] = []
    world = build(admin)
    with world.app.app_context():
        from core import calendar

        today = calendar.today()
    with stage(f"generate the ledger (.xlsx, {n:,} rows)", n, stages):
        data = xlsx(n, today)
    print(f"  ledger: {len(data) / 1024 / 1024:.1f} MB")
    base = baseline(world, list(ledger_rows(n_base, today, seed=9)), stages)
    run_import(world, data, n, stages)
    links = link_sample(world, n_links, n, stages)

    by_label = {s.label.split(" (")[0]: s for s in stages}
    dry, commit = by_label["dry run"], by_label["commit"]
    total = by_label["upload"].seconds + dry.seconds + commit.seconds
    per_row = base.seconds / base.rows
    print()
    print(f"import of {n:,} rows: upload {by_label['upload'].seconds:.1f} s + dry run {dry.seconds:.1f} s + "
          f"commit {commit.seconds:.1f} s = {total:.1f} s ({n / total:,.0f} rows/s end to end); "
          f"peak RSS {max(by_label['upload'].peak_mb, dry.peak_mb, commit.peak_mb):.0f} MB")
    print(f"baseline: {per_row * 1000:.1f} ms per registration → {n:,} one by one ≈ {per_row * n / 60:.1f} min; "
          f"the commit alone is {per_row * n / commit.seconds:.0f}× faster, dry run + commit "
          f"{per_row * n / (dry.seconds + commit.seconds):.0f}×")
    per_link = links.seconds / max(links.rows, 1)
    print(f"repeat links: {per_link * 1000:.1f} ms per imported row → ≈ {per_link * n / 60:.1f} min for {n:,} "
          f"(not run by the import)")
    if not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(world.instance, ignore_errors=True)


if __name__ == "__main__":
    main()
