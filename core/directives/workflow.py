"""The states a directive and a receipt move through (core.workflow runs them)."""
from flask_babel import lazy_gettext as _l

from core.workflow import Transition, Workflow

DIRECTIVE_FLOW = Workflow("directives", {"sent": _l("已下发"), "closed": _l("已结束")}, [
    Transition("close", ("sent",), "closed", _l("结束")),
])

RECEIPT_FLOW = Workflow("directive_receipts", {"received": _l("已接收"), "acknowledged": _l("已签收")}, [
    Transition("acknowledge", ("received",), "acknowledged", _l("签收")),
])
