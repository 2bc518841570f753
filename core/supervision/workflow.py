"""The states a supervision item moves through (core.workflow runs them)."""
from flask_babel import lazy_gettext as _l

from core.workflow import Transition, Workflow

OPEN = ("issued", "received", "in_progress", "reported_done")

ITEM_FLOW = Workflow("supervision_items", {
    "issued": _l("已下发"),
    "received": _l("已签收"),
    "in_progress": _l("办理中"),
    "reported_done": _l("已报办结"),
    "accepted": _l("已验收"),
    "closed": _l("已关闭"),
    "recorded": _l("已记录"),  # an admonition talk is a record, not a task
}, [
    Transition("receive", ("issued",), "received", _l("签收")),
    Transition("start", ("received",), "in_progress", _l("开始办理")),
    Transition("report_done", ("in_progress",), "reported_done", _l("报办结")),
    Transition("accept", ("reported_done",), "accepted", _l("验收通过")),
    Transition("send_back", ("reported_done",), "in_progress", _l("退回"), needs_reason=True),
    Transition("close", ("accepted",), "closed", _l("关闭")),
    Transition("withdraw", ("issued", "received", "in_progress"), "closed", _l("撤销"), needs_reason=True),
])
