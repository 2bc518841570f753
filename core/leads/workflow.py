"""The states a lead (问题线索) moves through: registered, then disposed of in one of the four ways (四种处置方式),
each a guarded transition with its own fields (core.workflow runs them)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
