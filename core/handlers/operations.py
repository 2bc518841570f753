"""Every write of handlers: assign a record's handler (at registration, by default the registering officer when
they handle), reassign it (a leader, with a reason), assign many at once (each row checked on its own). Each
change is audited and kept as a ``HandlerChange`` of the owning unit.

Who may reassign is the views' and the API's question (``tenants.access``: ``HANDLERS_ASSIGN``); here is what
makes an assignment valid whoever asks: the record is of a registered type, belongs to the unit, is still open,
and the new handler is a current member of that unit whose role handles such records.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from core import context
from core.audit.operations import record as audit
from core.clock import utcnow
from core.errors import Conflict, InvalidInput
from core.extensions import db
from core.handlers.models import HandlerChange
from core.handlers.registry import HandledType, handled_type_of
from core.identity.models import Account
from core.models import check_version
from core.schemas import SUMMARY
from tenants.access import can
from tenants.models import Unit


def _entry(record) -> HandledType:
    entry = handled_type_of(record)
    if entry is None:
        raise InvalidInput({"_schema": [_("这类记录没有承办人")]})
    return entry


def check_assignment(record, account: Account | None, *, unit: Unit) -> HandledType:
    """Why ``account`` cannot handle ``record`` at ``unit`` (InvalidInput), else the record's type."""
    entry = _entry(record)
    if entry.owner_id(record) != unit.id:
        raise InvalidInput({"_schema": [_("%(r)s 不是本单位办理的记录", r=entry.title(record))]})
    if not entry.is_open(record):
        raise InvalidInput({"_schema": [_("%(r)s 已办结，不再指定承办人", r=entry.title(record))]})
    if account is None or not can(account, entry.handle_action, unit):
        raise InvalidInput({"account_id": [_("所选人员不是本单位现有的承办人员，不能承办%(k)s", k=entry.label)]})
    return entry


def _change(record, entry: HandledType, account: Account, *, unit: Unit, reason: str | None,
            bulk: bool = False) -> HandlerChange | None:
    previous = record.handler_id
    if previous == account.id:
        return None  # already theirs: nothing changes, nothing to keep
    actor_id = context.current().account_id
    record.handler_id = account.id
    change = HandlerChange(unit_id=unit.id, unit_path=unit.path, object_type=entry.key, object_id=record.id,
                           from_account_id=previous, to_account_id=account.id, reason=reason or None,
                           changed_by_id=actor_id, changed_at=utcnow())
    db.session.add(change)
    before = db.session.get(Account, previous) if previous else None
    detail = {"handler": account.display_name, **({"previous_handler": before.display_name} if before else {}),
              **({"reason": reason} if reason else {}), **({"bulk": True} if bulk else {})}
    audit("handler.reassign" if previous else "handler.assign", unit_id=unit.id, object_type=entry.key,
          object_id=record.id, detail=detail)
    db.session.flush()
    return change


def _reason(reason: str | None, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise InvalidInput({"reason": [_("更换承办人须说明理由")]})
    if len(reason) > SUMMARY:
        raise InvalidInput({"reason": [_("理由不能超过 %(n)s 个字", n=SUMMARY)]})
    return reason


def assign(record, account: Account | None, *, unit: Unit, reason: str | None = None) -> HandlerChange | None:
    """Make ``account`` the record's handler (None when it already is). A record that has a handler changes
    hands only with a reason (``reassign``)."""
    entry = check_assignment(record, account, unit=unit)
    reason = _reason(reason, required=record.handler_id is not None and record.handler_id != account.id)
    return _change(record, entry, account, unit=unit, reason=reason)


def assign_at_registration(record, unit: Unit) -> HandlerChange | None:
    """At registration: the registering officer handles the record when their role at the unit handles such
    records; otherwise (intake, a job, a unit above routing it down) it waits for a leader to name one."""
    account_id = context.current().account_id
    account = db.session.get(Account, account_id) if account_id else None
    entry = _entry(record)
    if account is None or record.handler_id is not None or not can(account, entry.handle_action, unit):
        return None
    if record.id is None:
        db.session.flush()  # the history row names the record by its id
    return _change(record, entry, account, unit=unit, reason=None)


def reassign(record, account: Account | None, *, unit: Unit, reason: str, expected_version: int | None = None
             ) -> HandlerChange | None:
    """A leader gives the record to another handler, with a reason (kept in the history and the audit)."""
    check_version(record, expected_version)
    entry = check_assignment(record, account, unit=unit)
    reason = _reason(reason, required=True)
    return _change(record, entry, account, unit=unit, reason=reason)


@dataclass
class RowResult:
    """One row of a bulk action: the record (None when the id named none of the unit's), and why it failed."""
    object_id: int
    title: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _message(exc: Exception) -> str:
    if isinstance(exc, InvalidInput):
        return "；".join(exc.messages)
    return str(getattr(exc, "message", None) or exc)


def bulk_assign(records: dict, account: Account | None, reason: str, *, unit: Unit) -> list[RowResult]:
    """Give every record of ``records`` (id -> the record, or None for an id the unit has no such record of) to
    ``account``. Each row is checked on its own: a failing row says why and the others go through."""
    reason = _reason(reason, required=True)
    results = []
    for object_id, record in records.items():
        if record is None:
            results.append(RowResult(object_id, str(object_id), _("本单位没有这条记录")))
            continue
        entry = handled_type_of(record)
        title = entry.title(record) if entry else str(object_id)
        try:
            entry = check_assignment(record, account, unit=unit)  # every check before any write of the row
            _change(record, entry, account, unit=unit, reason=reason, bulk=True)
        except (InvalidInput, Conflict) as exc:
            results.append(RowResult(object_id, title, _message(exc)))
        else:
            results.append(RowResult(object_id, title))
    return results
