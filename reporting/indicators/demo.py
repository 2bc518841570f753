"""Demo: the province's indicator from the seed — protecting cadres' drive to act (保护党员干部担当干事激情)
as one item of the high-quality-development index: clearing coverage, timeliness and follow-up visits."""
from __future__ import annotations

from sqlalchemy import select

from core import context
from core.extensions import db
from reporting.indicators import operations as ops
from tenants.models import Unit


def seed() -> dict:
    province = db.session.scalar(select(Unit).where(Unit.code == "990000"))
    with context.writing_as(province.id, province.path):
        indicator = ops.define_indicator(province, {
            "name": "保护党员干部担当干事激情",
            "description": "高质量发展综合绩效评价指标之一：澄清正名工作覆盖面、按期澄清情况和回访教育完成情况。",
            "period_kind": "year",
            "terms": [{"figure": "clearing.coverage", "weight": 40}, {"figure": "clearing.timeliness", "weight": 30},
                      {"figure": "clearing.visit_rate", "weight": 30}]})
    # The demo back-dates a few records after the operations wrote them (issue dates of overdue items,
    # return times): the nightly recount brings the figures in line with them, run here once.
    from core import calendar
    from reporting.reconcile import reconcile_all

    mended = reconcile_all(calendar.today(), mend=True)
    return {"indicators": indicator.name, "figures_mended": mended["drifts"]}
