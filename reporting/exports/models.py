"""An export that runs as a job: what was asked (kind and filters), by whom, how far it has got, and
the finished file, sealed with SM4-GCM, until it expires."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.jobs import HeartbeatMixin
from core.identity.models import Account
from core.models import TimestampMixin
from tenants.models import TenantOwned

STATE_LABELS = {
    "queued": _l("排队中"),
    "running": _l("正在生成"),
    "done": _l("已完成"),
    "failed": _l("生成失败"),
    "expired": _l("已过期，文件已删除"),
}
RUNNING = ("queued", "running")


class Export(TenantOwned, TimestampMixin, HeartbeatMixin, db.Model):
    __tablename__ = "exports"
    __table_args__ = (Index("ix_exports_unit_requester", "unit_id", "requested_by_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)  # a key of reporting.exports.registry.EXPORTERS
    filters: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)  # the list's filters, cleaned
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    total_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # counted when asked
    processed_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    # The xlsx, sealed (operations.seal); NULL until done and again once expired. In the database rather
    # than on a disk so that any web machine can serve what any worker wrote.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int | None] = mapped_column(Integer)  # bytes of the xlsx
    failure: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)

    requested_by: Mapped[Account] = relationship()

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS.get(self.state, self.state))

    @property
    def running(self) -> bool:
        return self.state in RUNNING

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return min(99, 100 * self.processed_rows // self.total_rows) if self.total_rows else 0

    @property
    def title(self) -> str:
        from reporting.exports.registry import EXPORTERS

        exporter = EXPORTERS.get(self.kind)
        return str(exporter.title) if exporter else self.kind
