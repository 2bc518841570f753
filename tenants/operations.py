"""Every write of the tenancy layer: units, memberships, platform roles, shares, stats rows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, literal, select, update

from core import calendar, context
from core.audit.operations import record as audit
from core.clock import utcnow
from core.errors import InvalidInput
from core.extensions import db
from core.models import check_version, upsert_insert
from core.identity.models import PLATFORM_ROLE_LABELS, Account, PlatformRole
from tenants import codes, stats
from tenants.access import forget_cached_memberships
from tenants.models import (ALLOWED_PARENTS, ChangedUnit, Membership, Role, Share, ShareAccess, Unit, UnitLevel,
                            UnitStat,
                            upper_bound)



# ---------------------------------------------------------------- units


def unit_errors(name: str, level: str, code: str, parent: Unit | None, *, existing_id: int | None = None) -> dict:
    """Field errors for a unit's attributes (empty dict = valid). Shared by forms, API and import."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 100:
        errors.setdefault("name", []).append(_("名称不能为空，最长 100 个字"))
    try:
        lvl = UnitLevel(level)
    except ValueError:
        errors.setdefault("level", []).append(_("级别无效"))
        return errors
    code = (code or "").strip()
    if not codes.code_matches_level(code, lvl):
        errors.setdefault("code", []).append(
            _("区划代码格式不符：%(level)s应为%(fmt)s", level=_(lvl_label(lvl)), fmt=codes.LEVEL_FORMATS[lvl]))
    else:
        clash = db.session.scalar(select(Unit.id).where(Unit.code == code))
        if clash is not None and clash != existing_id:
            errors.setdefault("code", []).append(_("区划代码 %(code)s 已存在", code=code))
    parent_level = UnitLevel(parent.level) if parent else None
    if parent_level not in ALLOWED_PARENTS[lvl]:
        errors.setdefault("parent_id", []).append(_("该级别单位不能设在所选上级之下"))
    elif parent is not None and not parent.is_active:
        errors.setdefault("parent_id", []).append(_("上级单位已撤销"))
    elif parent is not None and "code" not in errors and not codes.code_under_parent(code, parent.code, parent_level):
        errors.setdefault("code", []).append(_("区划代码与上级单位代码 %(code)s 不一致", code=parent.code))
    return errors


def lvl_label(level: UnitLevel) -> str:
    from tenants.models import LEVEL_LABELS

    return str(LEVEL_LABELS[level])


def _assign_path(unit: Unit, parent: Unit | None) -> None:
    unit.path = f"{parent.path if parent else ''}{unit.id}."


def create_unit(name: str, level: str, code: str, parent: Unit | None) -> Unit:
    errors = unit_errors(name, level, code, parent)
    if errors:
        raise InvalidInput(errors)
    unit = Unit(name=name.strip(), level=level, code=code.strip(), parent=parent, path="")
    db.session.add(unit)
    db.session.flush()
    _assign_path(unit, parent)
    audit("unit.create", object_type="unit", object_id=unit.id, detail={"code": unit.code, "name": unit.name})
    return unit


def rename_unit(unit: Unit, name: str, *, expected_version: int | None = None) -> None:
    check_version(unit, expected_version)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput({"name": [_("名称不能为空，最长 100 个字")]})
    old = unit.name
    unit.name = name
    audit("unit.rename", object_type="unit", object_id=unit.id, detail={"from": old, "to": name})


def move_unit(unit: Unit, new_parent: Unit, *, expected_version: int | None = None) -> int:
    """Move ``unit`` and its subtree under ``new_parent``; paths of units and records follow.

    Returns the number of units moved. Runs in the maintenance context because the
    records of the subtree belong to many units.
    """
    check_version(unit, expected_version)
    if new_parent.id == unit.id or unit.contains(new_parent):
        raise InvalidInput({"parent_id": [_("不能移动到自身或其下级单位之下")]})
    if UnitLevel(new_parent.level) not in ALLOWED_PARENTS[UnitLevel(unit.level)] or not new_parent.is_active:
        raise InvalidInput({"parent_id": [_("该级别单位不能设在所选上级之下")]})
    old_prefix = unit.path
    new_prefix = f"{new_parent.path}{unit.id}."
    if old_prefix == new_prefix:
        return 0
    old_parent_id = unit.parent_id
    upper = upper_bound(old_prefix)
    cut = len(old_prefix) + 1
    with context.acting(context.maintenance_context(account_id=context.current().account_id), db.session):
        moved = db.session.execute(
            update(Unit)
            .where(Unit.path >= old_prefix, Unit.path < upper)
            .values(path=literal(new_prefix) + func.substr(Unit.path, cut), version=Unit.version + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        for model in tenant_owned_models():
            db.session.execute(
                update(model)
                .where(model.unit_path >= old_prefix, model.unit_path < upper)
                .values(unit_path=literal(new_prefix) + func.substr(model.unit_path, cut))
                .execution_options(synchronize_session=False)
            )
        db.session.execute(
            update(Unit).where(Unit.id == unit.id).values(parent_id=new_parent.id)
            .execution_options(synchronize_session=False)
        )
        journal_move(unit, old_parent_id, new_parent)  # the old and new ancestors' subtree totals
    db.session.expire_all()
    audit("unit.move", object_type="unit", object_id=unit.id,
          detail={"from_parent": old_parent_id, "to_parent": new_parent.id, "units_moved": moved})
    return moved


def tenant_owned_models() -> list[type]:
    # Kernel tables (workflow history, number counters) carry unit_path without the tenancy mixin.
    return [m.class_ for m in db.Model.registry.mappers if "unit_path" in m.local_table.c]


def archive_unit(unit: Unit, *, expected_version: int | None = None) -> int:
    """Archive a unit and its subtree: records stay, members lose access. Returns units archived."""
    check_version(unit, expected_version)
    now = utcnow()
    count = db.session.execute(
        update(Unit)
        .where(Unit.path >= unit.path, Unit.path < upper_bound(unit.path), Unit.archived_at.is_(None))
        .values(archived_at=now, version=Unit.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire_all()
    audit("unit.archive", object_type="unit", object_id=unit.id, detail={"units_archived": count})
    return count


def restore_unit(unit: Unit, *, expected_version: int | None = None) -> None:
    check_version(unit, expected_version)
    if unit.parent is not None and not unit.parent.is_active:
        raise InvalidInput({"_schema": [_("上级单位已撤销，请先恢复上级单位")]})
    unit.archived_at = None
    audit("unit.restore", object_type="unit", object_id=unit.id)


@dataclass
class NewUnit:
    """A validated row of a provisioning sheet, ready to insert."""

    code: str
    name: str
    level: UnitLevel
    parent_code: str


def import_units(rows: list[NewUnit]) -> list[Unit]:
    """Insert validated rows, parents before children, in the caller's transaction (all or nothing)."""
    order = [UnitLevel.PROVINCE, UnitLevel.CITY, UnitLevel.COUNTY, UnitLevel.TOWNSHIP, UnitLevel.STATIONED]
    by_code: dict[str, Unit] = {}
    parent_codes = {r.parent_code for r in rows if r.parent_code}
    for unit in db.session.scalars(select(Unit).where(Unit.code.in_(parent_codes))):
        by_code[unit.code] = unit
    created: list[Unit] = []
    for level in order:
        batch = [r for r in rows if r.level == level]
        if not batch:
            continue
        units = [Unit(name=r.name, level=level, code=r.code, parent=by_code.get(r.parent_code), path="")
                 for r in batch]
        db.session.add_all(units)
        db.session.flush()
        for unit in units:
            _assign_path(unit, unit.parent)
            by_code[unit.code] = unit
        created += units
    db.session.flush()
    audit("unit.import", object_type="unit", detail={"created": len(created)})
    return created


# ---------------------------------------------------------------- memberships and platform roles


def add_membership(account: Account, unit: Unit, role: str) -> Membership:
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput({"role": [_("角色无效")]})
    if account.is_platform_admin:
        raise InvalidInput({"account_id": [_("三员账户不能加入单位，也不能查看案件数据")]})
    if not account.is_active:
        raise InvalidInput({"account_id": [_("账户已停用")]})
    if not unit.is_active:
        raise InvalidInput({"unit_id": [_("单位已撤销")]})
    exists = db.session.scalar(
        select(Membership.id).where(Membership.account_id == account.id, Membership.unit_id == unit.id,
                                    Membership.role == role, Membership.ended_at.is_(None)))
    if exists:
        raise InvalidInput({"role": [_("该账户在本单位已有此角色")]})
    membership = Membership(account=account, unit=unit, role=role)
    db.session.add(membership)
    db.session.flush()
    forget_cached_memberships()
    audit("membership.add", unit_id=unit.id, object_type="membership", object_id=membership.id,
          detail={"account": account.username, "role": role.value})
    return membership


def end_membership(membership: Membership, *, expected_version: int | None = None) -> None:
    check_version(membership, expected_version)
    if membership.ended_at is None:
        membership.ended_at = utcnow()
        forget_cached_memberships()
        audit("membership.end", unit_id=membership.unit_id, object_type="membership", object_id=membership.id,
              detail={"account": membership.account.username, "role": membership.role})


def set_platform_role(account: Account, role: str | None) -> None:
    """Give (or take) one of the 三员 roles. An account holds at most one and no unit membership."""
    if role is not None:
        try:
            role = PlatformRole(role)
        except ValueError:
            raise InvalidInput({"platform_role": [_("角色无效")]})
        if account.platform_role and account.platform_role != role:
            raise InvalidInput({"platform_role": [_("三员角色互斥：该账户已是%(r)s，请先撤销",
                                                             r=PLATFORM_ROLE_LABELS[account.platform_role])]})
        with context.acting(context.maintenance_context(account_id=context.current().account_id), db.session):
            has_units = db.session.scalar(
                select(func.count(Membership.id)).where(Membership.account_id == account.id,
                                                       Membership.ended_at.is_(None)))
        if has_units:
            raise InvalidInput({"platform_role": [_("该账户已在单位任职，三员账户不能同时持有单位角色")]})
    old = account.platform_role
    account.platform_role = role
    audit("account.platform_role", object_type="account", object_id=account.id,
          detail={"from": old, "to": role})


# ---------------------------------------------------------------- shares


def grant_share(object_type: str, object_id: int, owner_unit: Unit, *, purpose: str,
                grantee_unit: Unit | None = None, grantee_account: Account | None = None,
                expires_at: datetime | None = None, transitions: tuple[str, ...] = (),
                reason: str | None = None) -> Share:
    """Make one record visible to another unit or account, for a named purpose."""
    if (grantee_unit is None) == (grantee_account is None):
        raise ValueError("a share names exactly one grantee: a unit or an account")
    share = Share(
        unit_id=owner_unit.id, object_type=object_type, object_id=object_id, purpose=purpose,
        grantee_unit_id=getattr(grantee_unit, "id", None), grantee_account_id=getattr(grantee_account, "id", None),
        transitions=",".join(transitions), granted_by_id=context.current().account_id,
        expires_at=expires_at, reason=reason,
    )
    db.session.add(share)
    db.session.flush()
    audit("share.grant", unit_id=owner_unit.id, object_type=object_type, object_id=object_id,
          detail={"share": share.id, "purpose": purpose, "grantee_unit": share.grantee_unit_id,
                  "grantee_account": share.grantee_account_id})
    return share


def revoke_share(share: Share, reason: str | None = None) -> None:
    if share.revoked_at is None:
        share.revoked_at = utcnow()
        share.revoked_by_id = context.current().account_id
        audit("share.revoke", unit_id=share.unit_id, object_type=share.object_type, object_id=share.object_id,
              detail={"share": share.id, "reason": reason})


def record_share_access(share: Share, action: str = "read") -> None:
    """Log one reading of (or step on) a record through a share, on the owner's side: the owner's
    timeline lists it and the audit trail holds it. A step of cross-handling counts in the handler's
    own figures; the record's figures stay its owner's."""
    ctx = context.current()
    owner = db.session.get(Unit, share.unit_id)
    with context.writing_as(owner.id, owner.path):
        db.session.add(ShareAccess(unit_id=owner.id, unit_path=owner.path, share_id=share.id,
                                   object_type=share.object_type, object_id=share.object_id, purpose=share.purpose,
                                   account_id=ctx.account_id, grantee_unit_id=ctx.unit_id, action=action,
                                   at=utcnow()))
        db.session.flush()
    audit("share.access", unit_id=owner.id, object_type=share.object_type, object_id=share.object_id,
          detail={"share": share.id, "purpose": share.purpose, "action": action, "acting_unit": ctx.unit_id})
    if action != "read" and share.purpose == "cross_handle" and ctx.unit_id:
        handler = db.session.get(Unit, ctx.unit_id)
        bump_stat(handler, "zones.cross_handled_steps", 1)
        bump_stat(handler, "zones.cross_handled_steps", 1, calendar.today().isoformat())


# ---------------------------------------------------------------- stats rows


def bump_stat(unit: Unit, metric: str, delta: int, period: str = "") -> None:
    """Move one of the unit's own figures in the caller's transaction (ancestors are never touched).
    A dated increment (ISO day) moves its week, month and year rows too: reporting sums few keys.
    Each move is journaled for the subtree totals (append-only: no row of an ancestor is written)."""
    if delta:
        day = stats.day_of(period)
        keys = stats.dated_keys(day) if day else (period,)
        for key in keys:
            _write_stat(unit, metric, key, delta, UnitStat.__table__.c.value + delta)
        if not unit.federated:
            journal_stats(unit, {(metric, key): delta for key in keys})
        _mark_changed(unit)


def set_stat(unit: Unit, metric: str, value: int, period: str = "") -> None:
    """Set a figure outright: time-based ones (overdue) that a scan recounts rather than moves. The row
    is locked and read first, so the journal gets exactly new − old even beside concurrent moves."""
    if unit.federated:
        return  # its figures are the ones its own deployment pushed (reporting.federation)
    table = UnitStat.__table__
    mine = (table.c.unit_id == unit.id, table.c.metric == metric, table.c.period == period)
    with context.writing_as(unit.id, unit.path):
        # Core with the unit's own conditions (and RLS): the ORM filter's build would add nothing.
        locked = select(table.c.id, table.c.value).where(*mine).with_for_update().execution_options(
            skip_tenant_filter=True)
        row = db.session.execute(locked).first()
        if row is None:
            if not value:
                return  # no row is a zero
            db.session.execute(upsert_insert(table).values(unit_id=unit.id, unit_path=unit.path, metric=metric,
                                                           period=period, value=0)
                               .on_conflict_do_nothing(index_elements=["unit_id", "metric", "period"]))
            row = db.session.execute(locked).first()
        if row.value == value:
            return
        db.session.execute(update(table).where(table.c.id == row.id).values(value=value)
                           .execution_options(skip_tenant_filter=True))
        journal_stats(unit, {(metric, period): value - row.value})


def journal_stats(unit: Unit, moves: dict[tuple[str, str], int]) -> None:
    """Append the moves {(metric, period key): delta} of the unit's own stats rows to the journal, which
    reporting folds into the subtree totals (reporting.operations.fold_journal). Every writer of
    unit_stats calls it in the same transaction: bump_stat, set_stat, a federated push."""
    from sqlalchemy import insert

    from tenants.models import UnitStatJournal

    rows = [{"unit_id": unit.id, "unit_path": unit.path, "metric": metric, "period": period, "delta": delta,
             "at": utcnow()} for (metric, period), delta in moves.items() if delta]
    if rows:
        with context.writing_as(unit.id, unit.path):
            db.session.execute(insert(UnitStatJournal.__table__).values(rows))


def journal_move(unit: Unit, old_parent_id: int | None, new_parent: Unit) -> None:
    """After ``unit`` moved under ``new_parent`` (move_unit, maintenance): its subtree's totals leave the old
    ancestors and join the new ones, as two journal moves (the subtree's totals themselves are unchanged;
    its unfolded moves moved with it). The journal is locked first so no fold runs between."""
    from sqlalchemy import text

    from tenants.models import UnitStatTotal

    if old_parent_id is None:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE unit_stat_journal IN EXCLUSIVE MODE"))
    totals = UnitStatTotal.__table__
    moved = {(metric, period): value for metric, period, value in db.session.execute(
        select(totals.c.metric, totals.c.period, totals.c.value)
        .where(totals.c.unit_id == unit.id, totals.c.value != 0))}
    old_parent = db.session.get(Unit, old_parent_id)
    journal_stats(old_parent, {key: -value for key, value in moved.items()})
    journal_stats(new_parent, moved)


def _mark_changed(unit: Unit) -> None:
    """Queue the unit's time-based figures for the next refresh (reporting.jobs, every minute)."""
    if unit.federated:
        return
    with context.writing_as(unit.id, unit.path):
        db.session.execute(upsert_insert(ChangedUnit.__table__).values(
            unit_id=unit.id, unit_path=unit.path, marked_at=utcnow()).on_conflict_do_nothing(index_elements=["unit_id"]))


def _write_stat(unit: Unit, metric: str, period: str, initial: int, on_conflict) -> None:
    if unit.federated:
        return  # its figures are the ones its own deployment pushed (reporting.federation)
    # A higher unit acting on a shared record moves the owner's row, written as the owner (RLS).
    with context.writing_as(unit.id, unit.path):
        stmt = upsert_insert(UnitStat.__table__).values(unit_id=unit.id, unit_path=unit.path, metric=metric,
                                                        period=period, value=initial)
        db.session.execute(stmt.on_conflict_do_update(index_elements=["unit_id", "metric", "period"],
                                                      set_={"value": on_conflict}))
