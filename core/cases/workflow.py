"""The states a case (审查调查) moves through: investigated by its unit, reviewed (镇案县审: a township's case by its
county's review office through a share, a county's own by its own reviewer), sent back and resubmitted as often as
the reviewer asks, decided by the unit's leader only after 同意, then executed (处分执行) until every step is done."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.workflow import Transition, Workflow
from tenants.access import Action

CASE_FLOW = Workflow("cases", {
    "investigating": _l("审查调查中"),
    "in_review": _l("审理中"),
    "returned": _l("退回待补充"),
    "agreed": _l("审理同意，待决定"),
    "executing": _l("处分执行中"),
    "closed": _l("已办结"),
}, [
    Transition("submit", ("investigating",), "in_review", _l("移送审理")),
    Transition("review_agree", ("in_review",), "agreed", _l("审理同意")),
    Transition("review_send_back", ("in_review",), "returned", _l("退回补充调查"), needs_reason=True),
    Transition("review_change", ("in_review",), "returned", _l("建议改变定性或处分"), needs_reason=True),
    Transition("resubmit", ("returned",), "in_review", _l("补充后重新移送审理")),
    Transition("decide", ("agreed",), "executing", _l("作出决定")),
    Transition("decide_none", ("agreed",), "closed", _l("作出不予处分决定")),
    Transition("conclude", ("executing",), "closed", _l("执行到位")),
])

OPEN = ("investigating", "in_review", "returned", "agreed", "executing")
EDITABLE = ("investigating", "returned")  # the case file is written while investigating or answering a send-back
REVIEW_STEPS = ("review_agree", "review_send_back", "review_change")
# The review opinion each review step records (CaseReview.opinion).
OPINIONS = {"review_agree": "agree", "review_send_back": "send_back", "review_change": "change"}
OPINION_LABELS = {"agree": _l("同意"), "send_back": _l("退回补充调查"), "change": _l("建议改变定性或处分")}
# Who takes each step at the owning unit; a township's review steps are taken by its county through the share.
STEP_ACTIONS = {
    "submit": Action.CASES_HANDLE, "resubmit": Action.CASES_HANDLE,
    "review_agree": Action.CASES_REVIEW, "review_send_back": Action.CASES_REVIEW, "review_change": Action.CASES_REVIEW,
    "decide": Action.CASES_DECIDE,
}
# The steps a page or the API offers (``decide`` takes ``decide_none`` itself when the decision is 不予处分).
STEPS = ("submit", "resubmit", "review_agree", "review_send_back", "review_change", "decide")
# Working days the county's review may take (config CASE_REVIEW_WORKDAYS overrides); overdue this many working
# days, it is raised from the reviewer to the reviewing unit's leader (like supervision items).
REVIEW_WORKDAYS = 10
ESCALATE_AFTER = 2
# The share purposes: the review (read the file, take the review steps), the county's watch of a late execution.
REVIEW_PURPOSE, WATCH_PURPOSE = "case_review", "execution_watch"

# 处理意见: the kind of sanction (党纪 / 政务), 组织处理 or 不予处分.
CATEGORIES = {"party": _l("党纪处分"), "government": _l("政务处分"), "organisational": _l("组织处理"),
              "none": _l("不予处分")}
KINDS = {
    "party": {"warning": _l("警告"), "serious_warning": _l("严重警告"), "remove_post": _l("撤销党内职务"),
              "probation": _l("留党察看"), "expel": _l("开除党籍")},
    "government": {"warning": _l("警告"), "demerit": _l("记过"), "major_demerit": _l("记大过"),
                   "demotion": _l("降级"), "dismissal": _l("撤职"), "expulsion": _l("开除")},
    "organisational": {"admonish": _l("诫勉"), "adjust": _l("调整职务"), "resign": _l("责令辞职"),
                       "remove": _l("免职"), "demote": _l("降职")},
    "none": {},
}
STEP_KINDS = {"talk": _l("谈话"), "evidence": _l("调取证据"), "letter": _l("函询"), "other": _l("其他")}

# 处分执行: the steps every decision's execution has, with working days from the decision; the effects follow the
# sanction (salary for 政务处分 above 警告, the post where one is lost).
EXECUTION_KINDS = {"deliver_person": _l("向受处分人送达"), "deliver_org": _l("向所在党组织（单位）送达"),
                   "archive": _l("归入本人档案"), "salary": _l("工资待遇调整"), "post": _l("职务调整"),
                   "effect": _l("其他影响期执行")}
EXECUTION_WORKDAYS = {"deliver_person": 5, "deliver_org": 5, "archive": 20, "salary": 30, "post": 30, "effect": 30}
SALARY_EFFECT = {("government", k) for k in ("demerit", "major_demerit", "demotion", "dismissal")}
POST_EFFECT = {("party", "remove_post"), ("party", "probation"), ("party", "expel"), ("government", "demotion"),
               ("government", "dismissal"), ("government", "expulsion"), ("organisational", "adjust"),
               ("organisational", "resign"), ("organisational", "remove"), ("organisational", "demote")}


def kind_label(category: str | None, kind: str | None) -> str:
    if not category:
        return ""
    if category == "none" or not kind:
        return str(CATEGORIES.get(category, ""))
    return f"{CATEGORIES[category]}·{KINDS[category].get(kind, '')}"
