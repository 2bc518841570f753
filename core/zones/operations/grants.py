"""Cross-handling and cross-inspection grants (交叉办案、交叉检查): the county authorises named staff of one member
township to inspect or handle one record of another township of the same zone, for a span of days; the grant
makes shares of the record on its start day, and the county may end it at once."""
from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from core import calendar, context, timefmt
from core.audit.operations import record as audit
from core.clearing import workflow as clearing_workflow
from core.clearing.models import ClearingCase
from core.clock import utcnow
from core.errors import InvalidInput, add_error
from core.extensions import db
from core.identity.models import Account
from core.inbox import operations as inbox
from core.inbox.models import InboxKind
from core.models import check_version
from core.petitions import workflow as petition_workflow
from core.petitions.models import Petition
from core.supervision import operations as supervision_ops
from core.zones import queries
from core.zones.models import SHARE_PURPOSE, CrossGrant, GrantScope, Zone
from core.zones.operations.common import int_ids, parse_day
from tenants import operations as tenancy_ops
from tenants.models import Share, Unit

# What a cross-handler may do on each kind of record: each area declares it in its workflow.
CROSS_HANDLE_STEPS = {"petitions": petition_workflow.CROSS_HANDLE_STEPS,
                      "clearing_cases": clearing_workflow.CROSS_HANDLE_STEPS}
GRANTABLE_MODELS = {"petitions": Petition, "clearing_cases": ClearingCase}


def end_of_day(day: date) -> datetime:
    """The last instant of a day in the deployment's zone, as the moment a share expires: in UTC, as every stored
    time (SQLite keeps the wall-clock digits only, so local time stored there expired eight hours late)."""
    return timefmt.day_start(day + timedelta(days=1))


def _normalise(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "") if not ch.isspace())


def about_own_officials(record, grantee: Unit) -> bool:
    """The record's accused (or cleared) person works at the grantee township (熟人社会: never handle those)."""
    work_unit = getattr(record, "accused_work_unit", None) or getattr(record, "person_work_unit", None) or ""
    name = _normalise(grantee.name)
    short = name.removesuffix("纪委").removesuffix("纪委会")
    return bool(name) and (name in _normalise(work_unit) or (len(short) >= 2 and short in _normalise(work_unit)))


def grant_errors(county: Unit, *, grantee: Unit | None, owner: Unit | None, record, scope: str, transitions,
                 starts_on: date | None, ends_on: date | None, accounts: list[Account], account_ids: list[int],
                 purpose: str, errors: dict) -> tuple[Zone | None, list[str]]:
    """The county's rules for a grant, every one checked (the API answers them all at once with 422)."""
    today = calendar.today()
    zone = None
    if grantee is None or grantee.parent_id != county.id:
        add_error(errors, "grantee_unit_id", _("受托单位须是本县下辖的乡镇"))
    if owner is None or owner.parent_id != county.id:
        add_error(errors, "owner_unit_id", _("案件所属单位须是本县下辖的乡镇"))
    if grantee is not None and owner is not None and grantee.id == owner.id:
        add_error(errors, "grantee_unit_id", _("交叉办案须由另一个乡镇承担"))
    elif grantee is not None and owner is not None and "grantee_unit_id" not in errors \
            and "owner_unit_id" not in errors:
        zone = queries.zone_of(grantee)
        owner_zone = queries.zone_of(owner)
        if zone is None or owner_zone is None or zone.id != owner_zone.id:
            add_error(errors, "grantee_unit_id", _("受托乡镇与案件所属乡镇须在授权时同属一个协作区"))
            zone = None
    if record is None and owner is not None and "owner_unit_id" not in errors and "number" not in errors:
        add_error(errors, "number", _("%(unit)s 没有这个编号的信访件或澄清件", unit=owner.name))
    if record is not None and grantee is not None and about_own_officials(record, grantee):
        add_error(errors, "grantee_unit_id", _("不能由被反映人所在乡镇办理或检查涉及本乡镇干部的案件"))
    if scope not in GrantScope.__members__.values():
        add_error(errors, "scope", _("授权范围须为交叉检查（查阅）或交叉办案（查阅并办理）"))
    steps: list[str] = []
    if scope == GrantScope.HANDLE and record is not None:
        allowed = CROSS_HANDLE_STEPS[record.__tablename__]
        steps = [t for t in (transitions or allowed) if t]
        if not steps or any(t not in allowed for t in steps):
            add_error(errors, "transitions", _("可授权的办理环节为：%(steps)s", steps="、".join(allowed)))
    if not (purpose or "").strip():
        add_error(errors, "purpose", _("请填写授权事由"))
    if starts_on and ends_on and ends_on < starts_on:
        add_error(errors, "ends_on", _("结束日期不能早于开始日期"))
    elif ends_on and ends_on < today:
        add_error(errors, "ends_on", _("结束日期不能早于今天"))
    if starts_on and starts_on < today:
        add_error(errors, "starts_on", _("开始日期不能早于今天"))
    found = {a.id for a in accounts}
    if not account_ids:
        add_error(errors, "grantee_account_ids", _("请指定受托乡镇的承办人员"))
    elif any(i not in found for i in account_ids):
        add_error(errors, "grantee_account_ids", _("承办人员须是受托乡镇的委领导或承办人员"))
    return zone, steps


def grant_cross_access(county: Unit, *, grantee_unit_id, owner_unit_id, number: str, scope: str,
                       purpose: str, starts_on, ends_on, grantee_account_ids, transitions=None,
                       round_id: int | None = None) -> CrossGrant:
    """The county authorises named staff of one member township to inspect or handle one record of
    another township of the same zone, from a start day to an end day (both included)."""
    errors: dict[str, list[str]] = {}
    grantee = queries.unit_named(grantee_unit_id)
    owner = queries.unit_named(owner_unit_id)
    record = supervision_ops.subject_record(owner, number) if owner is not None and (number or "").strip() \
        else None
    if owner is not None and not (number or "").strip():
        add_error(errors, "number", _("请填写案件编号（受理编号）"))
    start = parse_day(starts_on, errors, "starts_on", _("开始日期"))
    end = parse_day(ends_on, errors, "ends_on", _("结束日期"))
    account_ids = int_ids(grantee_account_ids)
    accounts = [a for a in queries.accounts_of(grantee) if a.id in account_ids] if grantee else []
    zone, steps = grant_errors(county, grantee=grantee, owner=owner, record=record, scope=scope,
                               transitions=transitions, starts_on=start, ends_on=end, accounts=accounts,
                               account_ids=account_ids, purpose=purpose, errors=errors)
    if errors:
        raise InvalidInput(errors)
    grant = CrossGrant(unit_id=county.id, unit_path=county.path, zone_id=zone.id, grantee_unit_id=grantee.id,
                       owner_unit_id=owner.id, object_type=record.__tablename__, object_id=record.id,
                       object_label=record.label, scope=scope, transitions=",".join(steps),
                       purpose=purpose.strip(), starts_on=start, ends_on=end, grantee_account_ids=account_ids,
                       share_ids=[], round_id=round_id, granted_by_id=context.current().account_id)
    db.session.add(grant)
    db.session.flush()
    audit("zone.grant", unit_id=county.id, object_type="cross_grants", object_id=grant.id,
          detail={"grantee_unit": grantee.id, "owner_unit": owner.id, "object_type": grant.object_type,
                  "object_id": grant.object_id, "scope": scope, "starts_on": start.isoformat(),
                  "ends_on": end.isoformat(), "accounts": account_ids})
    activate_grant(grant, calendar.today())
    return grant

def activate_grant(grant: CrossGrant, today: date) -> bool:
    """On its start day a grant makes one share per grantee account, expiring at the end of its last day.
    Idempotent: a grant with shares, revoked or past its end makes none."""
    if grant.share_ids or grant.state_on(today) != "active":
        return False
    owner = db.session.get(Unit, grant.owner_unit_id)
    share_ids = []
    # The shares are the owner's rows (RLS): the county writes them as the owner.
    with context.writing_as(owner.id, owner.path):
        for account_id in grant.grantee_account_ids:
            share = tenancy_ops.grant_share(
                grant.object_type, grant.object_id, owner, purpose=SHARE_PURPOSE[GrantScope(grant.scope)],
                grantee_account=db.session.get(Account, account_id), expires_at=end_of_day(grant.ends_on),
                transitions=tuple(t for t in grant.transitions.split(",") if t), reason=f"cross_grant:{grant.id}")
            share_ids.append(share.id)
    grant.share_ids = share_ids
    for account_id in grant.grantee_account_ids:
        inbox.post(db.session.get(Unit, grant.grantee_unit_id), f"cross_grant:{grant.id}:{account_id}",
                   kind=InboxKind.TASK, object_type=grant.object_type, object_id=grant.object_id,
                   account_id=account_id, due_on=grant.ends_on,
                   title=_("%(scope)s：%(label)s（%(owner)s，至 %(end)s）", scope=grant.scope_label,
                           label=grant.object_label, owner=owner.name, end=grant.ends_on.isoformat()))
    return True


def activate_due_grants(county: Unit, today: date) -> int:
    """The grants of the county whose start day has come (the job, every few minutes)."""
    return sum(activate_grant(g, today) for g in db.session.scalars(
        select(CrossGrant).where(CrossGrant.unit_id == county.id, CrossGrant.revoked_at.is_(None),
                                 CrossGrant.starts_on <= today, CrossGrant.ends_on >= today)))


def close_ended_grants(county: Unit, today: date) -> int:
    """Grants whose last day has passed: their shares expired on their own; their inbox entries close."""
    closed = 0
    for grant in db.session.scalars(select(CrossGrant).where(CrossGrant.unit_id == county.id,
                                                             CrossGrant.revoked_at.is_(None),
                                                             CrossGrant.ends_on < today)):
        closed += inbox.close(grant.object_type, grant.object_id, unit_id=grant.grantee_unit_id,
                              key_prefix=f"cross_grant:{grant.id}:")
    return closed


def revoke_grant(grant: CrossGrant, reason: str = "", *, expected_version: int | None = None) -> None:
    """The county ends a grant at once: its shares are revoked, every URL of the record answers 404."""
    check_version(grant, expected_version)
    if grant.revoked_at is not None:
        return
    grant.revoked_at = utcnow()
    grant.revoked_by_id = context.current().account_id
    grant.revoke_reason = (reason or "").strip() or None
    # The shares are the owner's rows, which the county neither reads nor writes itself (filter and RLS).
    owner = db.session.get(Unit, grant.owner_unit_id)
    with context.writing_as(owner.id, owner.path):
        for share_id in grant.share_ids:
            share = db.session.get(Share, share_id)
            if share is not None:
                tenancy_ops.revoke_share(share, reason=f"cross_grant:{grant.id}")
        db.session.flush()
    inbox.close(grant.object_type, grant.object_id, unit_id=grant.grantee_unit_id,
                key_prefix=f"cross_grant:{grant.id}:")
    audit("zone.grant_revoke", unit_id=grant.unit_id, object_type="cross_grants", object_id=grant.id,
          detail={"reason": grant.revoke_reason})
