"""A document's PDF rendition: which document (kind, record, the digest of its Word bytes), its state, the Word
file it was asked with and the PDF made of it, both sealed."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.jobs import HeartbeatMixin
from core.models import TimestampMixin
from tenants.models import TenantOwned

STATE_LABELS = {
    "queued": _l("排队中"),
    "running": _l("正在转换"),
    "done": _l("已生成"),
    "failed": _l("转换失败"),
}
RUNNING = ("queued", "running")


class DocumentRendition(TenantOwned, TimestampMixin, HeartbeatMixin, db.Model):
    __tablename__ = "document_renditions"
    __table_args__ = (UniqueConstraint("unit_id", "kind", "object_id", "digest", name="uq_document_renditions_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(48), nullable=False)  # e.g. clearing_notice, bulletin
    object_id: Mapped[int] = mapped_column(Integer, nullable=False)  # the record the document is of
    digest: Mapped[str] = mapped_column(String(64), nullable=False)  # SM3 of the Word bytes
    action: Mapped[str] = mapped_column(String(48), nullable=False)  # what reading the document takes (an Action)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)  # of the PDF
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    # Sealed (core.crypto.seal_file): the Word file to convert, dropped once its PDF is made; the PDF.
    source: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int | None] = mapped_column(Integer)  # bytes of the PDF
    failure: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS.get(self.state, self.state))

    @property
    def running(self) -> bool:
        return self.state in RUNNING
