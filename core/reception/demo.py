"""Demo of the reception room (轮流坐班接访 · 三访合一) at 城关镇, through the operations: the leader's rota of this
month (round-robin over the township's four staff, 成武县's 轮流坐班), one swap, a dozen receptions of the three
kinds over the last weeks, and one 接访 that raised a report registered as a petition in one step."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import calendar
from core.extensions import db
from core.identity.models import Account
from core.petitions.operations import categories_for
from core.reception import operations as ops
from core.reception import queries
from core.reception.models import ReceptionRota
from tenants.demo import acting_as, unit_by_code

TOWNSHIP = "990121001"  # 城关镇
STAFF = ("town-leader", "town-officer", "town-intake", "zhang-wei")
# (days ago, kind, person or None for anonymous, place, matter, outcome)
RECEPTIONS = (
    (1, "walk_in", ("刘桂兰", "13907110021"), "", "反映村集体土地流转收益分配不公开",
     "讲明村务公开规定，告知可申请查阅账目；涉及村干部问题，登记为信访举报件"),
    (2, "visit", ("陈大勇", ""), "东岗村", "低保评定有优亲厚友情况", "现场核对名单，转民政办复核，十日内答复"),
    (3, "appointment", ("王秀珍", "13607112233"), "镇纪委谈话室", "孙子入学政策咨询", "当场解释政策，群众表示满意"),
    (5, "walk_in", None, "", "反映村里修路工程质量差", "告知可实名反映以便反馈；记录线索备查"),
    (6, "visit", ("赵铁柱", ""), "双溪村", "宅基地审批拖延", "协调国土所当场说明进度"),
    (8, "walk_in", ("李春花", "15807113344"), "", "惠农补贴迟迟未到账", "联系财政所查询，已于当日到账"),
    (9, "appointment", ("周德福", ""), "柳湾村村委会", "对上次反映问题的处理结果有疑问", "约谈说明核查结论，群众息访"),
    (11, "visit", ("吴小梅", ""), "新桥村", "村务公开栏长期未更新", "督促村委会一周内更新，纳入回访"),
    (12, "walk_in", ("郑国强", "13807115566"), "", "邻里宅基地纠纷", "引导至司法所调解"),
    (14, "appointment", ("孙玉兰", ""), "镇信访接待室", "征地补偿标准咨询", "当场解释补偿标准"),
    (16, "visit", None, "高岭村", "反映村干部作风粗暴", "记录在案，转镇党委提醒谈话"),
    (18, "walk_in", ("钱卫东", ""), "", "医保报销流程咨询", "当场解释，发放办事指南"),
)


def seed() -> dict:
    town = unit_by_code(TOWNSHIP)
    accounts = {a.username: a for a in db.session.scalars(select(Account).where(Account.username.in_(STAFF)))}
    if town is None or len(accounts) != len(STAFF):
        return {}
    if db.session.scalar(select(ReceptionRota.id).where(ReceptionRota.unit_id == town.id).limit(1)):
        return {}
    today = calendar.today()
    month = queries.this_month(today)
    staff_ids = [accounts[u].id for u in STAFF]
    with acting_as("town-leader"):
        ops.generate_rota(town, {"month": month, "account_ids": staff_ids})
        swaps = 0
        days = queries.working_days(month)
        duties = queries.duties_of(town, days[0], days[-1]) if days else {}
        later = [d for d in days if d >= today][:6]
        if len(later) >= 3 and duties[later[1]].account_id != duties[later[2]].account_id:
            ops.record_swap(town, {"first_day": later[1].isoformat(), "second_day": later[2].isoformat(),
                                   "reason": "参加县纪委业务培训，与同事对调值班"})
            swaps = 1
        logged = []
        for i, (ago, kind, person, place, matter, outcome) in enumerate(RECEPTIONS):
            day = today - timedelta(days=ago)
            duty = queries.receptionist_on(town, day)
            raw = {"kind": kind, "received_on": day.isoformat(), "place": place, "matter": matter, "outcome": outcome,
                   "staff_id": duty.account_id if duty and kind == "walk_in" else staff_ids[i % len(staff_ids)]}
            if person is None:
                raw["anonymous"] = True
            else:
                raw["person"] = {"name": person[0], "phone": person[1]}
            logged.append(ops.log_reception(town, raw))
    with acting_as("town-intake"):
        categories = categories_for(town)
        ops.register_petition_from(logged[0], {
            "accused_name": "马建军", "accused_position": "村党支部书记", "accused_work_unit": "东岗村",
            "accused_level": "village", "category": categories[0] if categories else "",
            "summary": "反映村集体土地流转收益分配不公开、村干部优亲厚友"})
    return {"reception_rotas": 1, "reception_swaps": swaps, "receptions": len(logged), "receptions_converted": 1}
