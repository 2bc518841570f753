"""Imports of existing ledgers (大起底): a unit brings its stock of petitions from a spreadsheet.

An import is a record of its own unit: the uploaded file (sealed with SM4-GCM, since it holds
informants' names and phone numbers, and dropped once the rows are in), the column mapping,
and the outcome of the dry run and of the commit, which the progress page shows while an RQ
job works through the rows.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.jobs import HeartbeatMixin
from core.identity.models import Account
from core.imports.workflow import IMPORT_FLOW
from core.models import TimestampMixin, VersionedMixin
from tenants.models import TenantOwned


class ImportKind(StrEnum):
    PETITIONS = "petitions"


class ImportJob(TenantOwned, TimestampMixin, VersionedMixin, HeartbeatMixin, db.Model):
    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False, default=ImportKind.PETITIONS.value)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    # The file as uploaded, sealed (core.imports.operations.seal); NULL once committed.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    encoding: Mapped[str | None] = mapped_column(String(16))  # a CSV file's text encoding
    headers: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # the first row, as written
    mapping: Mapped[dict | None] = mapped_column(JSON)  # field -> column header
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="uploaded")
    total_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # an estimate until checked
    processed_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # rows with an error
    duplicate_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The first rows' problems: {"row", "field", "column", "message"}; never a value from the sheet.
    errors: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    created_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    first_number: Mapped[str | None] = mapped_column(String(64))
    last_number: Mapped[str | None] = mapped_column(String(64))
    failure: Mapped[str | None] = mapped_column(Text)  # why a check or commit could not finish
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    committed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    created_by: Mapped[Account | None] = relationship()

    @property
    def state_label(self) -> str:
        return IMPORT_FLOW.label(self.state)

    @property
    def running(self) -> bool:
        return self.state in ("checking", "committing")

    @property
    def percent(self) -> int:
        if self.state in ("checked", "check_failed", "committed"):
            return 100
        return min(99, 100 * self.processed_rows // self.total_rows) if self.total_rows else 0
