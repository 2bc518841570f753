"""Demo of 联系指导 in 松林县, through the operations: three 纪检监察室 each guiding two of its townships (the seed's
成武县 has six offices over its townships), 第一纪检监察室 (松林县承办人 and 张伟) guiding 城关镇 and 新桥镇 with a regular
meeting and a guidance visit to 城关镇 logged, the visit's problem sent to 城关镇 as a rectification order by the
county's leader."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import calendar
from core.extensions import db
from core.guidance import operations as ops
from core.guidance import queries
from core.guidance.models import GuidanceOffice
from core.identity.models import Account
from tenants.demo import acting_as, unit_by_code

COUNTY = "990121"
OFFICES = (("第一纪检监察室", "联系指导城关镇、新桥镇", ("county-officer", "zhang-wei"), ("001", "002")),
           ("第二纪检监察室", "联系指导石桥乡、河口镇", ("county-reviewer", "county-caseadmin"), ("003", "004")),
           ("第三纪检监察室", "联系指导龙潭镇、东坪街道", ("county-leader",), ("005", "006")))


def seed() -> dict:
    county = unit_by_code(COUNTY)
    if county is None or db.session.scalar(select(GuidanceOffice.id).where(GuidanceOffice.unit_id == county.id)
                                           .limit(1)):
        return {}
    accounts = {a.username: a for a in db.session.scalars(select(Account).where(Account.username.in_(
        [u for _n, _d, users, _t in OFFICES for u in users])))}
    towns = {t.code[-3:]: t for t in queries.townships_of(county)}
    if not all(u in accounts for _n, _d, users, _t in OFFICES for u in users) or "001" not in towns:
        return {}
    today = calendar.today()
    with acting_as("county-leader"):
        offices = [ops.create_office(county, {
            "name": name, "duties": duties, "member_account_ids": [accounts[u].id for u in users],
            "township_ids": [towns[c].id for c in codes if c in towns]}) for name, duties, users, codes in OFFICES]
    first = offices[0]
    with acting_as("county-officer"):
        ops.log_meeting(first, {
            "held_on": (today - timedelta(days=12)).isoformat(), "place": "县纪委监委第一会议室",
            "attendees": ["第一纪检监察室主任", "城关镇纪委书记", "新桥镇纪委书记"],
            "township_ids": [towns["001"].id, towns["002"].id],
            "notes": "通报本月信访举报和问题线索办理情况，研判两镇台账记录中的共性问题，反馈上月督查发现问题的整改情况。",
            "decisions": ["两镇月底前补齐廉政教育台账", "问题线索每月20日前向县纪委监委案件监督管理室报备"]})
        visit = ops.log_visit(first, {
            "visited_on": (today - timedelta(days=5)).isoformat(), "township_id": towns["001"].id,
            "staff_account_ids": [accounts["county-officer"].id, accounts["zhang-wei"].id],
            "checked": "台账记录、信访举报受理登记、谈话室使用登记",
            "notes": "信访举报受理规范，台账总体齐全。",
            "problems": [{"description": "谈话室使用登记不全，10月有两次谈话未登记",
                          "requirement": "补登并明确专人管理"}]})
    with acting_as("county-leader"):
        ops.raise_problems(visit, {"due_on": (today + timedelta(days=15)).isoformat()})
    return {"guidance_offices": len(offices), "guidance_meetings": 1, "guidance_visits": 1}
