"""Federation's platform tables: the peers an upstream knows, and the pushes a downstream sent.

Neither is tenant-owned: a peer is the platform's registration of another deployment (like a unit
or an account), and the push log is this deployment's own outbound history. Only the system
admin's pages read them; the figures themselves live in ``unit_stats`` of the peer's unit.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.errors import InvalidInput
from core.extensions import db
from core.models import TimestampMixin
from tenants.models import Membership, Unit

BIGINT = BigInteger().with_variant(Integer, "sqlite")


# Why an upstream refuses a push (the reason stored on the peer and answered to the pushing deployment).
REFUSAL_MESSAGES = {
    "unknown_peer_or_signature": _l("对端未登记、已停用或签名无效"),
    "malformed": _l("推送内容格式不正确"),
    "peer_mismatch": _l("推送内容中的部署名称与请求头不一致"),
    "stale": _l("推送时间与本系统时间相差超过允许范围，请检查服务器时钟"),
    "root_mismatch": _l("推送的根单位与登记的不一致"),
    "unit_archived": _l("对应单位已撤销"),
    "replay": _l("重复或过期的推送（序号不大于已接收的序号）"),
}


class FederationPeer(TimestampMixin, db.Model):
    """A downstream deployment registered at this (upstream) deployment: its name, its public key and
    the unit that stands for its root here. The unit has no members and no records: its stats rows
    are the figures of the last accepted push."""

    __tablename__ = "federation_peers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)  # QINGLIAN_FEDERATION_ID there
    public_key: Mapped[str] = mapped_column(Text, nullable=False)  # Ed25519, PEM
    # The unit standing for the peer here. Not ``unit_id``: the peer is the platform's row, not the unit's own
    # (a ``unit_id`` column makes a table tenant-owned for the ORM filter and RLS).
    federated_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), unique=True, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    # The last accepted push: its sequence (replays carry one no greater), when it was sent and
    # received, and how many figures it carried.
    last_sequence: Mapped[int | None] = mapped_column(BIGINT)
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_figures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Refused pushes naming this peer (each also in the audit trail).
    refusals: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_refused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_refusal: Mapped[str | None] = mapped_column(String(32))

    unit: Mapped[Unit] = relationship(foreign_keys=[federated_unit_id])

    @property
    def fingerprint(self) -> str:
        from reporting.federation.signing import fingerprint

        return fingerprint(self.public_key)

    @property
    def last_refusal_label(self) -> str:
        """Why the last push was refused, in words (the stored reason is a code)."""
        return str(REFUSAL_MESSAGES.get(self.last_refusal, _l("其他原因"))) if self.last_refusal else ""


class PushOutcome:
    ACCEPTED = "accepted"
    REFUSED = "refused"  # the upstream answered with a refusal (signature, replay, clock, root)
    FAILED = "failed"  # no answer: the upstream unreachable, a timeout, a garbled reply


OUTCOME_LABELS = {PushOutcome.ACCEPTED: _l("已接收"), PushOutcome.REFUSED: _l("被拒绝"),
                  PushOutcome.FAILED: _l("发送失败")}


class FederationPush(db.Model):
    """One push this (downstream) deployment sent upstream, with the upstream's answer.

    The log gives the next push its sequence and the admin page its history; kept on this side
    because the downstream has no peer row of its own (peers are what an upstream registers)."""

    __tablename__ = "federation_pushes"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(BIGINT, nullable=False, index=True)
    peer_name: Mapped[str] = mapped_column(String(64), nullable=False)
    upstream_url: Mapped[str] = mapped_column(String(255), nullable=False)
    root_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    figures: Mapped[int] = mapped_column(Integer, nullable=False)
    body_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    http_status: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))  # on demand; None = schedule

    root_unit: Mapped[Unit] = relationship()

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS.get(self.outcome, self.outcome))


def federated_unit_ids() -> set[int]:
    """The units standing for other deployments. Their stats rows are the pushed figures, never counts of
    records here: recounts from the records (the nightly reconcile, overdue scans) must leave them alone."""
    return set(db.session.scalars(select(FederationPeer.federated_unit_id)))


@event.listens_for(Session, "before_flush")
def _no_members_in_federated_units(session, flush_context, instances) -> None:
    """A federated unit stands for another deployment: nobody here can be a member of it (and so
    nobody registers records in it). Checked at the flush, so every way of adding one is covered."""
    new = {m: m.unit_id if m.unit_id is not None else getattr(m.unit, "id", None)
           for m in session.new if isinstance(m, Membership)}
    if not any(new.values()):
        return
    with session.no_autoflush:
        federated = set(session.scalars(select(FederationPeer.federated_unit_id)
                                        .where(FederationPeer.federated_unit_id.in_(set(new.values())))))
    refused = [m for m, unit_id in new.items() if unit_id in federated]
    if refused:
        for membership in refused:  # out of the session, so the page that reports the error can still query
            session.expunge(membership)
        raise InvalidInput({"unit_id": [_("该单位是联网接入的下级部署，只接收其上报的数字，不能添加成员")]})
