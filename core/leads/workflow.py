"""The states a lead (问题线索) moves through: registered, then disposed of in one of the four ways (四种处置方式),
each a guarded transition with its own fields (core.workflow runs them)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.areas import Registry
from core.petitions.workflow import Conversion
from core.workflow import Transition, Workflow
from tenants.access import Action

LEAD_FLOW = Workflow("leads", {
    "registered": _l("待处置"),
    "talked": _l("已谈话函询"),
    "verified": _l("已初步核实"),
    "shelved": _l("暂存待查"),
    "closed": _l("予以了结"),
}, [
    # A shelved lead is taken up again by any other way; a talk whose reply is not believed goes on to 初步核实.
    Transition("talk", ("registered", "shelved"), "talked", _l("谈话函询")),
    Transition("verify", ("registered", "shelved", "talked"), "verified", _l("初步核实")),
    Transition("shelve", ("registered",), "shelved", _l("暂存待查")),
    Transition("close", ("registered", "shelved"), "closed", _l("予以了结"), needs_reason=True),
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

# Filled by higher areas at start-up: cases opens a case (审查调查) of a lead verified with 建议立案. Each entry is a
# petitions ``Conversion`` (label, find, title, href, convert_url), read the same way as a petition's conversions.
FOLLOW_UPS = Registry("records higher areas make of a lead")


def follow_ups_of(lead, unit, account) -> list[dict]:
    """For the lead's page: each higher area's record made of the lead (with its link), or its button."""
    shown = []
    for follow_up in FOLLOW_UPS.values():
        found = follow_up.find(lead)
        if found is not None:
            shown.append({"label": follow_up.label, "title": follow_up.title(found), "href": follow_up.href(found, unit)})
        elif (url := follow_up.convert_url(lead, unit, account)) is not None:
            shown.append({"label": follow_up.label, "convert_url": url})
    return shown
