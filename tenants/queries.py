"""Reads of the tenancy layer that casework pages share: the acting account's shares of a record, and the
log of looks and steps through shares that a record's owner sees on its timeline."""
from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core import context
from core.extensions import db
from core.timefmt import local_time
from tenants.models import Share, ShareAccess
from tenants.scoping import active_shares_clause

# Why a record was shared (tenants.models.Share.purpose), as its owner reads it.
SHARE_PURPOSE_LABELS = {
    "cross_inspect": _l("交叉检查"),
    "cross_handle": _l("交叉办案"),
    "supervision": _l("督办"),
    "escalated_review": _l("提级审核"),
    "routing": _l("转办"),
    "case_review": _l("镇案县审"),
    "execution_watch": _l("处分执行督促"),
}
ACCESS_LIST_LIMIT = 200


def purpose_label(purpose: str) -> str:
    return str(SHARE_PURPOSE_LABELS.get(purpose, purpose))


def active_shares(object_type: str, object_id: int) -> list[Share]:
    """Every share of the record that admits the acting unit or account now (oldest first)."""
    return list(db.session.scalars(select(Share).where(
        Share.object_id == object_id, active_shares_clause(object_type, context.current())).order_by(Share.id)))


def share_accesses_of(object_type: str, object_id: int, owner_unit_id: int,
                      limit: int = ACCESS_LIST_LIMIT) -> tuple[list[ShareAccess], int]:
    """Who outside the owner looked at or acted on the record through a share, newest first, and how many
    such entries there are in all. Only the owner's rows (the owner alone reads them)."""
    where = (ShareAccess.unit_id == owner_unit_id, ShareAccess.object_type == object_type,
             ShareAccess.object_id == object_id)
    rows = list(db.session.scalars(select(ShareAccess).where(*where)
                                   .order_by(ShareAccess.at.desc(), ShareAccess.id.desc()).limit(limit)))
    if len(rows) < limit:
        return rows, len(rows)
    return rows, db.session.scalar(select(func.count(ShareAccess.id)).where(*where))


def share_access_log(object_type: str, object_id: int, owner_unit_id: int,
                     step_label: Callable[[str], str]) -> dict:
    """The owner's section "共享查阅与办理记录" (tenants/templates/_share_accesses.html): each look or step
    through a share with who, in which unit, what, when (the deployment's time) and under which purpose."""
    rows, total = share_accesses_of(object_type, object_id, owner_unit_id)
    entries = [{
        "at": local_time(row.at),
        "account": (row.account.display_name or row.account.username) if row.account else "—",
        "unit": row.grantee_unit.name if row.grantee_unit else "—",
        "action": row.action,
        "action_label": _("查阅") if row.action == "read" else _("办理：%(step)s", step=step_label(row.action)),
        "purpose": row.purpose,
        "purpose_label": purpose_label(row.purpose),
    } for row in rows]
    return {"entries": entries, "total": total, "shown": len(entries)}
