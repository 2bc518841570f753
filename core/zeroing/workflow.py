"""The states of a backlog case (core.workflow runs them, with history for the case timeline)."""
from flask_babel import lazy_gettext as _l

from core.workflow import Transition, Workflow
from tenants.access import Action

BACKLOG_FLOW = Workflow("backlog_cases", {
    "proposed": _l("待纳入"),
    "open": _l("化解中"),
    "closed_out": _l("已销号"),
    "declined": _l("不纳入"),
}, [
    Transition("adopt", ("proposed",), "open", _l("纳入台账（包案领导、专班、方案）")),
    Transition("decline", ("proposed",), "declined", _l("不纳入台账")),
    Transition("close_out", ("open",), "closed_out", _l("销号")),
    Transition("reopen", ("closed_out",), "open", _l("回头看未通过，重新化解")),
])

# The steps on a backlog case (page and API) and what each needs; 回头看 is for the unit's leaders.
STEP_ACTIONS = {"adopt": Action.ZEROING_HANDLE, "decline": Action.ZEROING_HANDLE, "plan": Action.ZEROING_HANDLE,
                "visit": Action.ZEROING_HANDLE, "close_out": Action.ZEROING_HANDLE,
                "recheck": Action.ZEROING_RECHECK}
