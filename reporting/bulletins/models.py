"""The bulletin (通报): one unit's frozen snapshot for one week or month."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.identity.models import Account
from tenants.models import TenantOwned, Unit

KINDS = {"weekly": _l("周通报"), "monthly": _l("月通报")}
# The reporting period each kind covers (reporting.periods.Period.kind).
PERIOD_KINDS = {"weekly": "week", "monthly": "month"}


class Bulletin(TenantOwned, db.Model):
    """Owned by the unit it reports on; its parent reads it too (published to both)."""

    __tablename__ = "bulletins"
    __table_args__ = (UniqueConstraint("unit_id", "kind", "period"),
                      Index("ix_bulletins_parent_unit_id", "parent_unit_id"))
    __counterparty__ = "parent_unit_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # None for the root
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # weekly | monthly
    period: Mapped[str] = mapped_column(String(16), nullable=False)  # "2026-W47" | "2026-11"
    since: Mapped[date] = mapped_column(Date, nullable=False)
    until: Mapped[date] = mapped_column(Date, nullable=False)  # inclusive
    cut_off_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # Everything the bulletin shows, as it stood when built (see operations.snapshot).
    snapshot: Mapped[dict] = mapped_column(JSON, nullable=False)
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    built_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))  # None: built by the scheduler

    unit: Mapped[Unit] = relationship(foreign_keys="Bulletin.unit_id")
    parent_unit: Mapped[Unit | None] = relationship(foreign_keys=[parent_unit_id])
    built_by: Mapped[Account | None] = relationship()

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])

    @property
    def title(self) -> str:
        return f"{self.snapshot['unit']['name']}{self.snapshot['period']['label']}通报"
