from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import as_utc
from flask_babel import lazy_gettext as _l

from core.extensions import db
from core.models import TimestampMixin, VersionedMixin


class PlatformRole(StrEnum):
    """三员分立: one column, so one account can never hold two of them."""

    SYSTEM = "system"
    SECURITY = "security"
    AUDIT = "audit"


PLATFORM_ROLE_LABELS = {
    PlatformRole.SYSTEM: _l("系统管理员"),
    PlatformRole.SECURITY: _l("安全管理员"),
    PlatformRole.AUDIT: _l("安全审计员"),
}


class Account(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(64), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    platform_role: Mapped[str | None] = mapped_column(String(16))
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    totp_last_counter: Mapped[int | None] = mapped_column(Integer)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # Set per request by the session loader: the login session or token that authenticated it.
    authenticated_by = None

    # Flask-Login protocol.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.archived_at is None

    def get_id(self) -> str | None:
        # The login session's id, not the account's: ending the session ends the login.
        return getattr(self.authenticated_by, "session_key", None)

    @property
    def is_platform_admin(self) -> bool:
        return self.platform_role is not None

    @property
    def has_totp(self) -> bool:
        return self.totp_secret_encrypted is not None

    @property
    def requires_totp(self) -> bool:
        return self.is_platform_admin

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and as_utc(self.locked_until) > now


class LoginSession(db.Model):
    """Server-side login session: a new one at every login, ended at logout or timeout."""

    __tablename__ = "login_sessions"
    __table_args__ = (Index("ix_login_sessions_account_id", "account_id"),
                      Index("ix_login_sessions_live", "ended_at", "last_seen_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    session_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(32))
    second_factor_passed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    last_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # where it last acted (在线用户)

    account: Mapped[Account] = relationship()


class ApiToken(db.Model):
    """A bearer token for API clients. Only its SM3 digest is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_account_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    label: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    account: Mapped[Account] = relationship()

    # Flask-Login's get_id for token-authenticated requests: tokens do not use the cookie.
    session_key = None
