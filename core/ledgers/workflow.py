"""What the ledgers area declares: the column types of a kept ledger, the periods a ledger is kept by (and when it
turns stale), the states of completeness, the default catalogue of 18 township ledgers (成武县's 18项统一工作台帐:
generated ones name an exporter of the export registry, kept ones carry their typed columns) and the spot check's
verdicts."""
from __future__ import annotations

import calendar as _cal
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

KINDS = {"generated": _l("平台生成"), "kept": _l("手工登记")}
COLUMN_TYPES = {"text": _l("文本"), "date": _l("日期"), "number": _l("数字"), "choice": _l("选项"),
                "person": _l("人员"), "attachment": _l("附件（材料名称）")}
PERIODS = {"weekly": _l("每周"), "monthly": _l("每月"), "quarterly": _l("每季度"), "halfyearly": _l("每半年"),
           "yearly": _l("每年")}
STATES = {"current": _l("按期登记"), "stale": _l("未按期登记"), "missing": _l("尚无记录"), "unavailable": _l("未接入")}
VERDICTS = {"pass": _l("合格"), "fail": _l("不合格")}
RESULTS = {"qualified": _l("合格"), "unqualified": _l("不合格")}
CHECK_STATES = {"open": _l("抽查中"), "concluded": _l("已出结论")}
MAX_COLUMNS, MAX_CHOICES, MAX_DEFINITIONS = 20, 20, 60
MAX_IMPORT_ROWS = 2000
MAX_DRAW = 50


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, _cal.monthrange(year, month)[1]))


def due_after(last: date, period: str) -> date:
    """The last day a ledger last written on ``last`` is still current: one period after it."""
    if period == "weekly":
        return last + timedelta(days=7)
    return add_months(last, {"monthly": 1, "quarterly": 3, "halfyearly": 6, "yearly": 12}.get(period, 1))


def state_of(last: date | None, period: str, today: date) -> str:
    """current while the last entry is within one period of today; stale after; missing without any entry."""
    if last is None:
        return "missing"
    return "current" if today <= due_after(last, period) else "stale"


def month_bounds(today: date) -> tuple[date, date]:
    return today.replace(day=1), today


def _c(key: str, label: str, type_: str = "text", *, choices: tuple = (), required: bool = False) -> dict:
    return {"key": key, "label": label, "type": type_, "choices": list(choices), "required": required}


# The default catalogue for township offices (乡镇纪委), as a province or city ships it until it writes its own:
# (code, title, kind, source exporter or None, period, columns).
DEFAULT_CATALOGUE = (
    ("xinfang", "信访举报登记台账", "generated", "petitions", "monthly", ()),
    ("jiefang", "接访登记台账", "generated", "reception", "monthly", ()),
    ("xiansuo", "问题线索处置台账", "generated", "leads", "monthly", ()),
    ("shencha", "审查调查台账", "generated", "cases", "quarterly", ()),
    ("chengqing", "澄清正名台账", "generated", "clearing", "quarterly", ()),
    ("duban", "督办件台账", "generated", "supervision", "quarterly", ()),
    ("tongzhi", "上级通知及报送台账", "generated", "directives_received", "monthly", ()),
    ("cunju", "清廉村居评定台账", "generated", "villages", "yearly", ()),
    ("yicunyifang", "一村一方案整改台账", "generated", "village_plan_items", "quarterly", ()),
    ("quzheng", "远程取证台账", "generated", "remote_interviews", "yearly", ()),
    ("lianzheng", "廉政教育台账", "kept", None, "monthly", (
        _c("form", "形式", "choice", choices=("专题党课", "警示教育", "廉政谈话", "集中学习", "其他"), required=True),
        _c("speaker", "主讲人", "person"), _c("attendance", "参加人数", "number"),
        _c("content", "主要内容", required=True), _c("material", "佐证材料", "attachment"))),
    ("zhuti", "主体责任落实会议台账", "kept", None, "quarterly", (
        _c("meeting", "会议名称", required=True), _c("chair", "主持人", "person", required=True),
        _c("topics", "研究议题", required=True), _c("attendance", "参会人数", "number"),
        _c("minutes", "会议纪要", "attachment"))),
    ("xinxiyuan", "村级信息员名册", "kept", None, "yearly", (
        _c("village", "村（社区）", required=True), _c("name", "信息员", "person", required=True),
        _c("phone", "联系电话"), _c("appointed_on", "聘任日期", "date"))),
    ("xiaowei", "小微权力清单", "kept", None, "yearly", (
        _c("village", "村（社区）", required=True), _c("item", "权力事项", required=True),
        _c("category", "类别", "choice", choices=("重大事项决策", "招投标管理", "惠农资金", "集体三资", "便民服务", "其他"),
           required=True), _c("procedure", "运行流程"))),
    ("tanhuashi", "谈话室使用登记", "kept", None, "monthly", (
        _c("purpose", "使用事由", "choice", choices=("谈话函询", "初步核实", "审查调查", "其他"), required=True),
        _c("staff", "使用人", "person", required=True), _c("starts", "开始时间"), _c("ends", "结束时间"),
        _c("safety", "安全员", "person"))),
    ("jiandu", "日常监督检查台账", "kept", None, "monthly", (
        _c("matter", "检查事项", required=True), _c("target", "检查对象", required=True), _c("problems", "发现问题"),
        _c("handling", "处理情况", "choice", choices=("无问题", "整改中", "已整改")))),
    ("tanxin", "谈心谈话台账", "kept", None, "monthly", (
        _c("talker", "谈话人", "person", required=True), _c("talkee", "谈话对象", "person", required=True),
        _c("kind", "谈话类型", "choice", choices=("谈心谈话", "提醒谈话", "诫勉谈话"), required=True),
        _c("content", "主要内容"))),
    ("lvze", "履责记实台账", "kept", None, "quarterly", (
        _c("member", "班子成员", "person", required=True), _c("duty", "履责事项", required=True),
        _c("progress", "完成情况", "choice", choices=("已完成", "推进中")), _c("evidence", "佐证材料", "attachment"))),
)
