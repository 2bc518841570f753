"""Demo of 清廉村居 in 松林县, through the operations: its townships' villages and communities (a handful each), a
grading round of the last half-year scored by the townships and confirmed by the county (about 10 % C; one grade
overridden by 城关镇's leader with a reason), 城关镇's C village 双溪村 with its plan half closed out and its monthly
reports (last month's not heard, so the inbox warns), 新桥镇's C village with a fresh plan, 石桥乡's still without one.
Before it, the round of the half-year before (so the dashboards show the move between the two rounds, 巩固A类、提升B类、
消灭C类): three C villages then (柳湾村, 桥西村, 潭西村) whose plans were all closed out and that the last round lifted
to B, 田垄村 C in both, 双溪村 and 高岭村 B then, a few B villages risen to A since."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core import calendar, context
from core.extensions import db
from core.villages import operations as ops
from core.villages.models import Village
from tenants.demo import acting_as, unit_by_code
from tenants.models import Unit

COUNTY = "990121"
OFFSETS = (2, -1, 0, -2, 1)  # each criterion's score around the village's level (weighted, they add ~0)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("建国", "海平", "玉兰", "德明", "春生", "丽华", "志强", "秀英", "永福", "晓东", "桂芳", "立新")
# Township code suffix -> [(name, level of its scores)]; a level under 70 makes a C village.
TOWNS = {
    "001": [("东岗村", 91), ("南坪村", 84), ("西沟村", 78), ("北塘村", 80), ("城南社区", 93), ("城北社区", 88),
            ("柳湾村", 76), ("双溪村", 63)],
    "002": [("新桥村", 89), ("桥东村", 81), ("桥西村", 77), ("高岭村", 65), ("石门村", 86), ("新桥社区", 90)],
    "003": [("石桥村", 85), ("上坪村", 79), ("下坪村", 74), ("田垄村", 66), ("竹园村", 82), ("枫树村", 87)],
    "004": [("河口村", 83), ("沙洲村", 78), ("河口社区", 88)],
    "005": [("龙潭村", 80), ("龙山村", 86), ("潭西村", 75)],
    "006": [("东坪社区", 92), ("新华社区", 84), ("和平社区", 79)],
}
OVERRIDE = ("001", "东岗村", "B", "群众反映该村村级道路工程结算问题尚在核实，暂不评为A类")
# The round before: the villages whose level was not what it is now (the others scored as now).
EARLIER = {("001", "柳湾村"): 66, ("001", "双溪村"): 72, ("002", "新桥村"): 82, ("002", "桥西村"): 64,
           ("002", "高岭村"): 71, ("003", "田垄村"): 67, ("005", "龙山村"): 81, ("005", "潭西村"): 68}
# The C villages of the round before and their plans, all closed out before the last round lifted them.
EARLIER_PLANS = {  # (township, village) -> (officer, party secretary, discipline secretary, items as SHUANGXI_ITEMS)
    ("001", "柳湾村"): ("town-officer", "陈志远", "刘玉兰", [
        ("村集体鱼塘发包未经村民代表会议表决", "重新组织公开发包，结果张榜公示", "吴永福", "联村干部", 60, 45),
        ("村干部报销凭证不规范，白条入账", "清理近两年报销凭证，建立村级财务审核制度", "李海平", "镇农经站站长", 90, 80)]),
    ("002", "桥西村"): ("other-town-officer", "赵德明", "孙丽华", [
        ("低保评定未经民主评议", "重新评议并公示，建立动态管理台账", "周晓东", "联村干部", 60, 50),
        ("村务公开栏长期未更新", "按月公开村务、财务，镇纪委每季度检查", "周晓东", "联村干部", 90, 70)]),
    ("005", "潭西村"): (None, "马春生", "胡桂芳", [
        ("村级工程未招投标直接发包", "补齐程序，今后按规定公开招标", "郭立新", "联村干部", 75, 60)]),
}
SHUANGXI_ITEMS = [  # (problem, measure, responsible, position, deadline days after issue, closed days after issue)
    ("安置区块宅基地征地工作久拖不决，群众多次信访", "镇村干部逐户上门做工作，一个月内完成征地", "蒋鹏程", "联村干部", 40, 32),
    ("村两委班子不协调，重大事项议而不决", "镇党委约谈村党组织书记，落实“四议两公开”", "王建国", "镇党委委员", 60, 55),
    ("村级工程项目资料不全，存在先施工后补程序", "全面梳理近三年村级工程，补齐程序并公开", "蒋鹏程", "联村干部", 100, None),
    ("三资台账与实际不符，集体资产出租合同未公开", "清理集体资产合同，统一纳入三资平台公开", "李海平", "镇农经站站长", 150, None),
]
GAOLING_ITEMS = [
    ("村务公开不及时，群众对低保评定有意见", "按月公开村务，低保评定重新公示", "周晓东", "联村干部", 60, None),
    ("村干部作风漂浮，为民服务代办制落实不到位", "建立村干部坐班值守和代办台账", "周晓东", "联村干部", 90, None),
]


def _person(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)]


def _as(username: str | None, unit: Unit):
    if username:
        return acting_as(username)
    return context.acting(context.ActingContext(account_id=None, unit_id=unit.id, unit_path=unit.path), db.session)


def _period(today: date) -> str:
    return f"{today.year}上半年" if today.month >= 7 else f"{today.year - 1}下半年"


def _earlier_period(today: date) -> str:
    """The half-year before ``_period``'s."""
    return f"{today.year - 1}下半年" if today.month >= 7 else f"{today.year - 1}上半年"


def _earlier_round(county: Unit, towns: dict, villages: dict, today: date) -> int:
    """The round of the half-year before, confirmed by the county, and the plans of its C villages, all closed out
    (with their monthly reports) before the last round; returns the number of plans."""
    with acting_as("county-officer"):
        round_ = ops.open_round(county, {"name": "清廉村居定期研判", "period": _earlier_period(today),
                                         "opened_on": (today - timedelta(days=330)).isoformat(),
                                         "needs_confirmation": True})
    gradings = []
    for suffix, rows in villages.items():
        for village, level in rows:
            level = EARLIER.get((suffix, village.name), level)
            with _as("town-officer" if suffix == "001" else None, towns[suffix]):
                grading = ops.start_grading(village, round_)
                ops.score(grading, {c["key"]: {"score": min(100, level + OFFSETS[i % len(OFFSETS)]),
                                               "note": "依据日常监督、巡察及信访情况评分"}
                                    for i, c in enumerate(round_.criteria)})
                ops.submit(grading, on=today - timedelta(days=320))
            gradings.append(grading)
    with acting_as("county-leader"):
        for grading in gradings:
            ops.confirm(grading, county, on=today - timedelta(days=315))
    with acting_as("county-officer"):
        ops.close_round(round_)
    issued_on, lifted_on = today - timedelta(days=305), today - timedelta(days=130)
    plans = 0
    for (suffix, name), (officer, party, discipline, items) in EARLIER_PLANS.items():
        village = next((v for v, _l in villages.get(suffix, []) if v.name == name), None)
        if village is None or village.grade != "C":
            continue
        with _as(officer, towns[suffix]):
            plan = _plan(village, items, issued_on, party, discipline)
            for item, row in zip(plan.items, items):
                ops.close_item(item, {"evidence": "整改到位，相关会议记录、公示照片及台账已归档",
                                      "closed_on": (issued_on + timedelta(days=row[5])).isoformat()})
            for month in ops._months(issued_on, lifted_on - timedelta(days=31)):
                heard_on = max(date(int(month[:4]), int(month[5:]), 25), issued_on)
                ops.log_report(plan, {"month": month, "heard_on": heard_on.isoformat(), "heard_by": party,
                                      "content": f"{village.name}汇报{month}一村一方案整改进度及村务管理运行情况"})
        plans += 1
    return plans


def _add_villages(town: Unit, rows, officer: str | None) -> list[tuple[Village, int]]:
    added, village_no, community_no = [], 200, 0
    with _as(officer, town):
        for n, (name, level) in enumerate(rows):
            community = name.endswith("社区")
            if community:
                community_no += 1
            else:
                village_no += 1
            code = f"{town.code[:9]}{community_no if community else village_no:03d}"
            seed = int(town.code[-3:]) * 10 + n
            village = ops.add_village(town, {
                "name": name, "code": code, "kind": "community" if community else "village",
                "secretary_name": _person(seed), "head_name": _person(seed + 5)})
            added.append((village, level))
    return added


def _reports(plan, today: date, skip: set[str]) -> int:
    n = 0
    for month in ops._months(plan.issued_on, ops.last_completed_month(today)):
        if month in skip:
            continue
        year, m = int(month[:4]), int(month[5:])
        heard_on = max(date(year, m, 25), plan.issued_on)
        if heard_on > today:
            continue
        ops.log_report(plan, {"month": month, "heard_on": heard_on.isoformat(), "heard_by": plan.party_secretary,
                              "content": f"{plan.village.name}汇报{month}作风纪律、三资管理、村级工程、村务管理运行及"
                                         "群众反映情况，逐项报告一村一方案整改进度"})
        n += 1
    return n


def _plan(village: Village, items, issued_on: date, party: str, discipline: str) -> object:
    plan = ops.create_plan(village, {
        "party_secretary": party, "discipline_secretary": discipline, "issued_on": issued_on.isoformat(),
        "requirements": "对照问题清单逐项整改，按期销号；联村干部抓好日常监管指导，镇纪委发挥“家门口的监委”作用",
        "items": [{"problem": p, "measure": m, "responsible": r, "responsible_position": pos,
                   "deadline": (issued_on + timedelta(days=d)).isoformat()} for p, m, r, pos, d, _c in items]})
    return plan


def seed() -> dict:
    county = unit_by_code(COUNTY)
    if county is None or db.session.scalar(select(Village.id).where(Village.code.startswith(COUNTY))) is not None:
        return {}
    today = calendar.today()
    towns = {suffix: unit_by_code(f"{COUNTY}{suffix}") for suffix in TOWNS}
    villages = {}
    for suffix, rows in TOWNS.items():
        if towns[suffix] is not None:
            villages[suffix] = _add_villages(towns[suffix], rows, "town-officer" if suffix == "001" else None)
    plans = _earlier_round(county, towns, villages, today)
    with acting_as("county-officer"):
        round_ = ops.open_round(county, {"name": "清廉村居定期研判", "period": _period(today),
                                         "opened_on": (today - timedelta(days=150)).isoformat(),
                                         "needs_confirmation": True})
    submitted_on, confirmed_on = today - timedelta(days=135), today - timedelta(days=130)
    gradings = []
    for suffix, rows in villages.items():
        town = towns[suffix]
        for village, level in rows:
            with _as("town-officer" if suffix == "001" else None, town):
                grading = ops.start_grading(village, round_)
                ops.score(grading, {c["key"]: {"score": min(100, level + OFFSETS[i % len(OFFSETS)]),
                                               "note": "依据日常监督、巡察及信访情况评分"}
                                    for i, c in enumerate(round_.criteria)})
            if (suffix, village.name) == OVERRIDE[:2]:
                with acting_as("town-leader"):
                    ops.override(grading, OVERRIDE[2], OVERRIDE[3])
            with _as("town-leader" if suffix == "001" else None, town):
                ops.submit(grading, on=submitted_on)
            gradings.append(grading)
    with acting_as("county-leader"):
        for grading in gradings:
            ops.confirm(grading, county, on=confirmed_on)
    with acting_as("county-officer"):
        ops.close_round(round_)
    shuangxi = next((v for v, _l in villages.get("001", []) if v.name == "双溪村"), None)
    if shuangxi is not None:
        issued_on = today - timedelta(days=125)
        with acting_as("town-officer"):
            plan = _plan(shuangxi, SHUANGXI_ITEMS, issued_on, "陈志远", "刘玉兰")
            for item, row in zip(plan.items, SHUANGXI_ITEMS):
                if row[5] is not None:
                    ops.close_item(item, {"evidence": "整改到位，相关照片、会议记录及公示材料已归档",
                                          "closed_on": (issued_on + timedelta(days=row[5])).isoformat()})
            months = ops._months(issued_on, ops.last_completed_month(today))
            _reports(plan, today, skip={months[-1]} if len(months) > 2 else set())  # last month: not heard
        plans += 1
    gaoling = next((v for v, _l in villages.get("002", []) if v.name == "高岭村"), None)
    if gaoling is not None:
        with acting_as("other-town-officer"):
            plan = _plan(gaoling, GAOLING_ITEMS, today - timedelta(days=20), "赵德明", "孙丽华")
            _reports(plan, today, skip=set())
        plans += 1
    with context.acting(context.maintenance_context(), db.session):
        warned = ops.scan(today)
        db.session.flush()
    return {"villages": sum(len(rows) for rows in villages.values()), "grading_rounds": 2, "village_plans": plans,
            "village_warnings": warned["warned"]}
