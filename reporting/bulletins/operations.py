"""Every write of bulletins (通报): build one unit's bulletin of a week or month, frozen and published at
once; build every unit's (the scheduler, the benchmark, the demo). Reading helpers for the pages too.

A bulletin is built once: the snapshot stores every number and name it shows, and a bulletin that
exists is never rebuilt (unique unit, kind and period; a second build answers the first). Figures are
the roll-ups (reporting.rollups) as they stand when built, which the scheduler does right after the
cut-off (00:00 China time after the period's last day). What moved since the cut-off and can be told
from the dated stats rows is taken back out — the campaign's stock and totals, follow-up visits done —
so a bulletin of a past period built on demand states those as they stood at its cut-off; other stocks
(in hand, overdue) are stated as they were when it was built (``stock_as_of``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from core import calendar, timefmt
from core.audit.operations import record
from core.clock import utcnow
from core.directives.models import Directive, DirectiveReceipt, DirectiveReturn
from core.directives.operations import owes_returns, return_periods
from core.errors import InvalidInput
from core.extensions import db
from core.models import upsert_insert
from core.supervision.models import RECORD_KINDS, SupervisionItem
from core.supervision.operations import OPEN_STATES
from reporting import rollups
from reporting.bulletins.models import KINDS, PERIOD_KINDS, Bulletin
from reporting.figures import FIGURES, HEADLINE, dependencies
from reporting.periods import Period, month_of, parse_period, week_of
from tenants.models import Unit, UnitLevel

SNAPSHOT_VERSION = 1
# Levels that get bulletins: every unit above township (townships and stationed groups rank nobody).
LEVELS = (UnitLevel.PROVINCE.value, UnitLevel.CITY.value, UnitLevel.COUNTY.value)
# The unit's own figures: the headline set (coverage comes with its names, below).
UNIT_KEYS = [k for k in HEADLINE if k != "clearing.coverage"]
# One line per child: the figures a ranking is read on, and the overdue counts (numbers only). No campaign
# progress per child: its totals read every year's rows, which doubles the cost of each child's line.
CHILD_KEYS = ["clearing.cleared", "clearing.in_progress", "clearing.overdue", "petitions.received",
              "petitions.concluded", "petitions.open", "petitions.overdue", "zeroing.stock", "zeroing.closed_out",
              "zeroing.overdue", "supervision.overdue", "directives.returns_late"]
RANK_KEYS = ["clearing.cleared", "petitions.overdue", "zeroing.closed_out"]
OVERDUE_KEYS = ["clearing.overdue", "petitions.overdue", "zeroing.overdue", "supervision.overdue",
                "directives.returns_late"]
# Figures read "now" that dated increments after the cut-off have moved, and how to take those back out:
# figure -> [(flow figure over the days since the cut-off, sign)].
SINCE_CUT_OFF = {
    "zeroing.stock": [("zeroing.added", -1), ("zeroing.reopened", -1), ("zeroing.closed_out", 1)],
    "zeroing.added_total": [("zeroing.added", -1), ("zeroing.reopened", -1)],
    "zeroing.closed_out_total": [("zeroing.closed_out", -1)],
    "clearing.visits_done_total": [("clearing.visits_done", -1)],
}
MOVES = sorted({flow for parts in SINCE_CUT_OFF.values() for flow, _sign in parts})
MAX_NAMED = 200  # late returns and overdue items named in one bulletin (the total is always given)


# ---------------------------------------------------------------- periods


def period_of(kind: str, key: str | None = None, today: date | None = None) -> Period:
    """The week (``2026-W47``) or month (``2026-11``) a bulletin of ``kind`` covers; without a key, the last
    one that has ended. A period not yet over, or of the other kind, is a 422."""
    today = today or calendar.today()
    if kind not in KINDS:
        raise InvalidInput({"kind": [_("通报类型应为 weekly（周通报）或 monthly（月通报）")]})
    if not key:
        current = week_of(today) if kind == "weekly" else month_of(today)
        return current.previous()
    period = parse_period(key, today)
    if period.kind != PERIOD_KINDS[kind] or key in ("week", "month"):
        raise InvalidInput({"period": [_("周通报填写周（如 2026-W47），月通报填写月份（如 2026-11）")]})
    if not period.is_past(today):
        raise InvalidInput({"period": [_("只能通报已经结束的周或月")]})
    return period


def cut_off(period: Period) -> datetime:
    """The end of the period's last day in the deployment's zone (00:00 of the next day), in UTC."""
    return timefmt.day_start(period.until + timedelta(days=1))


def has_bulletins(unit: Unit) -> bool:
    """Units above township get bulletins; not a unit standing for another deployment (federated): its
    figures are pushed to it, and it is a line of its parent's bulletin."""
    return unit.is_active and unit.level in LEVELS and not unit.federated


# ---------------------------------------------------------------- building


def build(unit: Unit, kind: str, period: Period, *, account_id: int | None = None,
          today: date | None = None) -> tuple[Bulletin, bool]:
    """The unit's bulletin of the period, built and published now — or the one that exists (never rebuilt).
    Answers (bulletin, built)."""
    existing = find(unit, kind, period.key)
    if existing is not None:
        return existing, False
    if not has_bulletins(unit):
        raise InvalidInput({"unit": [_("乡镇（街道）和派驻组不编发通报")]})
    if period.kind != PERIOD_KINDS[kind]:
        raise InvalidInput({"period": [_("周通报填写周（如 2026-W47），月通报填写月份（如 2026-11）")]})
    today = today or calendar.today()
    if not period.is_past(today):
        raise InvalidInput({"period": [_("只能通报已经结束的周或月")]})
    now = utcnow()
    cut_off_at = cut_off(period)
    with force_locale("zh_Hans_CN"):  # a bulletin is an official document: its stored wording is Chinese
        content = snapshot(unit, kind, period, cut_off_at, today=today, built_at=now)
    table = Bulletin.__table__
    # ON CONFLICT: a leader and the scheduler building the same bulletin at once leave one, the first.
    new_id = db.session.execute(
        upsert_insert(table).values(
            unit_id=unit.id, unit_path=unit.path, parent_unit_id=unit.parent_id, kind=kind, period=period.key,
            since=period.since, until=period.until, cut_off_at=cut_off_at, snapshot=content, built_at=now,
            published_at=now, built_by_id=account_id)
        .on_conflict_do_nothing(index_elements=["unit_id", "kind", "period"]).returning(table.c.id)).scalar()
    if new_id is None:
        return find(unit, kind, period.key), False
    record("bulletin.publish", unit_id=unit.id, object_type="bulletins", object_id=new_id,
           detail={"kind": kind, "period": period.key, "parent_unit_id": unit.parent_id})
    return db.session.get(Bulletin, new_id), True


def build_on_demand(unit: Unit, kind: str, period_key: str, account_id: int) -> tuple[Bulletin, bool]:
    """A leader's bulletin of a chosen past week or month (the existing one if it was built already)."""
    return build(unit, kind, period_of(kind, period_key), account_id=account_id)


def units_with_bulletins() -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.level.in_(LEVELS), Unit.archived_at.is_(None),
                                                      Unit.federated.is_(False)).order_by(Unit.path)))


def build_all(kind: str | None = None, period: Period | str | None = None, *, today: date | None = None) -> dict:
    """Every active unit's bulletin above township for the period (default: the last week or month that
    ended); ``kind`` None builds both last week's and last month's. Existing bulletins are skipped.
    Runs in the caller's context: a job's maintenance context (``jobs.py``), the benchmark's, the demo's."""
    today = today or calendar.today()
    out: dict[str, dict] = {}
    units = units_with_bulletins()
    for one_kind in ([kind] if kind else list(KINDS)):
        chosen = period if isinstance(period, Period) else period_of(one_kind, period, today)
        built = skipped = 0
        for unit in units:
            _bulletin, new = build(unit, one_kind, chosen, today=today)
            built, skipped = built + new, skipped + (not new)
        out[one_kind] = {"period": chosen.key, "built": built, "skipped": skipped}
    return out


# ---------------------------------------------------------------- the snapshot


@dataclass(frozen=True)
class _Figures:
    keys: list[str]  # what the bulletin shows
    asked: list[str]  # and what those are computed from


def _with_parts(keys: list[str]) -> _Figures:
    return _Figures(keys, [f.key for f in dependencies([FIGURES[k] for k in keys])])


def _ratio(figure, values: dict):
    top, bottom = (values.get(part) for part in figure.ratio)
    return round(100.0 * top / bottom, 1) if top is not None and bottom else None


def _as_of_cut_off(values: dict, moves: dict) -> dict:
    """Take the dated moves since the cut-off back out of the figures read now, then recompute the ratios."""
    values = dict(values)
    for key, parts in SINCE_CUT_OFF.items():
        if values.get(key) is not None:
            values[key] += sum(sign * (moves.get(flow) or 0) for flow, sign in parts)
    for key in values:
        if FIGURES[key].kind == "ratio":
            values[key] = _ratio(FIGURES[key], values)
    return values


def _moves_since_cut_off(unit: Unit, period: Period, keys: list[str], campaign_id: int, today: date, *,
                         own_level: bool = False) -> dict:
    """The dated moves since the cut-off that the figures ``keys`` need taken back out ({} when none)."""
    flows = sorted({flow for key in keys for flow, _sign in SINCE_CUT_OFF.get(key, ())
                    if campaign_id or not FIGURES[flow].per_campaign})
    if today <= period.until or not flows:
        return {}
    since = Period("range", period.until + timedelta(days=1), today)
    return rollups.rollup(unit, since, flows, campaign_id=campaign_id, today=today, own_level=own_level).values


def _figures_at_cut_off(unit: Unit, period: Period, figures: _Figures, campaign_id: int, today: date, *,
                        own_level: bool = False, moves: dict | None = None) -> dict:
    """The figures (``campaign_id`` 0: no campaign) as they stood at the cut-off, as far as the dated rows
    tell; ``moves``: those since the cut-off when known already."""
    values = rollups.rollup(unit, period, figures.asked, campaign_id=campaign_id, today=today,
                            own_level=own_level).values
    if moves is None:
        moves = _moves_since_cut_off(unit, period, figures.asked, campaign_id, today, own_level=own_level)
    return _as_of_cut_off(values, moves) if any(moves.values()) else values


def _coverage(lines: list[rollups.Rollup]) -> rollups.Coverage:
    """rollups.coverage from the lines at hand (each child's subtree and the 本级 line, clearings in the
    period): the same names and share, without reading each child's rows again."""
    covered, uncovered = [], []
    for line in lines:
        name = _("%(name)s本级", name=line.unit.name) if line.own_level else line.unit.name
        (covered if line["clearing.cleared"] else uncovered).append(name)
    return rollups.Coverage(covered, uncovered)


def _comparable(key: str) -> bool:
    """Figures a later count of a past period still gets right: flows and ratios of flows."""
    figure = FIGURES[key]
    if figure.kind == "ratio":
        return all(FIGURES[part].kind == "flow" for part in figure.ratio)
    return figure.kind == "flow"


def _label(key: str) -> dict:
    figure = FIGURES[key]
    return {"label": str(figure.label), "unit": figure.unit, "kind": figure.kind, "area": figure.area,
            "higher_is_better": figure.higher_is_better}


def snapshot(unit: Unit, kind: str, period: Period, cut_off_at: datetime, *, today: date,
             built_at: datetime) -> dict:
    """Everything a bulletin shows, as it stands now (see the module's note on the cut-off)."""
    campaign_id = rollups.current_campaign_id(unit) or 0  # 0: no campaign (rollup looks for none then)
    campaign = db.session.get(Directive, campaign_id) if campaign_id else None
    unit_figures, child_figures = _with_parts(UNIT_KEYS), _with_parts(CHILD_KEYS)
    moved = _moves_since_cut_off(unit, period, unit_figures.asked + child_figures.asked, campaign_id, today)
    values = _figures_at_cut_off(unit, period, unit_figures, campaign_id, today, moves=moved)
    keys = list(HEADLINE)

    previous_period = period.previous()
    before = find(unit, kind, previous_period.key)
    if before is not None:
        previous = {"key": previous_period.key, "label": previous_period.label, "source": "bulletin",
                    "bulletin_id": before.id, "values": before.snapshot["values"]}
    else:
        comparable = [k for k in UNIT_KEYS if _comparable(k)]
        recount = rollups.rollup(unit, previous_period, comparable, campaign_id=campaign_id, today=today).values
        recount["clearing.coverage"] = rollups.coverage(unit, previous_period, today=today).share
        previous = {"key": previous_period.key, "label": previous_period.label, "source": "recount",
                    "bulletin_id": None, "values": recount}

    # The moves are counts (never negative): none in the whole subtree means none in any child.
    below = None if any(moved.get(flow) for key in CHILD_KEYS for flow, _s in SINCE_CUT_OFF.get(key, ())) else {}
    lines = [rollups.Rollup(child, period, campaign_id,
                            _figures_at_cut_off(child, period, child_figures, campaign_id, today, moves=below))
             for child in rollups.children_of(unit)]
    lines.append(rollups.Rollup(unit, period, campaign_id,
                                _figures_at_cut_off(unit, period, child_figures, campaign_id, today, own_level=True,
                                                    moves=below),
                                own_level=True))
    cover = _coverage(lines)
    values["clearing.coverage"] = cover.share
    ranks = {key: {id(line): rank for rank, line in rollups.ranked(lines, key)} for key in RANK_KEYS}
    children = [{"unit_id": line.unit.id, "name": line.unit.name if not line.own_level else
                 _("%(name)s本级", name=line.unit.name), "own_level": line.own_level,
                 "values": {k: line.values.get(k) for k in CHILD_KEYS},
                 "ranks": {key: ranks[key][id(line)] for key in RANK_KEYS}} for line in lines]

    late, late_total = late_returns(unit, period, cut_off_at)
    overdue, overdue_total = overdue_items(unit, period)
    return {
        "version": SNAPSHOT_VERSION,
        "unit": {"id": unit.id, "name": unit.name, "level": unit.level, "code": unit.code},
        "parent": {"id": unit.parent.id, "name": unit.parent.name} if unit.parent else None,
        "kind": kind,
        "period": {"key": period.key, "label": period.label, "since": period.since.isoformat(),
                   "until": period.until.isoformat()},
        "cut_off_at": cut_off_at.isoformat(),
        "stock_as_of": built_at.isoformat(),
        "campaign": {"id": campaign.id, "title": campaign.title} if campaign else None,
        "keys": keys,
        "figures": {key: _label(key) for key in dict.fromkeys([*keys, *unit_figures.asked, *CHILD_KEYS])},
        "values": {k: values.get(k) for k in dict.fromkeys([*keys, *unit_figures.asked])},
        "previous": previous,
        "coverage": {"share": cover.share, "covered": cover.covered, "uncovered": cover.uncovered},
        "child_keys": CHILD_KEYS,
        "rank_keys": RANK_KEYS,
        "overdue_keys": OVERDUE_KEYS,
        "children": children,
        "late_returns": late,
        "late_returns_total": late_total,
        "overdue_items": overdue,
        "overdue_items_total": overdue_total,
    }


def late_returns(unit: Unit, period: Period, cut_off_at: datetime) -> tuple[list[dict], int]:
    """The unit's own directives' receivers that had not filed a return due by the end of the period when
    it ended (newest due first; at most MAX_NAMED named) and how many there were."""
    cut_off_day = period.until + timedelta(days=1)
    named: list[dict] = []
    total = 0
    directives = db.session.scalars(select(Directive).where(
        Directive.unit_id == unit.id, Directive.state == "sent", Directive.sent_on <= period.until)
        .order_by(Directive.sent_on.desc(), Directive.id.desc()))
    for directive in directives:
        due = [p for p in return_periods(directive, period.until) if p.due_on <= period.until]
        if not due:
            continue
        receipts = db.session.scalars(
            select(DirectiveReceipt).options(joinedload(DirectiveReceipt.unit))
            .join(Unit, Unit.id == DirectiveReceipt.unit_id)
            .where(DirectiveReceipt.directive_id == directive.id)
            .order_by(Unit.path)).all()
        owing = [r for r in receipts if owes_returns(directive, r.unit)]
        if not owing:
            continue
        filed = set(db.session.execute(select(DirectiveReturn.unit_id, DirectiveReturn.period).where(
            DirectiveReturn.directive_id == directive.id, DirectiveReturn.submitted_at < cut_off_at)).all())
        for p in reversed(due):
            for receipt in owing:
                if (receipt.unit_id, p.key) in filed:
                    continue
                total += 1
                if len(named) < MAX_NAMED:
                    named.append({"directive_id": directive.id, "directive": directive.title, "period": p.key,
                                  "period_label": p.label, "due_on": p.due_on.isoformat(),
                                  "unit_id": receipt.unit_id, "unit": receipt.unit.name,
                                  "days_late": (cut_off_day - p.due_on).days})
    return named, total


def overdue_items(unit: Unit, period: Period) -> tuple[list[dict], int]:
    """Supervision items the unit issued that were past their deadline and still open at the cut-off."""
    cut_off_day = period.until + timedelta(days=1)
    items = db.session.scalars(
        select(SupervisionItem).options(joinedload(SupervisionItem.recipient_unit))
        .where(SupervisionItem.unit_id == unit.id, SupervisionItem.kind.not_in([k.value for k in RECORD_KINDS]),
               SupervisionItem.state.in_(OPEN_STATES), SupervisionItem.due_on <= period.until,
               SupervisionItem.issued_on <= period.until)
        .order_by(SupervisionItem.due_on, SupervisionItem.id)).all()
    return [{"item_id": i.id, "number": i.number, "title": i.title, "kind": i.kind_label,
             "recipient_unit_id": i.recipient_unit_id, "recipient": i.recipient_unit.name,
             "due_on": i.due_on.isoformat(), "days_over": (cut_off_day - i.due_on).days}
            for i in items[:MAX_NAMED]], len(items)


# ---------------------------------------------------------------- reading


def find(unit: Unit, kind: str, period_key: str) -> Bulletin | None:
    return db.session.scalar(select(Bulletin).where(Bulletin.unit_id == unit.id, Bulletin.kind == kind,
                                                    Bulletin.period == period_key))


def latest_published(unit: Unit, kind: str) -> Bulletin | None:
    """The unit's newest published bulletin of ``kind`` (the dashboard's "last week's bulletin")."""
    return db.session.scalar(select(Bulletin).where(
        Bulletin.unit_id == unit.id, Bulletin.kind == kind, Bulletin.published_at.is_not(None))
        .order_by(Bulletin.until.desc(), Bulletin.id.desc()).limit(1))


def published_to(unit: Unit, kind: str | None = None, *, page: int = 1, per_page: int = 50
                 ) -> tuple[list[Bulletin], int]:
    """Bulletins published to the unit: its own and its children's, newest first (a page, and the total)."""
    where = [(Bulletin.unit_id == unit.id) | (Bulletin.parent_unit_id == unit.id), Bulletin.published_at.is_not(None)]
    if kind:
        where.append(Bulletin.kind == kind)
    total = db.session.scalar(select(func.count(Bulletin.id)).where(*where))
    items = db.session.scalars(select(Bulletin).options(joinedload(Bulletin.unit)).where(*where)
                               .order_by(Bulletin.published_at.desc(), Bulletin.id.desc())
                               .offset((page - 1) * per_page).limit(per_page)).all()
    return list(items), total
