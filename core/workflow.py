"""The workflow engine: guarded state transitions with history.

An area declares its workflow as data (states, transitions with their source states and
whether a reason is required); ``Workflow.apply`` is the only way a record changes
state. Every transition writes a history row (actor, time, reason, details) that the
record's timeline shows, and an audit event. Two concurrent transitions of one record:
the version column lets exactly one win; the loser gets 409.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import context
from core.audit.operations import record as audit
from core.clock import utcnow
from core.errors import Conflict, InvalidInput
from core.extensions import db
from core.identity.models import Account


# Every declared workflow by its records' table (the audit viewer names a step "<table>.<transition>" by it).
FLOWS: dict[str, "Workflow"] = {}


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    label: str
    needs_reason: bool = False


@dataclass
class Workflow:
    object_type: str  # the record's table name
    states: dict[str, str]  # state -> label
    transitions: list[Transition] = field(default_factory=list)

    def __post_init__(self):
        self._by_name = {t.name: t for t in self.transitions}
        FLOWS[self.object_type] = self
        for t in self.transitions:
            assert t.target in self.states and set(t.sources) <= set(self.states), t

    def label(self, state: str) -> str:
        return str(self.states.get(state, state))

    def available(self, obj) -> list[Transition]:
        return [t for t in self.transitions if obj.state in t.sources]

    def not_now(self, obj, name: str) -> Conflict:
        """The answer to a step the record's state does not allow: where it stands, what it allows."""
        allowed = self.available(obj)
        return Conflict(
            _("当前状态为“%(state)s”，不能%(step)s；可办理：%(allowed)s", state=self.label(obj.state),
              step=self.step_label(name), allowed="、".join(str(t.label) for t in allowed) or _("无")),
            detail={"current_state": obj.state, "current_state_label": self.label(obj.state),
                    "allowed_transitions": [t.name for t in allowed]})

    def begin(self, obj, *, counterpart_unit_id: int | None = None, detail: dict | None = None) -> None:
        """The first step of a new record's history (it was created in ``obj.state``)."""
        db.session.flush()
        self._record(obj, "create", "", obj.state, None, detail, counterpart_unit_id)

    def apply(self, obj, name: str, *, reason: str | None = None, detail: dict | None = None,
              counterpart_unit_id: int | None = None) -> TransitionRecord:
        """Move ``obj`` along transition ``name``; the caller has already checked who may."""
        transition = self._by_name[name]
        if obj.state not in transition.sources:
            # Someone else moved the record first (or a stale page): a conflict, not bad input.
            raise self.not_now(obj, name)
        reason = (reason or "").strip() or None
        if transition.needs_reason and not reason:
            raise InvalidInput({"reason": [_("请填写理由")]})
        before = obj.state
        obj.state = transition.target
        db.session.flush()  # the version check happens here: a concurrent winner makes this raise
        return self._record(obj, name, before, transition.target, reason, detail, counterpart_unit_id)

    def note(self, obj, name: str, *, reason: str, detail: dict | None = None) -> TransitionRecord:
        """A step of the record's history that changes no state (e.g. ``deadline``: its deadline recomputed)."""
        return self._record(obj, name, obj.state, obj.state, reason, detail, None)

    def _record(self, obj, name, before, after, reason, detail, counterpart_unit_id) -> TransitionRecord:
        ctx = context.current()
        entry = TransitionRecord(
            unit_id=obj.unit_id, unit_path=obj.unit_path, counterpart_unit_id=counterpart_unit_id,
            object_type=self.object_type, object_id=obj.id, transition=name, from_state=before,
            to_state=after, account_id=ctx.account_id, acting_unit_id=ctx.unit_id,
            reason=reason, detail=detail or None, occurred_at=utcnow(),
        )
        db.session.add(entry)
        audit(f"{self.object_type}.{name}", unit_id=obj.unit_id, object_type=self.object_type, object_id=obj.id,
              detail={"from": before, "to": after, **({"reason": reason} if reason else {})})
        return entry

    def step_label(self, name: str) -> str:
        if name == "create":
            return _("创建")
        if name == "deadline":
            return _("期限调整")
        return str(self._by_name[name].label) if name in self._by_name else name


class TransitionRecord(db.Model):
    """One step of a record's history. Seen by whoever sees the record (owner, counterpart, share)."""

    __tablename__ = "workflow_history"
    __table_args__ = (Index("ix_workflow_history_object", "object_type", "object_id"),)
    # The other party of a downward item writes steps too (tenants.models.TenantOwned explains).
    __counterparty__ = "counterpart_unit_id"
    __received_via__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    unit_path: Mapped[str] = mapped_column(String(255), nullable=False)
    counterpart_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[int] = mapped_column(Integer, nullable=False)
    transition: Mapped[str] = mapped_column(String(32), nullable=False)
    from_state: Mapped[str] = mapped_column(String(32), nullable=False)
    to_state: Mapped[str] = mapped_column(String(32), nullable=False)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    acting_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict | None] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    account: Mapped[Account | None] = relationship()


def history(object_type: str, object_id: int) -> list[TransitionRecord]:
    return list(db.session.scalars(
        select(TransitionRecord)
        .where(TransitionRecord.object_type == object_type, TransitionRecord.object_id == object_id)
        .order_by(TransitionRecord.occurred_at, TransitionRecord.id)))
