"""Base mixins shared by every model."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from core.clock import utcnow


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False
    )


class VersionedMixin:
    """Optimistic locking: a stale UPDATE raises StaleDataError, which the app answers with 409."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}


def check_version(obj: VersionedMixin, expected_version: int | None) -> None:
    """The version the user's page or request was built from must still be the record's (else 409)."""
    from core.errors import Conflict

    if expected_version is not None and obj.version != expected_version:
        raise Conflict()


def upsert_insert(table):
    """An INSERT of the session's dialect that supports ON CONFLICT (PostgreSQL and SQLite both do)."""
    from sqlalchemy.dialects import postgresql, sqlite

    from core.extensions import db

    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def with_loaded(obj, **related):
    """``obj`` with many-to-one relationships set to objects loaded in the same statement (select(A, B)
    .join(...)). Without this the related object, held only weakly by the session, can be collected
    before the relationship is read, which would load it again."""
    for key, value in related.items():
        set_committed_value(obj, key, value)
    return obj
