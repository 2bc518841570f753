"""The states a lead (问题线索) moves through: registered, then disposed of in one of the four ways (四种处置方式),
each a guarded transition with its own fields (core.workflow runs them)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import dictionaries
from core.areas import Registry
from core.petitions.workflow import Conversion
from core.workflow import Transition, Workflow
from tenants.access import Action

# 数据字典 (core.dictionaries): the four ways' names (四种处置方式). The flow branches on every one: relabelled only.
WAY_LABELS = dictionaries.declare("lead_dispositions", _l("问题线索处置方式"), {
    "talk": _l("谈话函询"), "verify": _l("初步核实"), "shelve": _l("暂存待查"), "close": _l("予以了结")},
    area=_l("问题线索"), can_add=False, can_deactivate=False)

LEAD_FLOW = Workflow("leads", {
    "registered": _l("待处置"),
    "talked": _l("已谈话函询"),
    "verified": _l("已初步核实"),
    "shelved": _l("暂存待查"),
    "closed": _l("予以了结"),
    "transferred": _l("移交县纪委领办"),
}, [
    # A shelved lead is taken up again by any other way; a talk whose reply is not believed goes on to 初步核实.
    Transition("talk", ("registered", "shelved"), "talked", WAY_LABELS.lazy("talk")),
    Transition("verify", ("registered", "shelved", "talked"), "verified", WAY_LABELS.lazy("verify")),
    Transition("shelve", ("registered",), "shelved", WAY_LABELS.lazy("shelve")),
    Transition("close", ("registered", "shelved"), "closed", WAY_LABELS.lazy("close"), needs_reason=True),
    # 县领办 in force: the township's lead leaves its open work; the county's lead made of it is handled there.
    # 县领办 takes a lead not yet disposed of: a talk or a verification already counted at the township (or a case
    # opened from it) would be counted again at the county, and the matter handled twice.
    Transition("transfer", ("registered", "shelved"), "transferred", _l("移交县纪委领办")),
])
# The four ways, in the order the regulations name them; each is one transition of the flow.
WAYS = ("talk", "verify", "shelve", "close")
# Still waiting for a disposal: newly registered, or shelved until its review date (the deadline of both).
OPEN = ("registered", "shelved")
# Working days from receipt within which a lead is disposed of (config LEAD_DISPOSAL_WORKDAYS overrides).
DISPOSAL_WORKDAYS = 30
# Who takes each way: the decision to close a lead (予以了结) is a leader's; the other three the handling staff's.
STEP_ACTIONS = {"talk": Action.LEADS_DISPOSE, "verify": Action.LEADS_DISPOSE, "shelve": Action.LEADS_DISPOSE,
                "close": Action.LEADS_CLOSE}

# The funnel's tracks (一个漏斗): who handles a lead the county received in a township's monthly report.
TRACKS = ("township", "county_led", "joint")  # 镇案镇办 (the default), 县领办, 县镇合办
TRACK_LABELS = {"township": _l("镇案镇办"), "county_led": _l("县领办"), "joint": _l("县镇合办")}
# Tracks that take a lead (wholly or in part) away from its township: they wait for the county leader's approval.
NEEDS_APPROVAL = ("county_led", "joint")
# What a share of a lead lets its grantee do (the model of core.clearing.queries.SHARE_STEPS): the purpose, the
# steps named on it, and the role the acting account needs in its own unit.
#  - lead_report: the county's case admin reads the township's reported lead, no step at all;
#  - county_led_assist: 县领办, the township assists on the county's lead: talks and verification records, never
#    shelving or closing (the county decides those);
#  - joint: 县镇合办, named county staff act on the township's lead: talk, verify, shelve; closing stays with the
#    township's leader.
REPORT_SHARE, ASSIST_SHARE, JOINT_SHARE = "lead_report", "county_led_assist", "joint"
SHARE_STEPS = {
    REPORT_SHARE: ((), Action.LEADS_READ),
    ASSIST_SHARE: (("talk", "verify"), Action.LEADS_DISPOSE),
    JOINT_SHARE: (("talk", "verify", "shelve"), Action.LEADS_DISPOSE),
}

# The monthly report to the county (月报备): submitted by the township's leader, received (签收) or sent back with
# a reason by the county's case admin; a report sent back is resubmitted (the loop stays in its history).
REPORT_FLOW = Workflow("lead_reports", {
    "submitted": _l("已报备，待签收"),
    "received": _l("已签收"),
    "returned": _l("已退回，待重新报备"),
}, [
    Transition("receive", ("submitted",), "received", _l("签收")),
    Transition("send_back", ("submitted",), "returned", _l("退回"), needs_reason=True),
    Transition("resubmit", ("returned",), "submitted", _l("重新报备")),
])
REPORTED = ("submitted", "received")  # a report the county holds: the township is not late for that month
DEFAULT_DUE_DAY = 20  # 每月20日前: the report of month M is due by day 20 of month M+1

# A track decision (一个漏斗): in force at once (镇案镇办), or pending until the county leader approves it.
DECISION_LABELS = {"pending": _l("待县纪委领导审批"), "in_force": _l("已生效"), "rejected": _l("未获批准"),
                   "superseded": _l("已被新的决定取代")}

# Filled by higher areas at start-up: cases opens a case (审查调查) of a lead verified with 建议立案. Each entry is a
# petitions ``Conversion`` (label, find, title, href, convert_url); here ``href(record, unit, account)`` answers None
# where the account may not open the record.
FOLLOW_UPS = Registry("records higher areas make of a lead")


def follow_ups_of(lead, unit, account) -> list[dict]:
    """For the lead's page: each higher area's record made of the lead (with its link), or its button."""
    shown = []
    for follow_up in FOLLOW_UPS.values():
        found = follow_up.find(lead)
        if found is not None:  # its link only for an account that may open it (else the number alone)
            shown.append({"label": follow_up.label, "title": follow_up.title(found), "found": True,
                          "href": follow_up.href(found, unit, account)})
        elif (url := follow_up.convert_url(lead, unit, account)) is not None:
            shown.append({"label": follow_up.label, "convert_url": url})
    return shown
