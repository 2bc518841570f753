"""What the villages area (清廉村居) knows of states and grades: the kinds of village, the grades A/B/C and how a
score makes one, the states of a grading (评定) and of a C village's plan (一村一方案) and its items (销号)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import dictionaries

KIND_LABELS = {"village": _l("村"), "community": _l("社区")}
GRADES = ("A", "B", "C")
GRADE_LABELS = {"A": _l("A类"), "B": _l("B类"), "C": _l("C类")}
# 巩固A类、提升B类、消灭C类: how the county's aim reads a village's move between two gradings.
MOVE_LABELS = {"up": _l("提升"), "down": _l("下降"), "same": _l("保持"), "new": _l("首次评定")}

# The seed's five aspects of a village's integrity (作风纪律、三资管理、村级工程、村务管理运行、群众反映), weighted.
DEFAULT_CRITERIA = (("conduct", "作风纪律", 25), ("assets", "三资管理", 25), ("projects", "村级工程", 20),
                    ("affairs", "村务管理运行", 15), ("opinion", "群众反映", 15))
# 数据字典 (core.dictionaries): the default aspects' names and order as the system admin adjusts them; their weights
# stay the code's (they total 100), so the list is relabelled and reordered only. A round copies its criteria.
CRITERIA_LABELS = dictionaries.declare(
    "village_criteria", _l("清廉村居评定内容（默认）"), {key: name for key, name, _weight in DEFAULT_CRITERIA},
    area=_l("清廉村居"), can_add=False, can_deactivate=False,
    note=_l("县纪委新建评定轮次时的默认评定内容；各项权重合计为 100，可在评定轮次中调整。已建立的轮次保留其评定内容。"))
DEFAULT_THRESHOLD_A, DEFAULT_THRESHOLD_B = 85, 70  # total ≥ 85: A; ≥ 70: B; else C
MAX_SCORE = 100
MAX_CRITERIA = 10

# A grading: scored by the township (draft), submitted; where the round wants the county's confirmation it waits
# (proposed) and is confirmed (in force) or sent back (returned, scored again); else in force at submission.
GRADING_STATES = {"draft": _l("评分中"), "proposed": _l("待县纪委确认"), "returned": _l("已退回，重新评定"),
                  "in_force": _l("已生效")}
EDITABLE = ("draft", "returned")
GRADING_KINDS = {"round": _l("定期研判"), "extraordinary": _l("提请重新评定")}

ROUND_STATES = {"open": _l("评定中"), "closed": _l("已结束")}

# A C village's plan: open while items wait for their close-out, closed when every item is closed (the township
# may then propose a regrade), lifted when a grading in force takes the village out of C.
PLAN_STATES = {"open": _l("整改中"), "closed": _l("已全部销号"), "lifted": _l("已摘帽")}
# An item still open when its village leaves C is withdrawn with the plan (the village is no longer C: its problems
# neither count as open nor warn).
ITEM_STATES = {"open": _l("未销号"), "closed": _l("已销号"), "withdrawn": _l("随等次提升撤销")}


def grade_of(total: float, threshold_a: int, threshold_b: int) -> str:
    """The grade a weighted total earns under a round's thresholds."""
    if total >= threshold_a:
        return "A"
    if total >= threshold_b:
        return "B"
    return "C"


def weighted_total(criteria: list[dict], scores: dict) -> float | None:
    """Σ score × weight / Σ weight over the round's criteria, to one decimal; None while any is unscored."""
    weights = sum(c["weight"] for c in criteria)
    if not weights or any(scores.get(c["key"], {}).get("score") is None for c in criteria):
        return None
    return round(sum(scores[c["key"]]["score"] * c["weight"] for c in criteria) / weights, 1)


def move(previous: str | None, grade: str | None) -> str:
    if not previous:
        return "new"
    if previous == grade:
        return "same"
    return "up" if GRADES.index(grade) < GRADES.index(previous) else "down"
