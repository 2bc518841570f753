"""Demo petitions for the demo province: a believable last quarter of 信访举报 in eight townships of four
counties — received week by week over the last twelve weeks, verified and concluded a few weeks later
(some unfounded, which puts the accused into the clearing pool), most fed back to the informant, the
latest still being verified (the oldest of those past their deadline).

Everything goes through the real operations with explicit past dates (``received_on``, ``concluded_on``,
``given_on``), which they accept: nothing is back-dated afterwards and no figure is written by hand. Only
the overdue count, a time-based figure, is recounted at the end by the area's own refresh (what the
periodic job does). The workflow log still shows today as the time each step was typed in (补录).
Runs from ``flask demo``, after the casework and clearing seeders and before the indicators' recount.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import calendar, context
from core.extensions import db
from core.petitions import jobs as petition_jobs
from core.petitions import operations as ops
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


def _unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def _acting(unit: Unit):
    return context.acting(context.ActingContext(account_id=None, unit_id=unit.id, unit_path=unit.path),
                          db.session)


def seed() -> dict:
    today = calendar.today()
    first_monday = today - timedelta(days=today.weekday()) - timedelta(weeks=11)
    received = concluded = fed_back = n = 0
    for t, (code, weekly) in enumerate(WEEKLY.items()):
        town = _unit(code)
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
