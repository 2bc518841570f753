"""Demo of on-site meetings (现场办公会) in 松林县, through the operations, after the villages' demo: the county's
inspection tour of 城关镇's and 新桥镇's villages with two on-site meetings (郏县's practice, smaller than the seed's
5 meetings and 36 issues): issues answered on the spot, one registered with a county department and done, one
registered with 城关镇 and overdue (the scan warns the tour team), others still open."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import calendar, context
from core.extensions import db
from core.identity.models import Account
from core.meetings import operations as ops
from core.meetings import queries
from core.meetings.models import InspectionTour
from tenants.demo import acting_as, unit_by_code

COUNTY = "990121"
COVERED = ("东岗村", "双溪村", "柳湾村", "新桥村", "高岭村")


def seed() -> dict:
    county = unit_by_code(COUNTY)
    officer = db.session.scalar(select(Account).where(Account.username == "county-officer"))
    leader = db.session.scalar(select(Account).where(Account.username == "county-leader"))
    if county is None or officer is None or leader is None:
        return {}
    if db.session.scalar(select(InspectionTour.id).where(InspectionTour.unit_id == county.id).limit(1)):
        return {}
    today = calendar.today()
    with acting_as("county-officer"):
        villages = {v["name"]: v for v in queries.township_villages(county) if v["name"] in COVERED}
        if "东岗村" not in villages or "新桥村" not in villages:
            return {}
        towns = {t.code: t for t in queries.townships_of(county)}
        tour = ops.create_tour(county, {
            "name": "县委第三巡察组第八轮巡察（村、社区）", "leader_name": "王德明", "members": ["李春生", "赵丽华", "周永福"],
            "account_ids": [officer.id, leader.id], "starts_on": (today - timedelta(days=40)).isoformat(),
            "ends_on": (today + timedelta(days=20)).isoformat(), "village_ids": [v["id"] for v in villages.values()]})
        first = ops.create_meeting(tour, {
            "village_id": villages["东岗村"]["id"], "held_on": (today - timedelta(days=30)).isoformat(),
            "place": "东岗村党群服务中心", "leaders": ["巡察组组长王德明", "城关镇党委书记陈志远"],
            "departments": ["县住建局", "县自然资源局", "县交通运输局", "县农业农村局"]})
        held = first.held_on
        ops.log_issue(first, {"category": "road", "summary": "村里20多米的断头路多年未修，出行不便",
                              "named": True, "villager_name": "叶长青", "outcome": "answered",
                              "answer": "县交通运输局当场答复：已列入今年农村公路提升计划，月底前开工"})
        done = ops.log_issue(first, {"category": "land_comp", "summary": "示范园占地款上个月应发未发",
                                     "named": False, "villager_name": "叶某", "outcome": "registered",
                                     "body_kind": "department", "body_name": "县农业农村局",
                                     "answer": "讲明资金拨付流程，明确十日内发放",
                                     "deadline": (held + timedelta(days=10)).isoformat()})
        ops.log_issue(first, {"category": "multi_house", "summary": "家里两个孩子两处宅基地，被认定为一户多宅有异议",
                              "named": False, "outcome": "registered", "body_kind": "township",
                              "body_unit_id": towns[f"{COUNTY}001"].id,
                              "answer": "自然资源局讲明一户多宅认定政策，由镇里逐户核实",
                              "deadline": (held + timedelta(days=20)).isoformat()})
        ops.log_issue(first, {"category": "eco_comp", "summary": "生态廊道占地补偿标准不清楚",
                              "named": True, "villager_name": "叶秀英", "outcome": "registered",
                              "body_kind": "department", "body_name": "县自然资源局",
                              "deadline": (today + timedelta(days=15)).isoformat()})
        ops.resolve_issue(done, {"evidence": "占地款已于办公会后第八天全部发放到户，发放明细已在村务公开栏公示",
                                 "done_on": (held + timedelta(days=8)).isoformat()}, officer)
        second = ops.create_meeting(tour, {
            "village_id": villages["新桥村"]["id"], "held_on": (today - timedelta(days=10)).isoformat(),
            "place": "新桥村村委会", "leaders": ["巡察组副组长李春生", "新桥镇镇长赵德明"],
            "departments": ["县生态环境局", "县住建局"]})
        ops.log_issue(second, {"category": "living_env", "summary": "村口垃圾清运不及时", "named": False,
                               "outcome": "answered", "answer": "镇里当场安排保洁员每日清运，县住建局增配垃圾箱两个"})
        ops.log_issue(second, {"category": "land_comp", "summary": "修路占用承包地的补偿至今未到位", "named": True,
                               "villager_name": "桥三贵", "outcome": "registered", "body_kind": "township",
                               "body_unit_id": towns[f"{COUNTY}002"].id,
                               "deadline": (today + timedelta(days=20)).isoformat()})
    with context.acting(context.maintenance_context(), db.session):
        warned = ops.scan(today)
        db.session.flush()
    return {"inspection_tours": 1, "onsite_meetings": 2, "meeting_issues": 6, "meeting_warnings": warned["warned"]}
