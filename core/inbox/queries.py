"""Reading the inbox."""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from core.extensions import db
from core.inbox.links import link_for
from core.inbox.models import InboxItem
from tenants.access import roles_at
from tenants.workbench import PANEL_ROWS, Row, flag_of, window


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


def workbench_inbox(unit, account) -> list[Row]:
    """待办: the open entries addressed to the account or its roles (the fallback of records without a handler;
    the workbench skips those already shown in a panel above)."""
    w = window()
    roles = {r.value for r in roles_at(account, unit)}
    items = db.session.scalars(open_items_for(unit, roles, account.id).limit(PANEL_ROWS)).all()
    return [Row(label=item.title, href=link_for(item, unit.id), state=item.kind_label, due_on=item.due_on,
                flag=flag_of(item.due_on, item.created_at, w), key=(item.object_type, item.object_id))
            for item in items]
