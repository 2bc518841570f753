"""Demo supervision for the demo province: 松林县's rectification order to 城关镇, an assignment to 新桥镇
now overdue and escalated, the admonition talk (约谈) it led to, and the warnings the deadline scan posts.

Supervision sits on the shared floor: the items that name a record (挂号督办 of a petition, of a clearing
case) are made by the petitions and clearing seeders, which run after this one. Everything is made through
the real operations; only dates are then moved back, because a demo needs an item already late that nobody
can type in today. Runs in the maintenance context from ``flask demo``.
"""
from __future__ import annotations

from datetime import timedelta

from core import calendar
from core.extensions import db
from core.supervision import operations as ops
from tenants.demo import acting_as, unit_by_code


def seed() -> dict:
    today = calendar.today()
    county = unit_by_code("990121")
    with acting_as("county-leader"):
        rectification = ops.issue_item(
            county, unit_by_code("990121001"), kind="rectification", title="澄清正名工作中期检查发现问题整改",
            due_on=today + timedelta(days=14),
            problems=[{"description": "回访记录不全", "requirement": "补齐“一人四访”记录"},
                      {"description": "澄清通知书未归档", "requirement": "一人一档归档"}])
        late = ops.issue_item(
            county, unit_by_code("990121002"), kind="assigned", title="交办：集体资产侵占问题线索",
            due_on=today + timedelta(days=1), subject_number=None)
    # Due a week ago and still open: overdue, escalated to the county.
    late.issued_on, late.due_on = today - timedelta(days=21), calendar.add_workdays(today, -5)
    db.session.flush()
    # The county summoned the township's secretary over the overdue assignment (约谈).
    with acting_as("county-leader"):
        talk = ops.record_talk(
            county, late, unit_by_code("990121002"), who="松林县纪委副书记", whom="镇纪委书记",
            held_on=today - timedelta(days=1), reason="交办件逾期未办结", outcome="明确三日内办结并书面报告")
    items = [rectification, late, talk]
    # The periodic job's first run: due-soon and overdue warnings, escalations.
    return {"items": len(items), "warnings": ops.scan_deadlines(today)}
