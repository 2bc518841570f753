"""Reporting's own platform table: what the nightly recount found (no unit's figures, only counts)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.extensions import db


class ReconcileRun(db.Model):
    """One nightly recount: how many units were checked and drifted, which metrics (names, row counts)."""

    __tablename__ = "reconcile_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    units: Mapped[int] = mapped_column(Integer, nullable=False)
    drifted_units: Mapped[int] = mapped_column(Integer, nullable=False)
    drifts: Mapped[int] = mapped_column(Integer, nullable=False)
    metrics: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)  # metric -> rows drifted
