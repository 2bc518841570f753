"""The nightly recount: every unit's figures counted again from its records and compared with its
stats rows, then every unit's subtree totals (plus the moves journaled since) with the sums of its
subtree's stats rows. Drift (a bug, or a write that bypassed the operations) is mended, audited and
shown on the admin status page.

Each area's recount answers {(metric, period key): value} for one unit, with the week, month and
year keys of its dated figures (``tenants.stats.with_coarser_keys``), over the metrics it owns.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, literal_column, select, union_all

from core.clearing import operations as clearing_ops
from core.directives import operations as directive_ops
from core.directives.models import DirectiveReturn
from core.extensions import db
from core.models import upsert_insert
from core.petitions.models import SANDUO, Flag, Petition
from core.petitions.workflow import OPEN as PETITION_OPEN
from core.supervision.models import RECORD_KINDS, ItemKind, SupervisionItem
from core.supervision.operations import OPEN_STATES as SUPERVISION_OVERDUE_STATES
from core.timefmt import local_time
from core.workflow import TransitionRecord
from core.zeroing.models import BacklogCase
from reporting.models import ReconcileRun
from tenants import operations as tenancy_ops
from tenants.models import Unit, UnitStat, UnitStatJournal, UnitStatTotal, upper_bound
from tenants.stats import with_coarser_keys

_CONCLUDED = ("concluded", "closed", "settled")


def _petitions(unit: Unit, today: date) -> dict:
    figures: Counter = Counter()
    rows = db.session.execute(select(Petition.state, Petition.received_on, Petition.concluded_on, Petition.outcome,
                                     Petition.flags, Petition.due_on).where(Petition.unit_id == unit.id))
    for state, received_on, concluded_on, outcome, flags, due_on in rows:
        figures[("petitions.received", "")] += 1
        figures[("petitions.received", received_on.isoformat())] += 1
        if state in PETITION_OPEN:
            figures[("petitions.open", "")] += 1
            if due_on is not None and due_on < today:
                figures[("petitions.overdue", "")] += 1
        elif state == "routed":
            figures[("petitions.routed", "")] += 1
        elif state in _CONCLUDED and outcome:
            figures[(f"petitions.concluded.{outcome}", "")] += 1
            figures[(f"petitions.concluded.{outcome}", concluded_on.isoformat())] += 1
        flags = set(flags or [])
        figures[("petitions.repeat", "")] += Flag.REPEAT in flags
        figures[("petitions.sanduo", "")] += bool(flags & set(SANDUO))
    return with_coarser_keys(figures)


def _zeroing(unit: Unit, today: date) -> dict:
    figures: Counter = Counter()
    cases = db.session.execute(select(BacklogCase.id, BacklogCase.directive_id, BacklogCase.state,
                                      BacklogCase.adopted_on, BacklogCase.target_on)
                               .where(BacklogCase.unit_id == unit.id)).all()
    campaign_of = {case_id: campaign_id for case_id, campaign_id, *_rest in cases}
    for _id, campaign_id, state, adopted_on, target_on in cases:
        if adopted_on is not None:
            figures[(f"zeroing.{campaign_id}.added", adopted_on.isoformat())] += 1
        if state == "open":
            figures[(f"zeroing.{campaign_id}.stock", "")] += 1
            if target_on is not None and target_on < today:
                figures[(f"zeroing.{campaign_id}.overdue", "")] += 1
    # Close-outs and re-openings happen more than once per case: counted from the case histories.
    history = db.session.execute(select(TransitionRecord.object_id, TransitionRecord.transition,
                                        TransitionRecord.detail, TransitionRecord.occurred_at)
                                 .where(TransitionRecord.unit_id == unit.id,
                                        TransitionRecord.object_type == BacklogCase.__tablename__,
                                        TransitionRecord.transition.in_(("close_out", "reopen"))))
    for case_id, transition, detail, occurred_at in history:
        detail = detail or {}
        day = detail.get("closed_out_on") or detail.get("on") or occurred_at.date().isoformat()
        name = "closed_out" if transition == "close_out" else "reopened"
        figures[(f"zeroing.{campaign_of[case_id]}.{name}", day)] += 1
    return with_coarser_keys(figures)


def _supervision(unit: Unit, today: date) -> dict:
    figures: Counter = Counter()
    items = db.session.execute(select(SupervisionItem.unit_id, SupervisionItem.recipient_unit_id, SupervisionItem.kind,
                                      SupervisionItem.state, SupervisionItem.issued_on, SupervisionItem.due_on,
                                      SupervisionItem.talk)
                               .where((SupervisionItem.unit_id == unit.id)
                                      | (SupervisionItem.recipient_unit_id == unit.id)))
    for issuer_id, recipient_id, kind, state, issued_on, due_on, talk in items:
        if kind == ItemKind.TALK and recipient_id == unit.id:
            figures[("supervision.talks", "")] += 1
            figures[("supervision.talks", talk["held_on"])] += 1
        if kind in RECORD_KINDS:
            continue
        if issuer_id == unit.id:
            figures[("supervision.issued", "")] += 1
            figures[("supervision.issued", issued_on.isoformat())] += 1
        if recipient_id == unit.id:
            figures[("supervision.received", "")] += 1
            figures[("supervision.received", issued_on.isoformat())] += 1
            figures[("supervision.open", "")] += state not in ("accepted", "closed")
            figures[("supervision.overdue", "")] += (state in SUPERVISION_OVERDUE_STATES and due_on is not None
                                                     and due_on < today)
    return with_coarser_keys(figures)


def _directives(unit: Unit, today: date) -> dict:
    return {("directives.returns_late", ""): directive_ops.late_returns(unit, today)}


def _clearing(unit: Unit, today: date) -> dict:
    return clearing_ops.recount(unit, today)


# (the metric prefix an area owns, its recount). ``directives.returns_submitted_late`` is left out:
# a corrected return keeps its first lateness in the figure but not in the record.
RECOUNTS = [("clearing.", _clearing), ("petitions.", _petitions), ("zeroing.", _zeroing),
            ("supervision.", _supervision), ("directives.returns_late", _directives)]


def stored(unit: Unit, prefix: str) -> dict:
    rows = db.session.execute(select(UnitStat.metric, UnitStat.period, UnitStat.value).where(
        UnitStat.unit_id == unit.id, UnitStat.metric.startswith(prefix)))
    return {(metric, period): value for metric, period, value in rows if value}


@dataclass
class Drift:
    unit_id: int
    metric: str
    period: str
    stored: int
    counted: int


def reconcile_unit(unit: Unit, today: date, *, mend: bool = False) -> list[Drift]:
    drifts = []
    for prefix, recount in RECOUNTS:
        counted = {key: value for key, value in recount(unit, today).items() if value}
        have = stored(unit, prefix)
        for key in sorted(have.keys() | counted.keys()):
            if have.get(key, 0) != counted.get(key, 0):
                drifts.append(Drift(unit.id, key[0], key[1], have.get(key, 0), counted.get(key, 0)))
    if mend:
        for drift in drifts:
            tenancy_ops.set_stat(unit, drift.metric, drift.counted, drift.period)
    return drifts


def units_with_figures_or_records() -> list[int]:
    ids = set(db.session.scalars(select(UnitStat.unit_id).distinct()))
    for model in (Petition, BacklogCase, DirectiveReturn):
        ids |= set(db.session.scalars(select(model.unit_id).distinct()))
    ids |= set(db.session.scalars(select(SupervisionItem.recipient_unit_id).distinct()))
    ids |= set(db.session.scalars(select(SupervisionItem.unit_id).distinct()))
    from core.clearing.models import ClearingCandidate, ClearingCase

    for model in (ClearingCase, ClearingCandidate):
        ids |= set(db.session.scalars(select(model.unit_id).distinct()))
    # A federated unit's figures are pushed by its own deployment: there are no records here to count.
    return sorted(ids - set(db.session.scalars(select(Unit.id).where(Unit.federated.is_(True)))))


def reconcile_all(today: date, *, mend: bool = True) -> dict:
    """Every unit with figures or records, recounted (maintenance context); then every unit's subtree
    totals checked against the stats rows."""
    drifts: list[Drift] = []
    unit_ids = units_with_figures_or_records()
    for unit_id in unit_ids:
        drifts += reconcile_unit(db.session.get(Unit, unit_id), today, mend=mend)
    # Then the subtree totals: after the mends above, which reached them through the journal (set_stat).
    drifts += reconcile_totals(mend=mend)
    by_metric = Counter(d.metric for d in drifts)
    return {"units": len(unit_ids), "drifted_units": len({d.unit_id for d in drifts}), "drifts": len(drifts),
            "metrics": dict(by_metric.most_common(20)),
            "sample": [vars(d) for d in drifts[:50]]}


TOTALS_PREFIX = "totals:"  # a drift of a subtree total, named so on the status page


def totals_of(unit_id: int, path: str) -> list[tuple[str, str, int, int]]:
    """One statement: (metric, period key, kept, summed) wherever the unit's subtree total plus the moves
    journaled in its subtree differs from the sum of its subtree's stats rows. One snapshot, so a fold
    or a move committing meanwhile is seen on both sides or on neither."""
    stats, totals, journal = UnitStat.__table__, UnitStatTotal.__table__, UnitStatJournal.__table__
    source = literal_column("'s'").label("source")
    kept = literal_column("'k'").label("source")
    rows = union_all(
        select(source, stats.c.metric, stats.c.period, stats.c.value.label("value"))
        .where(stats.c.unit_path >= path, stats.c.unit_path < upper_bound(path)),
        select(kept, totals.c.metric, totals.c.period, totals.c.value).where(totals.c.unit_id == unit_id),
        select(kept, journal.c.metric, journal.c.period, journal.c.delta)
        .where(journal.c.unit_path >= path, journal.c.unit_path < upper_bound(path)),
    ).subquery()
    have = func.sum(case((rows.c.source == "k", rows.c.value), else_=0))
    want = func.sum(case((rows.c.source == "s", rows.c.value), else_=0))
    return [(metric, period, int(k), int(w)) for metric, period, k, w in db.session.execute(
        select(rows.c.metric, rows.c.period, have, want).group_by(rows.c.metric, rows.c.period)
        .having(have != want))]


def reconcile_totals(*, mend: bool = True) -> list[Drift]:
    """Every unit's subtree totals against the stats rows (maintenance context); with ``mend`` each drift
    is added to the total (relative: moves and folds meanwhile keep their own effect)."""
    table = UnitStatTotal.__table__
    drifts = []
    for unit_id, path in db.session.execute(select(Unit.id, Unit.path).order_by(Unit.path)).all():
        for metric, period, kept_value, summed in totals_of(unit_id, path):
            drifts.append(Drift(unit_id, TOTALS_PREFIX + metric, period, kept_value, summed))
            if mend:
                stmt = upsert_insert(table).values(unit_id=unit_id, unit_path=path, metric=metric, period=period,
                                                   value=summed - kept_value)
                db.session.execute(stmt.on_conflict_do_update(index_elements=["unit_id", "metric", "period"],
                                                              set_={"value": table.c.value + stmt.excluded.value}))
    return drifts


def status_panel() -> dict:
    """The admin status page's panel: the last recounts, with the metrics that drifted (names only)."""
    from flask_babel import gettext as _

    runs = db.session.scalars(select(ReconcileRun).order_by(ReconcileRun.id.desc()).limit(10)).all()
    rows = [{"bad": run.drifts > 0,
             "cells": [local_time(run.ran_at), run.units, run.drifted_units, run.drifts,
                       "、".join(f"{m}（{n}）" for m, n in run.metrics.items()) or _("无偏差")]} for run in runs]
    return {"title": _("统计数据核对（每晚从记录重新计数）"), "header": [_("时间"), _("核对单位"), _("有偏差单位"), _("偏差项"),
                                                             _("偏差指标（项数）")],
            "rows": rows, "empty": _("尚未运行"), "note": _("偏差已按记录自动纠正，并记入审计日志。")}
