"""Reading the inbox."""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from core.extensions import db
from core.inbox.models import InboxItem


def open_items_for(unit, roles: set[str], account_id: int):
    """The statement for a member's open entries at ``unit``: addressed to one of its roles, to all, or to it."""
    return (select(InboxItem)
            .where(InboxItem.unit_id == unit.id, InboxItem.done_at.is_(None),
                   or_(InboxItem.account_id == account_id,
                       and_(InboxItem.account_id.is_(None),
                            or_(InboxItem.roles.is_(None),
                                *[InboxItem.roles.contains(f",{role},") for role in sorted(roles)]))))
            .order_by(InboxItem.due_on.is_(None), InboxItem.due_on, InboxItem.id))


def counts_for(unit, roles: set[str], account_id: int) -> dict[str, int]:
    """Open entries by kind, for the page header."""
    stmt = open_items_for(unit, roles, account_id).order_by(None).subquery()
    return dict(db.session.execute(select(stmt.c.kind, func.count()).group_by(stmt.c.kind)).all())
