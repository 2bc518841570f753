"""Demo casework for the demo province: a live zeroing campaign with weekly returns, petitions,
open supervision items in several townships (some overdue), and the warnings they raise.

Everything is made through the real operations; only dates are then moved back, because
a demo needs history (periods already past, items already late) that nobody can type in
today. Runs in the maintenance context from ``flask demo``.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from core import calendar, context
from core.directives import operations as directive_ops
from core.directives.models import Directive, DirectiveReceipt
from core.extensions import db
from core.identity.models import Account
from core.petitions import operations as petition_ops
from core.supervision import operations as supervision_ops
from tenants.models import Unit

RETURNING = ["990121001", "990121002", "990121003", "990122001", "990122002", "990221001", "990221002",
             "990321001"]  # townships that filed last week's return; the other 52 are late


def _unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def _as(username: str):
    account = db.session.scalar(select(Account).where(Account.username == username))
    return context.acting(context.maintenance_context(account_id=account.id), db.session)


def seed() -> dict:
    today = calendar.today()
    province, county = _unit("990000"), _unit("990121")
    with _as("prov-leader"):
        campaign = directive_ops.send_directive(
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
        town = _unit(code)
        receipt = db.session.scalar(select(DirectiveReceipt).where(DirectiveReceipt.directive_id == campaign.id,
                                                                   DirectiveReceipt.unit_id == town.id))
        with _as("prov-officer"):
            directive_ops.acknowledge(receipt)
            filed = directive_ops.submit_return(receipt, last_monday.isoformat(),
                                                {"stock": 6 - i % 4, "closed": 1 + i % 3, "visits": 2 + i,
                                                 "note": "按期化解"})
            filed.submitted_at = datetime.combine(last_monday, time(1), tzinfo=timezone.utc)
            returned += 1

    petitions = {}
    for code, accused, summary in (("990121001", "钱某某", "反映村党支部书记在征地补偿款发放中优亲厚友"),
                                   ("990121002", "孙某", "反映村务监督委员会主任侵占集体资产"),
                                   ("990121004", "周某某", "反映扶贫项目资金使用不规范")):
        town = _unit(code)
        with _as("town-intake"):
            petitions[code] = petition_ops.register_petition(
                town, dict(channel="letter", received_on=today - timedelta(days=40), anonymous=False,
                informant={"name": "示例举报人", "phone": "13800000000"}, accused_name=accused,
                accused_position="村干部", accused_work_unit=f"{town.name}某村", category="征地拆迁", summary=summary))

    items = []
    with _as("county-leader"):
        items.append(supervision_ops.issue_item(
            county, _unit("990121001"), kind="registered", title="征地补偿款问题挂号督办",
            body="请每周一报送核查进展。", due_on=today + timedelta(days=30), report_cadence="weekly:1",
            subject_number=petitions["990121001"].number))
        items.append(supervision_ops.issue_item(
            county, _unit("990121001"), kind="rectification", title="澄清正名工作中期检查发现问题整改",
            due_on=today + timedelta(days=14),
            problems=[{"description": "回访记录不全", "requirement": "补齐“一人四访”记录"},
                      {"description": "澄清通知书未归档", "requirement": "一人一档归档"}]))
        late = supervision_ops.issue_item(
            county, _unit("990121002"), kind="assigned", title="交办：集体资产侵占问题线索",
            due_on=today + timedelta(days=1), subject_number=None)
        late_report = supervision_ops.issue_item(
            county, _unit("990121004"), kind="registered", title="扶贫项目资金问题挂号督办",
            due_on=today + timedelta(days=1), report_cadence="weekly:1", subject_number=petitions["990121004"].number)
    # Both were due a week ago and are still open: overdue, escalated to the county.
    for item in (late, late_report):
        item.issued_on, item.due_on = today - timedelta(days=21), calendar.add_workdays(today, -5)
        item.next_report_on = today - timedelta(days=3) if item.report_cadence else None
    items += [late, late_report]
    db.session.flush()
    # The county summoned the township's secretary over the overdue assignment (约谈).
    with _as("county-leader"):
        items.append(supervision_ops.record_talk(
            county, late, _unit("990121002"), who="松林县纪委副书记", whom="镇纪委书记",
            held_on=today - timedelta(days=1), reason="交办件逾期未办结", outcome="明确三日内办结并书面报告"))
    # The periodic jobs' first run: return tasks, due-soon and overdue warnings, escalations.
    warnings = {"directives": directive_ops.scan_deadlines(today),
                "supervision": supervision_ops.scan_deadlines(today)}
    return {"campaign": campaign.id, "returns": returned, "petitions": len(petitions), "items": len(items),
            "warnings": warnings}


def _move_back(directive: Directive, days: int) -> None:
    directive.sent_on = directive.sent_on - timedelta(days=days)
    directive.return_starts_on = directive.sent_on
    db.session.flush()

