"""Reads of attachments: the loaders of a record's files and of one file, through the record's reachability.

Who sees a record's files at a unit (the one rule, for the pages and the API alike):
- the record's own unit, and its other party (a supervision item's receiver, a return's sender): all of them;
- a unit reading it through a share: only when the share's purpose lets files travel (``FILE_PURPOSES``: a
  cross-handling grant, an escalated review); a supervising, routing or inspecting share shows none;
- never a file marked as identifying the informant, except at the owning unit (masked until revealed).
Anything else answers 404, as the record itself would.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.attachments.models import Attachment
from core.attachments.registry import AttachableType, attachable
from core.extensions import db
from tenants.access import Action, can, deny
from tenants.models import Unit
from tenants.queries import active_shares
from tenants.scoping import load_scoped

# Share purposes through which a record's files may be read; and those through which one may be added.
FILE_PURPOSES = frozenset({"cross_handle", "escalated_review"})
ATTACH_PURPOSES = frozenset({"cross_handle"})


@dataclass
class Reach:
    """How a record reaches the acting unit, for its files."""
    record: object
    entry: AttachableType
    own: bool
    counterpart: bool
    purposes: frozenset

    @property
    def files(self) -> bool:
        return self.own or self.counterpart or bool(self.purposes & (FILE_PURPOSES | {p for p, _ in
                                                                                     self.entry.shared_read}))

    @property
    def attach(self) -> bool:
        return self.own or self.counterpart or bool(self.purposes & ATTACH_PURPOSES)


def _allowed(account, actions, unit: Unit) -> bool:
    return any(can(account, action, unit) for action in actions)


def reach(record, unit: Unit, account=None) -> Reach | None:
    """The record's reach at ``unit`` (None when the record is not attachable). A share whose purpose the record type
    names in ``shared_read`` counts only for an ``account`` holding one of its actions at the unit (the county's
    reviewer reads a township case's files, its other staff do not)."""
    entry = attachable(getattr(record, "__tablename__", ""))
    if entry is None:
        return None
    own = record.unit_id == unit.id
    counterpart = not own and entry.counterpart_of(record) == unit.id
    purposes = frozenset() if own or counterpart else frozenset(
        s.purpose for s in active_shares(entry.key, record.id))
    readers = dict(entry.shared_read)
    purposes = frozenset(p for p in purposes if p not in readers
                         or (account is not None and _allowed(account, readers[p], unit)))
    return Reach(record, entry, own, counterpart, purposes)


def load_record(object_type: str | None, object_id, *, unit: Unit, account, attach: bool = False) -> Reach:
    """The record whose files are asked for, through its own scoped loader rules; 404 when it does not reach the
    unit, when the account may not read it (or attach to it), or when its files do not travel to the unit."""
    entry = attachable(object_type or "")
    if entry is None:  # no such kind of record: the probe is about attachments, whatever it named
        deny(Action.RECORDS_READ, unit=unit, object_type="attachments", object_id=str(object_type)[:64])
    actions = entry.attach if attach else entry.read
    action = next((a for a in actions if can(account, a, unit)), actions[0])
    if not can(account, Action.RECORDS_READ, unit):
        # Files are records: roles that read none (analyst, unit admin) get none, whatever the type's own read
        # action grants them (a county's zone pages are open to all its staff, their evidence is not).
        deny(action, unit=unit, object_type=entry.key, object_id=str(object_id)[:64])
    record = load_scoped(entry.model, object_id, unit=unit, account=account, action=action)
    found = reach(record, unit, account)
    if not (found.attach if attach else found.files):
        deny(action, unit=unit, object_type=entry.key, object_id=record.id)
    return found


def _files(reached: Reach, *, archived: bool = False):
    stmt = select(Attachment).where(Attachment.object_type == reached.entry.key,
                                    Attachment.object_id == reached.record.id)
    stmt = stmt.where(Attachment.archived_at.is_not(None) if archived else Attachment.archived_at.is_(None))
    if not reached.own:
        stmt = stmt.where(Attachment.informant.is_(False))
    if not (reached.own or reached.counterpart):
        # Through a share whose purpose lets files travel (checked by the caller): the auto-filter knows the
        # record's shares, not its files' (row-level security admits them by the same purposes).
        stmt = stmt.execution_options(skip_tenant_filter=True)
    return db.session.scalars(stmt.order_by(Attachment.uploaded_at, Attachment.id)).all()


def files_of(reached: Reach, *, archived: bool = False) -> list[Attachment]:
    """The record's files the unit may see (current ones, or the archived ones), oldest first."""
    return list(_files(reached, archived=archived)) if reached.files else []


def load_file(file_id, *, unit: Unit, account) -> tuple[Attachment, Reach]:
    """One file, through its record: the record must reach the unit for the account, its files must travel
    there, and an informant's file is the owning unit's alone; else 404."""
    try:
        file_id = int(file_id)
    except (TypeError, ValueError):
        deny(Action.RECORDS_READ, unit=unit, object_type="attachments", object_id=file_id)
    attachment = db.session.scalar(select(Attachment).where(Attachment.id == file_id)
                                   .execution_options(skip_tenant_filter=True))
    if attachment is None:
        deny(Action.RECORDS_READ, unit=unit, object_type="attachments", object_id=file_id)
    reached = load_record(attachment.object_type, attachment.object_id, unit=unit, account=account)
    if attachment.informant and not reached.own:
        deny(Action.RECORDS_READ, unit=unit, object_type="attachments", object_id=file_id)
    return attachment, reached


def may_read(reached: Reach, account, unit: Unit) -> bool:
    return reached.files and _allowed(account, reached.entry.read, unit)


def may_attach(reached: Reach, account, unit: Unit) -> bool:
    return reached.attach and _allowed(account, reached.entry.attach, unit)


def load_for_upload(object_type: str | None, object_id, *, unit: Unit, account) -> Reach:
    """The record files are uploaded to (the page's form and the API alike): 404 unless the account may attach."""
    reached = load_record(object_type, object_id, unit=unit, account=account, attach=True)
    if not may_attach(reached, account, unit):
        deny(reached.entry.attach[0], unit=unit, object_type=reached.entry.key, object_id=reached.record.id)
    return reached


def may_archive(attachment: Attachment, reached: Reach, account, unit: Unit) -> bool:
    """Those who may add files here, at the owning unit or the unit that added this one."""
    return (attachment.archived_at is None and may_attach(reached, account, unit)
            and (reached.own or attachment.uploaded_in_unit_id == unit.id))


def may_reveal(attachment: Attachment, reached: Reach, account, unit: Unit) -> bool:
    return attachment.informant and reached.own and can(account, Action.INFORMANT_REVEAL, unit)
