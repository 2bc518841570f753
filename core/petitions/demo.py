"""Demo petitions for the demo province: a believable last quarter of 信访举报 in eight townships of four
counties — received week by week over the last twelve weeks, verified and concluded a few weeks later
(some unfounded, which puts the accused into the clearing pool), most fed back to the informant, the
latest still being verified (the oldest of those past their deadline) — and, first, three petitions still
being handled that 松林县 supervises by registration (挂号督办), one of them overdue and escalated.

Everything goes through the real operations with explicit past dates (``received_on``, ``concluded_on``,
``given_on``), which they accept, and no figure is written by hand. Only the overdue registered item is
back-dated afterwards (no operation issues an item in the past), and the time-based figures are recounted at
the end by the areas' own scans (what the periodic jobs do). The workflow log still shows today as the time
each step was typed in (补录). Runs from ``flask demo``, after the supervision seeder and before clearing's.
"""
from __future__ import annotations

from datetime import timedelta

from core import calendar, context
from core.extensions import db
from core.handlers import operations as handler_ops
from core.identity.models import Account
from core.petitions.models import Petition
from core.petitions.queries import HANDLER_OPEN
from core.petitions import jobs as petition_jobs
from core.petitions import operations as ops
from core.supervision import operations as supervision_ops
from sqlalchemy import select
from tenants.demo import acting_as, unit_by_code
from tenants.models import Unit

# Township code -> how many petitions it received in each of the last twelve weeks (oldest first):
# busier townships in 松林县, quieter ones elsewhere, so the trend has a line and the children differ.
WEEKLY = {
    "990121001": (2, 1, 2, 1, 3, 2, 1, 2, 2, 1, 2, 1),
    "990121002": (1, 0, 1, 1, 0, 2, 1, 0, 1, 1, 0, 1),
    "990121003": (0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 0),
    "990121004": (1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0),
    "990122001": (1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1),
    "990122002": (0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0),
    "990221001": (1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0),
    "990321001": (0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0),
}
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = ("建华", "国平", "志明", "桂英", "海涛", "立新", "春生", "秀兰", "德胜", "永强", "红梅", "文斌")
POSITIONS = ("村党支部书记", "村委会主任", "村会计", "村监委会主任", "站所负责人")
VILLAGES = ("东岗", "南坪", "西沟", "北塘", "中和", "双河", "青石", "枫林")
MATTERS = (("征地拆迁", "反映在征地补偿款发放中优亲厚友"), ("三资管理", "反映侵占村集体资产"),
           ("民生资金", "反映违规发放低保和临时救助"), ("工程项目", "反映村级工程项目围标串标"),
           ("作风问题", "反映工作作风粗暴、吃拿卡要"))
# The accused's work areas by matter (village cadres all work 基层一线): the clearing pool's priorities.
WORK_AREAS = {"征地拆迁": ["frontline", "land"], "三资管理": ["frontline", "rural"], "工程项目": ["rural"]}
CHANNELS = ("letter", "visit", "phone", "web")
# Outcomes in turn; every fourth verification finds the report unfounded (失实, owed a clearing).
OUTCOMES = ("founded", "partly", "unfounded", "unverifiable", "partly", "founded", "unfounded", "founded")
FINDINGS = {"founded": "经核查，反映问题属实，已移送审查调查", "partly": "经核查，反映问题部分属实，已予以批评教育",
            "unfounded": "经核查，反映问题不属实", "unverifiable": "经核查，现有证据无法查实，予以了结"}


def _acting(unit: Unit):
    return context.acting(context.ActingContext(account_id=None, unit_id=unit.id, unit_path=unit.path),
                          db.session)


def seed() -> dict:
    supervised = _seed_supervised()  # first, as before the quarter's: they hold their townships' first numbers
    return {**_seed_quarter(), **supervised, **_seed_reply_templates(), **_seed_handlers(), **_seed_attachments()}


def _seed_handlers() -> dict:
    """承办人 of 城关镇's open petitions: its leader names the officer for all of them, then hands two to 张伟 with a
    reason (their pages show the history; the workload page counts them)."""
    town = unit_by_code("990121001")
    officer, second = (db.session.scalar(select(Account).where(Account.username == name))
                       for name in ("town-officer", "zhang-wei"))
    with acting_as("town-leader"):
        open_ones = db.session.scalars(select(Petition).where(
            Petition.unit_id == town.id, Petition.state.in_(HANDLER_OPEN)).order_by(Petition.id)).all()
        rows = handler_ops.bulk_assign({p.id: p for p in open_ones}, officer, "按分工指定承办人", unit=town)
        for petition in open_ones[-2:]:
            handler_ops.reassign(petition, second, unit=town, reason="原承办人手头件多，调整由张伟承办")
    return {"handled_petitions": sum(r.ok for r in rows)}


# 城关镇's standard texts of the feedback to informants (反馈模板), kept by its leader.
REPLY_TEMPLATES = [
    ("属实反馈", "您好！您反映的问题我委已受理并组织核查。经核查，反映问题基本属实，我委已依规依纪依法作出处理。"
                 "感谢您对纪检监察工作的信任和支持。"),
    ("不属实反馈", "您好！您反映的问题我委已受理并组织核查。经核查，反映问题不属实。如有新的事实和证据，可继续向我委反映。"
                  "感谢您对纪检监察工作的支持。"),
    ("无法查实反馈", "您好！您反映的问题我委已受理并组织核查。经核查，现有证据无法查实，予以了结。"
                    "如能提供新的线索和证据，我委将依规处理。"),
]


def _seed_reply_templates() -> dict:
    town = unit_by_code("990121001")
    with acting_as("town-leader"):
        templates = [ops.add_reply_template(town, title, text) for title, text in REPLY_TEMPLATES]
    return {"reply_templates": len(templates)}


def _seed_supervised() -> dict:
    """Three petitions of 松林县's townships, two of them under the county's registered supervision: 城关镇's
    in time, 河口镇's due a week ago and still open (overdue, escalated to the county)."""
    today = calendar.today()
    petitions = {}
    for code, accused, summary in (("990121001", "钱某某", "反映村党支部书记在征地补偿款发放中优亲厚友"),
                                   ("990121002", "孙某", "反映村务监督委员会主任侵占集体资产"),
                                   ("990121004", "周某某", "反映扶贫项目资金使用不规范")):
        town = unit_by_code(code)
        with acting_as("town-intake"):
            petitions[code] = ops.register_petition(
                town, dict(channel="letter", received_on=today - timedelta(days=40), anonymous=False,
                informant={"name": "示例举报人", "phone": "13800000000"}, accused_name=accused,
                accused_position="村干部", accused_work_unit=f"{town.name}某村", category="征地拆迁", summary=summary))
    county = unit_by_code("990121")
    with acting_as("county-leader"):
        supervision_ops.issue_item(
            county, unit_by_code("990121001"), kind="registered", title="征地补偿款问题挂号督办",
            body="请每周一报送核查进展。", due_on=today + timedelta(days=30), report_cadence="weekly:1",
            subject_number=petitions["990121001"].number)
        late_report = supervision_ops.issue_item(
            county, unit_by_code("990121004"), kind="registered", title="扶贫项目资金问题挂号督办",
            due_on=today + timedelta(days=1), report_cadence="weekly:1", subject_number=petitions["990121004"].number)
    late_report.issued_on, late_report.due_on = today - timedelta(days=21), calendar.add_workdays(today, -5)
    late_report.next_report_on = today - timedelta(days=3)
    db.session.flush()
    # The supervision job's run over them: the overdue item's warnings, its escalation, its late progress report.
    return {"supervised_petitions": len(petitions), "registered_items": 2,
            "supervision_warnings": supervision_ops.scan_deadlines(today)}


def _seed_quarter() -> dict:
    today = calendar.today()
    first_monday = today - timedelta(days=today.weekday()) - timedelta(weeks=11)
    received = concluded = fed_back = n = 0
    for t, (code, weekly) in enumerate(WEEKLY.items()):
        town = unit_by_code(code)
        for week, count in enumerate(weekly):
            for k in range(count):
                received_on = min(first_monday + timedelta(weeks=week, days=(t + 2 * k) % 5), today)
                category, summary = MATTERS[n % len(MATTERS)]
                name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES) + t) % len(GIVEN)]
                anonymous = n % 3 == 0
                raw = {"channel": CHANNELS[n % len(CHANNELS)], "received_on": received_on.isoformat(),
                       "anonymous": anonymous,
                       "informant": {} if anonymous else {"name": "示例举报人", "phone": f"1390000{n:04d}"},
                       "accused_name": name, "accused_position": POSITIONS[n % len(POSITIONS)],
                       "accused_work_unit": f"{town.name}{VILLAGES[(n + t) % len(VILLAGES)]}村",
                       "accused_level": "village", "accused_work_areas": WORK_AREAS.get(category, []),
                       "category": category, "summary": summary}
                # Verified in two to five weeks; the last weeks' petitions are still being verified.
                concluded_on = received_on + timedelta(days=14 + 7 * (n % 4) + t % 3)
                with _acting(town):
                    petition = ops.register_petition(town, raw)
                    received += 1
                    if received_on <= today - timedelta(days=10):
                        ops.take_step(petition, "start", {})
                    if concluded_on <= today:
                        outcome = OUTCOMES[n % len(OUTCOMES)]
                        ops.take_step(petition, "conclude", {"outcome": outcome, "findings": FINDINGS[outcome],
                                                             "concluded_on": concluded_on.isoformat()})
                        concluded += 1
                        given_on = concluded_on + timedelta(days=3)
                        if given_on <= today and n % 5 != 4:
                            ops.take_step(petition, "feedback", {
                                "given_on": given_on.isoformat(), "way": "none" if anonymous else "phone",
                                "content": "已将核查结果告知举报人" if not anonymous else "匿名举报，核查结果存档备查",
                                "satisfied": "unknown" if anonymous else ("yes" if n % 2 else "no")})
                            fed_back += 1
                n += 1
        with _acting(town):
            petition_jobs.refresh_overdue(town, today)  # the time-based figure, as the periodic job recounts it
    db.session.flush()
    return {"petitions_received": received, "concluded": concluded, "fed_back": fed_back,
            "townships": len(WEEKLY)}


def _scanned_letter_png(width: int = 240, height: int = 320) -> bytes:
    """A scanned handwritten letter as a PNG made here (no binary file in the repository): a white page with
    grey lines of "writing" and a signature stroke at the bottom."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = []
    for y in range(height):
        writing = 30 <= y < height - 60 and y % 18 in (0, 1)
        signature = height - 40 <= y < height - 37
        rows.append(b"\x00" + bytes(90 if (writing and 24 <= x < width - 24 - (y * 7) % 60)
                                     or (signature and width - 110 <= x < width - 30) else 250
                                     for x in range(width)))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + chunk(b"IEND", b""))


def _seed_attachments() -> dict:
    """城关镇's supervised petition carries the informant's scanned letter (附件), marked as identifying the
    informant: its officer sees a masked row, its leader reveals it with a reason."""
    import io

    from core.attachments import operations as attachment_ops

    town = unit_by_code("990121001")
    # The first of the town's petitions: the supervised one (registered first, ``_seed_supervised``).
    petition = db.session.scalar(select(Petition).where(Petition.unit_id == town.id).order_by(Petition.id).limit(1))
    intake = db.session.scalar(select(Account).where(Account.username == "town-intake"))
    with acting_as("town-intake"):
        attachment_ops.upload(petition, io.BytesIO(_scanned_letter_png()), "举报信原件扫描件.png", acting_unit=town,
                              informant=True, account=intake)
    return {"attachments": 1}
