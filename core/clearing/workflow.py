"""The chain a clearing case moves along: 申请 → 评估 → 复核 → 澄清 → 反馈 → 备案 (core.workflow runs it).

Each stage can be sent back with a reason; the higher unit's review 提级审核 is its own state,
taken by the reviewing unit through a share of the case.
"""
from flask_babel import lazy_gettext as _l

from core.workflow import Transition, Workflow
from tenants.access import Action

CASE_FLOW = Workflow("clearing_cases", {
    "applied": _l("待评估"),
    "assessed": _l("待复核"),
    "escalated": _l("提级审核中"),
    "reviewed": _l("待制定方案"),
    "plan_submitted": _l("方案待审批"),
    "plan_escalated": _l("方案报上级审批中"),
    "plan_approved": _l("待实施澄清"),
    "cleared": _l("待反馈"),
    "fed_back": _l("待备案"),
    "filed": _l("已备案"),
    "declined": _l("不予澄清"),
}, [
    Transition("assess", ("applied",), "assessed", _l("质效评估")),
    Transition("review", ("assessed",), "reviewed", _l("复核通过")),
    Transition("send_back_assessment", ("assessed",), "applied", _l("退回重新评估"), needs_reason=True),
    Transition("escalate", ("assessed",), "escalated", _l("提级审核")),
    Transition("higher_review", ("escalated",), "reviewed", _l("上级复核通过")),
    Transition("higher_send_back", ("escalated",), "applied", _l("上级退回"), needs_reason=True),
    Transition("submit_plan", ("reviewed",), "plan_submitted", _l("报送澄清方案")),
    Transition("approve_plan", ("plan_submitted",), "plan_approved", _l("批准方案")),
    # A case reviewed above (提级审核) has its plan approved above too (the seed: the county reviews the finding
    # and "澄清工作拟采用的方式方法"); the township's leader sends it up instead of approving it.
    Transition("escalate_plan", ("plan_submitted",), "plan_escalated", _l("方案报上级审批")),
    Transition("higher_approve_plan", ("plan_escalated",), "plan_approved", _l("上级批准方案")),
    Transition("higher_reject_plan", ("plan_escalated",), "reviewed", _l("上级退回方案"), needs_reason=True),
    Transition("reject_plan", ("plan_submitted",), "reviewed", _l("退回方案"), needs_reason=True),
    Transition("clear", ("plan_approved",), "cleared", _l("实施澄清")),
    Transition("feedback", ("cleared",), "fed_back", _l("反馈")),
    Transition("send_back_feedback", ("fed_back",), "cleared", _l("退回补充反馈"), needs_reason=True),
    Transition("file", ("fed_back",), "filed", _l("备案")),
    Transition("decline", ("applied", "assessed"), "declined", _l("不予澄清"), needs_reason=True),
])

OPEN = ("applied", "assessed", "escalated", "reviewed", "plan_submitted", "plan_escalated", "plan_approved", "cleared",
        "fed_back")
# The six stages of the seed's chain, and which states belong to each (for filters and figures).
STAGES = {
    "apply": ("applied",),
    "assess": ("assessed", "escalated"),
    "review": ("reviewed", "plan_submitted", "plan_escalated", "plan_approved"),
    "clear": ("cleared",),
    "feedback": ("fed_back",),
    "file": ("filed",),
}
STAGE_LABELS = {"apply": _l("申请"), "assess": _l("评估"), "review": _l("复核"), "clear": _l("澄清"),
                "feedback": _l("反馈"), "file": _l("备案")}

# Who takes each step at the owning unit; the two review steps of the higher unit go through the share.
STEP_ACTIONS = {
    "assess": Action.CLEARING_HANDLE,
    "submit_plan": Action.CLEARING_HANDLE,
    "clear": Action.CLEARING_HANDLE,
    "feedback": Action.CLEARING_HANDLE,
    "file": Action.CLEARING_HANDLE,
    "review": Action.CLEARING_DECIDE,
    "send_back_assessment": Action.CLEARING_DECIDE,
    "escalate": Action.CLEARING_DECIDE,
    "approve_plan": Action.CLEARING_DECIDE,
    "escalate_plan": Action.CLEARING_DECIDE,
    "reject_plan": Action.CLEARING_DECIDE,
    "send_back_feedback": Action.CLEARING_DECIDE,
    "decline": Action.CLEARING_DECIDE,
}
HIGHER_REVIEW_STEPS = ("higher_review", "higher_send_back", "higher_approve_plan", "higher_reject_plan")
# Steps only a case reviewed above takes (and the ones it may not take at the owner).
ESCALATED_ONLY_STEPS = ("escalate_plan",)
NOT_WHEN_ESCALATED = ("review", "approve_plan")

# Working days each step may take, counted from the day the case reached it (config may override).
STEP_WORKDAYS = {
    "applied": 10, "assessed": 5, "escalated": 10, "reviewed": 10, "plan_submitted": 3, "plan_escalated": 10,
    "plan_approved": 15, "cleared": 5, "fed_back": 5,
}


def stage_of(state: str) -> str | None:
    return next((stage for stage, states in STAGES.items() if state in states), None)

# What a cross-handler of a collaboration zone may do on a clearing case (交叉办案, granted in core/zones): the work of
# verifying and clearing, never the owner's decisions (review, approval, decline).
CROSS_HANDLE_STEPS = ("assess", "submit_plan", "clear", "feedback")
