"""Every write of the inbox: post an entry (idempotent by key), close entries when the work is done."""
from __future__ import annotations

from datetime import date

from sqlalchemy import update

from core import context
from core.clock import utcnow
from core.extensions import db
from core.models import upsert_insert
from core.inbox.models import InboxItem


def post(unit, key: str, *, kind: str, object_type: str, object_id: int, title: str,
         roles: tuple[str, ...] = (), account_id: int | None = None, due_on: date | None = None) -> bool:
    """Add an entry unless one with ``key`` exists already; True when it was added."""
    with context.writing_as(unit.id, unit.path):
        result = db.session.execute(upsert_insert(InboxItem.__table__).values(
            key=key, unit_id=unit.id, unit_path=unit.path, roles=f",{','.join(roles)}," if roles else None,
            account_id=account_id, kind=kind, object_type=object_type, object_id=object_id, title=title[:300],
            due_on=due_on, created_at=utcnow(),
        ).on_conflict_do_nothing(index_elements=["key"]).returning(InboxItem.__table__.c.id))
        # rowcount is not reliable with RETURNING on every driver; a returned id means "added".
        return result.scalar() is not None


def close(object_type: str, object_id: int, *, unit_id: int, key_prefix: str | None = None) -> int:
    """Mark one unit's open entries about one object done (those whose key starts so, if given)."""
    stmt = (update(InboxItem)
            .where(InboxItem.object_type == object_type, InboxItem.object_id == object_id,
                   InboxItem.done_at.is_(None))
            .values(done_at=utcnow())
            .execution_options(synchronize_session=False))
    stmt = stmt.where(InboxItem.unit_id == unit_id)
    if key_prefix is not None:
        stmt = stmt.where(InboxItem.key.startswith(key_prefix))
    with context.writing_as(unit_id, None):
        return db.session.execute(stmt).rowcount

