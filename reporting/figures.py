"""The catalogue of figures users see: what each sums, how it reads in Chinese, which way is better.

A figure is a sum of per-unit stats rows (``tenants/stats.py``) over a subtree:
- ``stock``: the current value (period ''), e.g. petitions in hand now;
- ``flow``: the dated increments within the period asked, e.g. received this week;
- ``total``: the dated increments since the beginning (a campaign's closed-out total);
- ``ratio``: a percentage of two other figures, e.g. clearings on time out of clearings;
- ``coverage``: the share of child units (and the unit's own level, 本级) with a clearing in the period.
Zeroing figures belong to one campaign: their metric names carry ``{campaign}``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.clearing.workflow import CASE_FLOW
from core.leads.models import FORM_LABELS, SOURCE_LABELS, Form, Source
from core.leads.workflow import WAY_LABELS, WAYS
from core.meetings.workflow import DEFAULT_CATEGORIES, DEFAULT_CATEGORY_LABELS
from core.errors import InvalidInput
from core.petitions.models import OUTCOME_LABELS, Outcome
from core.reception.workflow import KINDS as RECEPTION_KINDS

AREAS = {
    "clearing": _l("澄清正名"),
    "petitions": _l("信访举报"),
    "zeroing": _l("积案动态清零"),
    "supervision": _l("督办"),
    "directives": _l("报表报送"),
    "leads": _l("问题线索"),
    "cases": _l("审查调查"),
    "villages": _l("清廉村居"),
    "meetings": _l("现场办公会"),
    "evidence": _l("远程取证"),
    "reception": _l("信访接待"),
    "guidance": _l("联系指导"),
    "casebook": _l("典型案例"),
    "ledgers": _l("工作台账"),
}
# The funnel's tracks (一个漏斗) and the kinds of decision of a case, as the figures count them.
TRACK_LABELS = {"township": _l("镇案镇办"), "county_led": _l("县领办"), "joint": _l("县镇合办")}
SANCTION_KINDS = {"party": _l("党纪处分"), "government": _l("政务处分"), "organisational": _l("组织处理"),
                  "none": _l("不予处分")}
# Stages of a clearing still in hand (the stacked bars), in workflow order.
CLEARING_STAGES = ("applied", "assessed", "escalated", "reviewed", "plan_submitted", "plan_escalated", "plan_approved",
                   "cleared", "fed_back")


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    area: str
    kind: str  # stock | flow | total | ratio | coverage
    metrics: tuple[str, ...] = ()
    ratio: tuple[str, str] | None = None  # (numerator figure, denominator figure) for kind "ratio"
    unit: str = field(default="件")
    higher_is_better: bool = True

    @property
    def per_campaign(self) -> bool:
        return self.area == "zeroing"

    def stats_metrics(self, campaign_id: int | None) -> tuple[str, ...]:
        if self.per_campaign:
            return tuple(m.format(campaign=campaign_id) for m in self.metrics) if campaign_id else ()
        return self.metrics


def _f(key, label, area, kind, metrics=(), **kw) -> Figure:
    return Figure(key, label, area, kind, tuple(metrics) if not isinstance(metrics, str) else (metrics,), **kw)


_OUTCOMES = [o.value for o in Outcome]

CATALOGUE: list[Figure] = [
    # 澄清正名
    _f("clearing.candidates", _l("待澄清线索"), "clearing", "stock", "clearing.candidates"),
    _f("clearing.in_progress", _l("办理中"), "clearing", "stock", [f"clearing.state.{s}" for s in CLEARING_STAGES]),
    *[_f(f"clearing.stage.{s}", CASE_FLOW.states[s], "clearing", "stock", f"clearing.state.{s}")
      for s in CLEARING_STAGES],
    _f("clearing.cleared", _l("澄清正名"), "clearing", "flow", ["clearing.cleared_persons", "clearing.cleared_units"]),
    _f("clearing.cleared_persons", _l("澄清人数"), "clearing", "flow", "clearing.cleared_persons", unit="人"),
    _f("clearing.cleared_units", _l("澄清单位"), "clearing", "flow", "clearing.cleared_units", unit="个"),
    _f("clearing.cleared_on_time", _l("按期澄清"), "clearing", "flow", "clearing.cleared_on_time"),
    _f("clearing.timeliness", _l("按期澄清率"), "clearing", "ratio", ratio=("clearing.cleared_on_time", "clearing.cleared"),
       unit="%"),
    _f("clearing.visits_done", _l("完成回访"), "clearing", "flow", "clearing.visits_done", unit="次"),
    _f("clearing.visits_done_total", _l("累计完成回访"), "clearing", "stock", "clearing.visits_done", unit="次"),
    _f("clearing.visits_due", _l("待回访"), "clearing", "stock", "clearing.visits_due", unit="次",
       higher_is_better=False),
    _f("clearing.visits_planned", _l("应回访"), "clearing", "stock", ["clearing.visits_done", "clearing.visits_due"],
       unit="次"),
    _f("clearing.visit_rate", _l("回访完成率"), "clearing", "ratio",
       ratio=("clearing.visits_done_total", "clearing.visits_planned"), unit="%"),
    _f("clearing.overdue", _l("澄清超期"), "clearing", "stock", "clearing.overdue", higher_is_better=False),
    _f("clearing.visits_overdue", _l("回访超期"), "clearing", "stock", "clearing.visits_overdue", unit="次",
       higher_is_better=False),
    _f("clearing.coverage", _l("澄清覆盖率"), "clearing", "coverage", unit="%"),
    # 信访举报
    _f("petitions.received", _l("受理信访举报"), "petitions", "flow", "petitions.received"),
    _f("petitions.concluded", _l("办结"), "petitions", "flow", [f"petitions.concluded.{o}" for o in _OUTCOMES]),
    *[_f(f"petitions.concluded.{o.value}", OUTCOME_LABELS[o], "petitions", "flow", f"petitions.concluded.{o.value}")
      for o in Outcome],
    _f("petitions.open", _l("在办"), "petitions", "stock", "petitions.open", higher_is_better=False),
    _f("petitions.routed", _l("转交下级跟踪中"), "petitions", "stock", "petitions.routed"),
    _f("petitions.overdue", _l("信访超期"), "petitions", "stock", "petitions.overdue", higher_is_better=False),
    _f("petitions.repeat", _l("重复件"), "petitions", "stock", "petitions.repeat", higher_is_better=False),
    _f("petitions.sanduo", _l("三多件"), "petitions", "stock", "petitions.sanduo", higher_is_better=False),
    # 积案动态清零 (the campaign asked for, by default the latest)
    _f("zeroing.stock", _l("积案存量"), "zeroing", "stock", "zeroing.{campaign}.stock", higher_is_better=False),
    _f("zeroing.added", _l("新增积案"), "zeroing", "flow", "zeroing.{campaign}.added", higher_is_better=False),
    _f("zeroing.closed_out", _l("化解销号"), "zeroing", "flow", "zeroing.{campaign}.closed_out"),
    _f("zeroing.reopened", _l("回头看重新纳入"), "zeroing", "flow", "zeroing.{campaign}.reopened",
       higher_is_better=False),
    _f("zeroing.overdue", _l("逾期未化解"), "zeroing", "stock", "zeroing.{campaign}.overdue", higher_is_better=False),
    _f("zeroing.added_total", _l("累计纳入"), "zeroing", "total", ["zeroing.{campaign}.added",
                                                               "zeroing.{campaign}.reopened"]),
    _f("zeroing.closed_out_total", _l("累计销号"), "zeroing", "total", "zeroing.{campaign}.closed_out"),
    _f("zeroing.progress", _l("清零进度"), "zeroing", "ratio", ratio=("zeroing.closed_out_total", "zeroing.added_total"),
       unit="%"),
    # 督办
    _f("supervision.issued", _l("下发督办件"), "supervision", "flow", "supervision.issued"),
    _f("supervision.received", _l("收到督办件"), "supervision", "flow", "supervision.received"),
    _f("supervision.open", _l("督办在办"), "supervision", "stock", "supervision.open", higher_is_better=False),
    _f("supervision.overdue", _l("督办逾期"), "supervision", "stock", "supervision.overdue", higher_is_better=False),
    _f("supervision.talks", _l("约谈"), "supervision", "flow", "supervision.talks", unit="次", higher_is_better=False),
    # 报表报送
    _f("directives.returns_late", _l("逾期未报"), "directives", "stock", "directives.returns_late", unit="期",
       higher_is_better=False),
    _f("directives.returns_submitted_late", _l("迟报"), "directives", "flow", "directives.returns_submitted_late",
       unit="期", higher_is_better=False),
    # 问题线索 (the four ways of disposal, the funnel's tracks, the monthly reports to the county)
    _f("leads.received", _l("受理问题线索"), "leads", "flow", "leads.received"),
    _f("leads.disposed", _l("处置问题线索"), "leads", "flow", [f"leads.disposed.{w}" for w in WAYS]),
    *[_f(f"leads.disposed.{w}", WAY_LABELS.lazy(w), "leads", "flow", f"leads.disposed.{w}") for w in WAYS],
    _f("leads.open", _l("待处置线索"), "leads", "stock", "leads.open", higher_is_better=False),
    _f("leads.overdue", _l("线索逾期未处置"), "leads", "stock", "leads.overdue", higher_is_better=False),
    *[_f(f"leads.source.{s.value}", SOURCE_LABELS.lazy(s), "leads", "stock", f"leads.source.{s.value}")
      for s in Source],
    *[_f(f"leads.form.{f.value}", FORM_LABELS[f], "leads", "stock", f"leads.form.{f.value}", unit="人次")
      for f in Form],
    *[_f(f"leads.track.{t}", label, "leads", "stock", f"leads.track.{t}") for t, label in TRACK_LABELS.items()],
    _f("leads.reports.late", _l("逾期未报备"), "leads", "stock", "leads.reports.late", unit="个",
       higher_is_better=False),
    # 审查调查 · 镇案县审 · 处分执行
    _f("cases.opened", _l("立案"), "cases", "flow", "cases.opened"),
    _f("cases.self_handled", _l("乡镇自办案件"), "cases", "flow", "cases.self_handled"),
    # 自办案件占比: of every case opened in the subtree, those a township opened and handles itself (成武县: 44 %).
    _f("cases.self_share", _l("自办案件占比"), "cases", "ratio", ratio=("cases.self_handled", "cases.opened"), unit="%"),
    _f("cases.open", _l("在办案件"), "cases", "stock", "cases.open"),
    _f("cases.in_review", _l("审理中"), "cases", "stock", "cases.in_review"),
    _f("cases.reviews.passed", _l("审理同意"), "cases", "flow", "cases.reviews.passed"),
    _f("cases.reviews.sent_back", _l("退回补充调查"), "cases", "flow", "cases.reviews.sent_back",
       higher_is_better=False),
    _f("cases.reviews.changed", _l("建议改变定性或处分"), "cases", "flow", "cases.reviews.changed",
       higher_is_better=False),
    _f("cases.reviews.overdue", _l("审理超期"), "cases", "stock", "cases.reviews.overdue", higher_is_better=False),
    _f("cases.decided", _l("作出处理决定"), "cases", "flow", "cases.decided"),
    *[_f(f"cases.form.{f.value}", FORM_LABELS[f], "cases", "flow", f"cases.form.{f.value}", unit="人次")
      for f in Form],
    *[_f(f"cases.sanction.{k}", label, "cases", "flow", f"cases.sanction.{k}", unit="人次")
      for k, label in SANCTION_KINDS.items()],
    _f("cases.executions.open", _l("处分执行中"), "cases", "stock", "cases.executions.open"),
    _f("cases.executions.overdue", _l("处分执行逾期"), "cases", "stock", "cases.executions.overdue",
       higher_is_better=False),
    # 清廉村居 (定期研判、分类管理: 巩固A类、提升B类、消灭C类)
    _f("villages.count", _l("村（社区）"), "villages", "stock", "villages.count", unit="个"),
    _f("villages.grade.a", _l("A类村（社区）"), "villages", "stock", "villages.grade.a", unit="个"),
    _f("villages.grade.b", _l("B类村（社区）"), "villages", "stock", "villages.grade.b", unit="个"),
    _f("villages.grade.c", _l("C类村（社区）"), "villages", "stock", "villages.grade.c", unit="个",
       higher_is_better=False),
    _f("villages.c_with_plan", _l("已制定一村一方案"), "villages", "stock", "villages.c_with_plan", unit="个"),
    _f("villages.plan_items.open", _l("整改事项未销号"), "villages", "stock", "villages.plan_items.open", unit="项",
       higher_is_better=False),
    _f("villages.plan_items.overdue", _l("整改事项逾期"), "villages", "stock", "villages.plan_items.overdue",
       unit="项", higher_is_better=False),
    _f("villages.plan_items.closed", _l("整改事项销号"), "villages", "flow", "villages.plan_items.closed", unit="项"),
    _f("villages.lifted_from_c", _l("C类提升"), "villages", "flow", "villages.lifted_from_c", unit="个"),
    _f("villages.monthly_reports.missed", _l("C类村未按月汇报"), "villages", "stock",
       "villages.monthly_reports.missed", unit="个", higher_is_better=False),
    # 现场办公会 (巡察: issues raised by villagers, answered on the spot or registered and followed to done)
    _f("meetings.held", _l("召开现场办公会"), "meetings", "flow", "meetings.held", unit="次"),
    _f("meetings.issues", _l("群众反映问题"), "meetings", "flow", "meetings.issues", unit="个"),
    _f("meetings.issues.answered_on_site", _l("当场答复"), "meetings", "flow", "meetings.issues.answered_on_site",
       unit="个"),
    _f("meetings.issues.resolved", _l("交办问题办结"), "meetings", "flow", "meetings.issues.resolved", unit="个"),
    _f("meetings.issues.open", _l("交办问题办理中"), "meetings", "stock", "meetings.issues.open", unit="个",
       higher_is_better=False),
    _f("meetings.issues.overdue", _l("交办问题逾期"), "meetings", "stock", "meetings.issues.overdue", unit="个",
       higher_is_better=False),
    *[_f(f"meetings.issues.category.{code}", DEFAULT_CATEGORY_LABELS.lazy(code), "meetings", "flow",
         f"meetings.issues.category.{code}", unit="个") for code, _label in DEFAULT_CATEGORIES],
    # 远程取证
    _f("evidence.interviews.held", _l("远程询问"), "evidence", "flow", "evidence.interviews.held", unit="次"),
    _f("evidence.interviews.finalised", _l("远程取证完成"), "evidence", "flow", "evidence.interviews.finalised",
       unit="次"),
    _f("evidence.interviews.checked", _l("案管核查"), "evidence", "flow", "evidence.interviews.checked", unit="次"),
    _f("evidence.interviews.open", _l("远程取证进行中"), "evidence", "stock", "evidence.interviews.open", unit="次"),
    # 信访接待 (轮流坐班接访 · 三访合一: receptions by kind, those registered as petitions, the rota's working days)
    _f("reception.received", _l("接访登记"), "reception", "flow", "reception.received", unit="人次"),
    *[_f(f"reception.kind.{k}", label, "reception", "flow", f"reception.kind.{k}", unit="人次")
      for k, label in RECEPTION_KINDS.items()],
    _f("reception.converted", _l("接访转信访举报件"), "reception", "flow", "reception.converted"),
    _f("reception.rota.covered", _l("接访值班已覆盖"), "reception", "flow", "reception.rota.covered", unit="天"),
    _f("reception.rota.uncovered", _l("接访值班未覆盖"), "reception", "flow", "reception.rota.uncovered", unit="天",
       higher_is_better=False),
    _f("reception.rota.days", _l("应值班工作日"), "reception", "flow",
       ["reception.rota.covered", "reception.rota.uncovered"], unit="天"),
    _f("reception.rota.coverage", _l("接访值班覆盖率"), "reception", "ratio",
       ratio=("reception.rota.covered", "reception.rota.days"), unit="%"),
    # 典型案例 · 指导案例 (published by a province or city; proposed from below)
    _f("casebook.published", _l("发布指导案例"), "casebook", "flow", "casebook.published", unit="件"),
    _f("casebook.proposed", _l("推荐典型案例"), "casebook", "flow", "casebook.proposed", unit="件"),
    # 联系指导 (the county's 纪检监察室: regular meetings, guidance visits, problems sent down as rectification orders)
    _f("guidance.meetings_held", _l("联系指导例会"), "guidance", "flow", "guidance.meetings_held", unit="次"),
    _f("guidance.visits_made", _l("督查指导"), "guidance", "flow", "guidance.visits_made", unit="次"),
    _f("guidance.problems_found", _l("督查指导发现问题"), "guidance", "flow", "guidance.problems_found", unit="个"),
    _f("guidance.problems_raised", _l("督查指导问题交办"), "guidance", "flow", "guidance.problems_raised", unit="个"),
    # 工作台账 (18项台账: each township's ledgers current/stale/missing for their period; spot checks 随时抽查)
    _f("ledgers.current", _l("台账按期登记"), "ledgers", "stock", "ledgers.current", unit="项"),
    _f("ledgers.stale", _l("台账未按期登记"), "ledgers", "stock", "ledgers.stale", unit="项", higher_is_better=False),
    _f("ledgers.missing", _l("台账尚无记录"), "ledgers", "stock", "ledgers.missing", unit="项", higher_is_better=False),
    _f("ledgers.total", _l("应建台账"), "ledgers", "stock", "ledgers.total", unit="项"),
    _f("ledgers.complete_units", _l("台账完整的乡镇"), "ledgers", "stock", "ledgers.complete_units", unit="个"),
    _f("ledgers.townships", _l("建立台账的乡镇"), "ledgers", "stock", "ledgers.townships", unit="个"),
    _f("ledgers.complete_share", _l("乡镇台账完整率"), "ledgers", "ratio",
       ratio=("ledgers.complete_units", "ledgers.townships"), unit="%"),
    _f("ledgers.rows", _l("台账登记"), "ledgers", "flow", "ledgers.rows", unit="条"),
    _f("ledgers.spot_checks", _l("台账抽查"), "ledgers", "flow", "ledgers.spot_checks", unit="次"),
    _f("ledgers.spot_checks.unqualified", _l("抽查结论不合格"), "ledgers", "flow", "ledgers.spot_checks.unqualified",
       unit="次", higher_is_better=False),
    _f("ledgers.spot_findings.failed", _l("抽查不合格条目"), "ledgers", "flow", "ledgers.spot_findings.failed",
       unit="条", higher_is_better=False),
    _f("ledgers.spot_checked", _l("被抽查台账"), "ledgers", "flow", "ledgers.spot_checked", unit="次"),
]
FIGURES: dict[str, Figure] = {f.key: f for f in CATALOGUE}

# What a dashboard and the default API answer show (the stage breakdown and outcomes on asking).
HEADLINE = [
    "clearing.candidates", "clearing.in_progress", "clearing.cleared", "clearing.cleared_persons",
    "clearing.cleared_units", "clearing.timeliness", "clearing.visits_done", "clearing.visits_due",
    "clearing.visit_rate", "clearing.overdue", "clearing.coverage",
    "petitions.received", "petitions.concluded", "petitions.open", "petitions.overdue", "petitions.repeat",
    "petitions.sanduo",
    "zeroing.stock", "zeroing.added", "zeroing.closed_out", "zeroing.reopened", "zeroing.overdue", "zeroing.progress",
    "supervision.issued", "supervision.open", "supervision.overdue", "supervision.talks",
    "directives.returns_late", "directives.returns_submitted_late",
    "leads.received", "leads.disposed", "leads.open", "leads.overdue", "leads.reports.late",
    "cases.opened", "cases.self_share", "cases.in_review", "cases.reviews.overdue", "cases.decided",
    "cases.executions.overdue",
    "villages.grade.a", "villages.grade.b", "villages.grade.c", "villages.c_with_plan", "villages.plan_items.overdue",
    "villages.lifted_from_c",
    "meetings.held", "meetings.issues", "meetings.issues.answered_on_site", "meetings.issues.resolved",
    "meetings.issues.overdue",
    "evidence.interviews.held", "evidence.interviews.finalised",
    "reception.received", "reception.converted", "reception.rota.uncovered",
    "ledgers.complete_share", "ledgers.stale", "ledgers.spot_checks",
]


def figures_named(keys: list[str] | None, *, field_name: str = "metrics") -> list[Figure]:
    """The figures asked for by key (or the headline set); an unknown key is a 422 naming it."""
    if not keys:
        return [FIGURES[k] for k in HEADLINE]
    unknown = [k for k in keys if k not in FIGURES]
    if unknown:
        raise InvalidInput({field_name: [_("未知指标：%(k)s", k="、".join(unknown[:5]))]})
    return [FIGURES[k] for k in dict.fromkeys(keys)]


def dependencies(figures: list[Figure]) -> list[Figure]:
    """The figures plus those their ratios are made of (each once, in order)."""
    seen: dict[str, Figure] = {}

    def add(figure: Figure) -> None:
        if figure.ratio:
            for part in figure.ratio:
                add(FIGURES[part])
        seen.setdefault(figure.key, figure)

    for figure in figures:
        add(figure)
    return list(seen.values())
