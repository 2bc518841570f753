"""An indicator: a weighted sum of scored figures, defined at the province (or a city) and inherited below."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import TimestampMixin, VersionedMixin
from tenants.models import TenantOwned, Unit


class Indicator(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """E.g. 保护党员干部担当干事激情: clearing coverage 40 %, timeliness 30 %, visits done 30 %.

    ``terms``: [{"figure": key, "weight": number, "target": number|None}, …]. A percentage figure
    scores its own value (0–100); a count scores against its target (reaching it scores 100; for a
    figure where lower is better, 0 scores 100 and the target or more scores 0).
    """

    __tablename__ = "indicators"
    __inherited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    terms: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    period_kind: Mapped[str] = mapped_column(String(16), nullable=False, default="year")
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    unit: Mapped[Unit] = relationship()
