"""Reads of handlers for the pages and the API: the loader of a handled record for a request, the officers who
may handle a type at a unit, a record's history, the list filter by handler ("我承办的"), and the unit's
workload (open and overdue records per handler, per registered type)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import case, func, select

from core import calendar, context
from core.extensions import db
from core.handlers.models import HandlerChange
from core.handlers.registry import HANDLED, HandledType, handled_type
from core.identity.models import Account
from tenants.access import Action, can, deny
from tenants.models import Membership, Unit
from tenants.scoping import load_scoped

MINE, NOBODY = "me", "none"  # the filter's values beside an account id: "我承办的", "未指定承办人"


# ---------------------------------------------------------------- loaders


def entry_or_404(record_type: str, unit: Unit) -> HandledType:
    entry = handled_type(record_type)
    if entry is None:
        deny(Action.HANDLERS_ASSIGN, unit=unit, object_type=str(record_type)[:64])
    return entry


def load_handled(record_type: str, record_id, unit: Unit, account, action: Action | None = None):
    """A handled record whose handler is the acting unit's to name (its own; a supervision item it received);
    else 404. ``action``: what the request does (default: reading the record)."""
    entry = entry_or_404(record_type, unit)
    action = action or entry.read_action
    record = load_scoped(entry.model, record_id, unit=unit, account=account, action=entry.read_action)
    if entry.owner_id(record) != unit.id or not can(account, action, unit):
        deny(action, unit=unit, object_type=entry.key, object_id=record.id)
    return record


def records_for_bulk(entry: HandledType, ids: list[int], unit: Unit) -> dict[int, object]:
    """id -> the unit's record of that type (None for an id that names none of them), in the order given."""
    ids = list(dict.fromkeys(i for i in ids if isinstance(i, int)))
    found = {r.id: r for r in db.session.scalars(select(entry.model).where(
        entry.model.id.in_(ids), entry.owner_column() == unit.id))} if ids else {}
    return {i: found.get(i) for i in ids}


# ---------------------------------------------------------------- who may handle, who handles


def candidates(unit: Unit, entry: HandledType | None = None) -> list[Account]:
    """The unit's current members who may handle records of ``entry`` (any registered type when None)."""
    accounts = db.session.scalars(select(Account).join(Membership, Membership.account_id == Account.id).where(
        Membership.unit_id == unit.id, Membership.ended_at.is_(None), Account.archived_at.is_(None))
        .distinct().order_by(Account.display_name, Account.id)).all()
    entries = [entry] if entry else HANDLED.values()
    return [a for a in accounts if any(can(a, e.handle_action, unit) for e in entries)]


def member_names(unit: Unit, account_ids) -> dict[int, str]:
    """account id -> display name, of accounts that are or were members of ``unit`` only (a filter's label in a
    URL must not turn any account id into a name)."""
    ids = {i for i in account_ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(select(Account.id, Account.display_name).join(
        Membership, Membership.account_id == Account.id).where(Account.id.in_(ids), Membership.unit_id == unit.id)
        .distinct()).all())


def names(account_ids) -> dict[int, str]:
    """account id -> display name, in one query (a list's handler column)."""
    ids = {i for i in account_ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(select(Account.id, Account.display_name).where(Account.id.in_(ids))).all())


def history(object_type: str, object_id: int) -> list[HandlerChange]:
    """The record's handlers, oldest first (rows of the owning unit only)."""
    return list(db.session.scalars(select(HandlerChange).where(
        HandlerChange.object_type == object_type, HandlerChange.object_id == object_id)
        .order_by(HandlerChange.changed_at, HandlerChange.id)))


# ---------------------------------------------------------------- the list filter ("我承办的")


def handler_arg(args, name: str = "handler") -> str:
    """The list's handler filter as given: "me", "none", an account id, or "" (everyone)."""
    value = (args.get(name) or "").strip()
    return value if value in (MINE, NOBODY) or (value.isdigit() and len(value) < 10) else ""


def resolved_handler(args, name: str = "handler") -> str:
    """The filter with "me" made the acting account's id (so an export of "我承办的", run later by a job, keeps
    meaning the same person)."""
    value = handler_arg(args, name)
    if value == MINE:
        account = current_user if has_request_context() else None
        return str(account.id) if getattr(account, "is_authenticated", False) else ""
    return value


def where_handler(stmt, model, value: str, account=None):
    """``stmt`` narrowed to the records ``value`` names: the account's own ("me"), nobody's, or one account's."""
    if not value:
        return stmt
    if value == NOBODY:
        return stmt.where(model.handler_id.is_(None))
    if value == MINE:
        account = account if account is not None else current_user
        return stmt.where(model.handler_id == getattr(account, "id", None))
    return stmt.where(model.handler_id == int(value))


def handled_by(record, value: str) -> bool:
    """``where_handler`` for a record already loaded (a list built in Python)."""
    if not value:
        return True
    if value == NOBODY:
        return record.handler_id is None
    return str(record.handler_id) == value


# ---------------------------------------------------------------- the unit's workload


@dataclass
class Load:
    open: int = 0
    overdue: int = 0


@dataclass
class WorkloadRow:
    account_id: int | None  # None: records nobody handles yet
    name: str
    by_type: dict[str, Load] = field(default_factory=dict)

    @property
    def open(self) -> int:
        return sum(load.open for load in self.by_type.values())

    @property
    def overdue(self) -> int:
        return sum(load.overdue for load in self.by_type.values())


def children_of(unit: Unit) -> list[Unit]:
    """The active units right below ``unit`` that take casework (a county's townships), for its workload page."""
    return [child for child in db.session.scalars(select(Unit).where(Unit.parent_id == unit.id,
                                                                     Unit.archived_at.is_(None)).order_by(Unit.code))
            if child.takes_casework]


def workload_below(unit: Unit, today: date | None = None) -> tuple[list[HandledType], list[WorkloadRow]]:
    """``workload`` of a unit below the acting one: counted in the maintenance context, since its records are not
    the acting unit's to read (row-level security hides them). Only counts and its members' names leave it."""
    with context.acting(context.maintenance_context(account_id=context.current().account_id), db.session):
        return workload(unit, today)


def workload(unit: Unit, today: date | None = None) -> tuple[list[HandledType], list[WorkloadRow]]:
    """Open and overdue records per handler and per registered type (one grouped query per type): every
    current handler of the unit, then those who handle records but are no longer members, then nobody's."""
    today = today or calendar.today()
    entries = HANDLED.values()
    counts: dict[int | None, dict[str, Load]] = {}
    for entry in entries:
        model = entry.model
        overdue = func.sum(case((entry.overdue_clause(today), 1), else_=0))
        for handler_id, n_open, n_overdue in db.session.execute(
                select(model.handler_id, func.count(model.id), overdue)
                .where(entry.owner_column() == unit.id, entry.open_clause()).group_by(model.handler_id)):
            counts.setdefault(handler_id, {})[entry.key] = Load(int(n_open or 0), int(n_overdue or 0))
    rows = [WorkloadRow(a.id, a.display_name, counts.pop(a.id, {})) for a in candidates(unit)]
    unassigned = counts.pop(None, {})
    former = names(counts)
    rows += [WorkloadRow(i, former.get(i, str(i)), loads) for i, loads in counts.items()]
    rows.append(WorkloadRow(None, "", unassigned))
    return entries, rows
