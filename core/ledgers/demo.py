"""Demo of the ledgers (18项台账), through the operations: 城关镇's kept ledgers with a few months of rows (its
generated ledgers come from its records: petitions, leads, cases …), 谈话室使用登记 left stale; 松林县's leader draws a
spot check of 城关镇's 廉政教育台账, finds one row 不合格 and turns it into a rectification order (整改交办单)."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from core import calendar
from core.extensions import db
from core.identity.models import Account
from core.ledgers import operations as ops
from core.ledgers import queries
from core.ledgers.models import LedgerRow
from tenants.demo import acting_as, unit_by_code

TOWN, COUNTY = "990121001", "990121"

ROWS = {
    "lianzheng": [{"c": {"form": "专题党课", "speaker": "陈志远", "attendance": 46, "content": "学习《中国共产党纪律处分条例》"}},
                  {"c": {"form": "警示教育", "speaker": "李卫东", "attendance": 52, "content": "观看警示教育片《镜鉴》"}},
                  {"c": {"form": "集中学习", "speaker": "陈志远", "attendance": 38, "content": "村“两委”干部廉洁履职集中学习"}},
                  {"c": {"form": "廉政谈话", "speaker": "李卫东", "attendance": 12, "content": "新任村干部任前廉政谈话"}}],
    "zhuti": [{"c": {"meeting": "党委会", "chair": "陈志远", "topics": "研究部署党风廉政建设主体责任清单", "attendance": 9}}],
    "xinxiyuan": [{"c": {"village": "东岗村", "name": "叶红梅", "appointed_on": "2026-01-05"}},
                  {"c": {"village": "双溪村", "name": "周建国", "appointed_on": "2026-01-05"}},
                  {"c": {"village": "柳湾村", "name": "王秀兰", "appointed_on": "2026-01-05"}}],
    "xiaowei": [{"c": {"village": "东岗村", "item": "村级工程项目招投标", "category": "招投标管理",
                       "procedure": "村“两委”提议—党员大会审议—村民代表会议决议—公开招标—结果公示"}},
                {"c": {"village": "双溪村", "item": "低保、救助对象初审", "category": "惠农资金",
                       "procedure": "本人申请—入户调查—民主评议—公示—镇审核"}}],
    "tanhuashi": [{"c": {"purpose": "谈话函询", "staff": "李卫东", "starts": "09:00", "ends": "10:30", "safety": "张伟"}}],
    "jiandu": [{"c": {"matter": "惠农补贴发放", "target": "东岗村", "problems": "公示期不足7天", "handling": "已整改"}},
               {"c": {"matter": "村级财务报销", "target": "双溪村", "problems": "", "handling": "无问题"}}],
    "tanxin": [{"c": {"talker": "陈志远", "talkee": "村党支部书记", "kind": "提醒谈话", "content": "集体资产出租程序不规范"}},
               {"c": {"talker": "李卫东", "talkee": "镇财政所干部", "kind": "谈心谈话", "content": "岗位廉政风险"}}],
    "lvze": [{"c": {"member": "陈志远", "duty": "落实“第一责任人”责任，听取班子成员履责汇报", "progress": "已完成"}}],
}
# Days ago of each ledger's rows (a few months; 谈话室使用登记's last one long ago: stale).
AGES = {"lianzheng": (95, 62, 33, 4), "zhuti": (20,), "xinxiyuan": (120, 120, 120), "xiaowei": (100, 100),
        "tanhuashi": (75,), "jiandu": (40, 6), "tanxin": (25, 3), "lvze": (30,)}


def seed() -> dict:
    town, county = unit_by_code(TOWN), unit_by_code(COUNTY)
    leader = db.session.scalar(select(Account).where(Account.username == "county-leader"))
    if town is None or county is None or leader is None or db.session.get(Account, leader.id) is None:
        return {}
    if db.session.scalar(select(LedgerRow.id).where(LedgerRow.unit_id == town.id).limit(1)):
        return {}
    today = calendar.today()
    with acting_as("town-officer"):
        catalogue = {d.code: d for d in queries.catalogue_of(town)}
        rows = 0
        for code, entries in ROWS.items():
            if code not in catalogue:
                continue
            ages = AGES[code]
            for i in range(max(len(entries), len(ages))):
                entry = entries[i % len(entries)]["c"]
                ops.add_row(town, catalogue[code], {**entry, "entry_date": today - timedelta(days=ages[i % len(ages)])})
                rows += 1
        ops.refresh(town, today)
    with acting_as("county-leader"):
        check = ops.draw_check(county, {"township_id": town.id, "code": "lianzheng",
                                        "period_start": (today - timedelta(days=100)).isoformat(),
                                        "period_end": today.isoformat(), "count": 2, "checker_id": leader.id,
                                        "ends_on": (today + timedelta(days=7)).isoformat()}, rng=random.Random(7))
        first, second = check.row_ids[0], check.row_ids[1]
        ops.record_finding(check, {"row_id": first, "verdict": "pass"})
        failed = ops.record_finding(check, {"row_id": second, "verdict": "fail",
                                            "problem": "缺少参加人员签到表和活动照片，佐证材料不全"})
        ops.issue_rectification(failed, {"due_on": (today + timedelta(days=15)).isoformat(),
                                         "requirement": "补齐签到表和佐证材料，规范廉政教育台账登记"})
    return {"ledger_rows": rows, "spot_checks": 1}
