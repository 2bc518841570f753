"""The states a petition moves through while it is handled (core.workflow runs them)."""
from flask_babel import lazy_gettext as _l

from core.workflow import Transition, Workflow

PETITION_FLOW = Workflow("petitions", {
    "registered": _l("已登记"),
    "handling": _l("核查中"),
    "concluded": _l("已办结，待反馈"),
    "closed": _l("已反馈结案"),
}, [
    Transition("start", ("registered",), "handling", _l("开始核查")),
    Transition("conclude", ("handling",), "concluded", _l("办结")),
    Transition("feedback", ("concluded",), "closed", _l("向举报人反馈")),
])
OPEN = ("registered", "handling")
