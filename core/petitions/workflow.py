"""The states a petition moves through while it is handled (core.workflow runs them)."""
from dataclasses import dataclass
from typing import Any, Callable

from flask_babel import lazy_gettext as _l

from core.areas import Registry
from core.workflow import Transition, Workflow

PETITION_FLOW = Workflow("petitions", {
    "registered": _l("已登记"),
    "handling": _l("核查中"),
    "concluded": _l("已办结，待反馈"),
    "closed": _l("已反馈结案"),
    "settled": _l("已息访"),
    "routed": _l("已转交下级，跟踪中"),
    "routed_done": _l("下级已办结"),
}, [
    Transition("start", ("registered",), "handling", _l("开始核查")),
    Transition("conclude", ("handling",), "concluded", _l("办结")),
    Transition("feedback", ("concluded",), "closed", _l("向举报人反馈")),
    Transition("settle", ("closed",), "settled", _l("息访（举报人不再信访）")),
    Transition("route", ("registered",), "routed", _l("转办/交办下级")),
    Transition("report_outcome", ("routed",), "routed_done", _l("下级办结结果")),
])
OPEN = ("registered", "handling")
# Steps the handling unit takes on the petition page; routing and outcomes from below have their own paths.
HANDLING_STEPS = ("start", "conclude", "feedback", "settle")

# What a cross-handler of a collaboration zone may do on a petition (交叉办案, granted in core/zones): the work of
# verifying and clearing, never the owner's decisions (review, approval, decline) nor contact with the informant (feedback).
CROSS_HANDLE_STEPS = ("start", "conclude")


@dataclass(frozen=True)
class FollowUp:
    """What a higher area does when a petition is concluded unfounded (失实), and how the petition's page finds
    it again: ``record(unit, petition)`` runs in the conclusion's transaction, written as the owner;
    ``find(petition)`` answers the record it made (or None)."""
    record: Callable
    find: Callable


# Filled by higher areas at start-up: clearing puts the accused person in its pool (core/clearing/area.py).
UNFOUNDED_FOLLOW_UPS = Registry("petitions concluded unfounded")


@dataclass(frozen=True)
class Conversion:
    """A record a higher area makes of a petition (leads: 问题线索), and how the petition's page shows it:
    ``find(petition)`` answers the record made of it (or None), ``title(record)`` and ``href(record, unit)`` name and
    open it; ``convert_url(petition, unit, account)`` is the action of the button making one (None: not here, not
    now, not for this account). ``label``: what the record is, in words."""
    label: Any
    find: Callable
    title: Callable
    href: Callable
    convert_url: Callable


# Filled by higher areas at start-up: leads converts a petition to a lead (core/leads/area.py).
CONVERSIONS = Registry("records higher areas make of a petition")


def conversions_of(petition, unit, account) -> list[dict]:
    """For the petition's page: each higher area's record made of the petition (with its link), or its button."""
    shown = []
    for conversion in CONVERSIONS.values():
        found = conversion.find(petition)
        if found is not None:
            shown.append({"label": conversion.label, "title": conversion.title(found),
                          "href": conversion.href(found, unit)})
        elif (url := conversion.convert_url(petition, unit, account)) is not None:
            shown.append({"label": conversion.label, "convert_url": url})
    return shown
