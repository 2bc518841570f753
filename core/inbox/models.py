"""The inbox: what awaits an account or its role at a unit (tasks, reminders, warnings)."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.extensions import db
from tenants.models import TenantOwned


class InboxKind(StrEnum):
    TASK = "task"  # something to do: acknowledge, return, handle, decide
    REMINDER = "reminder"  # a sender's nudge, or the automatic one the day before due
    DUE_SOON = "due_soon"  # due within 3 working days
    OVERDUE = "overdue"
    ESCALATION = "escalation"  # overdue item raised to a leader or to the issuer


KIND_LABELS = {
    InboxKind.TASK: _l("待办"),
    InboxKind.REMINDER: _l("催办"),
    InboxKind.DUE_SOON: _l("即将到期"),
    InboxKind.OVERDUE: _l("已逾期"),
    InboxKind.ESCALATION: _l("逾期升级"),
}


class InboxItem(TenantOwned, db.Model):
    """One entry of a unit's inbox, for some roles there (or every member with an inbox) or one account.

    ``key`` makes posting idempotent: a job that runs twice posts a reminder once per item and threshold.
    """

    __tablename__ = "inbox_items"
    __table_args__ = (Index("ix_inbox_items_open", "unit_id", "done_at", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True, nullable=False)
    # ",leader,officer," — the roles at the unit it awaits; NULL: every member with an inbox there.
    roles: Mapped[str | None] = mapped_column(String(100))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    due_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[InboxKind(self.kind)])
