"""Demo directives for the demo province: the province's live campaign against backlog petitions
(全省信访积案动态清零专项行动) with weekly returns from the townships — last week's filed by eight of them,
the other 52 late — and the return tasks and warnings the deadline scan posts.

Everything is made through the real operations; only dates are then moved back, because a demo needs
history (a period already past) that nobody can type in today. Runs from ``flask demo`` in the maintenance
context, after the areas below (supervision, petitions, clearing) and before zeroing's own campaign.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from core import calendar
from core.directives import operations as ops
from core.directives.models import Directive, DirectiveReceipt
from core.extensions import db
from tenants.demo import acting_as, unit_by_code

RETURNING = ["990121001", "990121002", "990121003", "990122001", "990122002", "990221001", "990221002",
             "990321001"]  # townships that filed last week's return; the other 52 are late


def seed() -> dict:
    today = calendar.today()
    province = unit_by_code("990000")
    with acting_as("prov-leader"):
        campaign = ops.send_directive(
            province, kind="campaign", title="全省信访积案动态清零专项行动",
            body="对照“一件积案、一名领导包案、一个工作专班、一套化解方案”要求，每周一报送积案化解进度。",
            audience={"mode": "levels", "levels": ["township"]},
            return_fields=[{"key": "stock", "label": "积案存量", "type": "number", "required": True},
                           {"key": "closed", "label": "本周化解", "type": "number", "required": True},
                           {"key": "visits", "label": "带件下访次数", "type": "number"},
                           {"key": "note", "label": "情况说明", "type": "text"}],
            return_cadence="weekly:1", account_id=None,
            phases=[{"name": "集中排查", "starts_on": today - timedelta(days=28), "ends_on": today - timedelta(days=8)},
                    {"name": "带件下访", "starts_on": today - timedelta(days=7), "ends_on": today + timedelta(days=20)},
                    {"name": "动态清零", "starts_on": today + timedelta(days=21), "ends_on": today + timedelta(days=60)},
                    {"name": "回头看", "starts_on": today + timedelta(days=61), "ends_on": today + timedelta(days=90)}])
        # The campaign started eight days ago: last Monday's period is history.
        _move_back(campaign, days=8)
    returned = 0
    last_monday = today - timedelta(days=(today.isoweekday() - 1) or 7)
    for i, code in enumerate(RETURNING):
        town = unit_by_code(code)
        receipt = db.session.scalar(select(DirectiveReceipt).where(DirectiveReceipt.directive_id == campaign.id,
                                                                   DirectiveReceipt.unit_id == town.id))
        with acting_as("prov-officer"):
            ops.acknowledge(receipt)
            filed = ops.submit_return(receipt, last_monday.isoformat(),
                                      {"stock": 6 - i % 4, "closed": 1 + i % 3, "visits": 2 + i, "note": "按期化解"})
            filed.submitted_at = datetime.combine(last_monday, time(1), tzinfo=timezone.utc)
            returned += 1
    # The periodic job's first run: return tasks, due-soon warnings, reminders, late returns.
    return {"campaign": campaign.id, "returns": returned, "warnings": ops.scan_deadlines(today)}


def _move_back(directive: Directive, days: int) -> None:
    directive.sent_on = directive.sent_on - timedelta(days=days)
    directive.return_starts_on = directive.sent_on
    db.session.flush()
