"""JSON API of the tenancy layer (/api/v1): tokens, me, units, accounts, memberships."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from core.api import api, check_csrf_for_cookie_sessions, documented, parse_json, require_login
from core.errors import InvalidInput, error_title
from core.extensions import db, limiter
from core.identity import operations as identity_ops
from core.identity.models import Account, ApiToken
from tenants import operations as tenancy_ops
from tenants import provisioning
from tenants.access import SUBTREE_ROLLUP_ROLES, Action, active_memberships, can, deny, ensure
from tenants.models import Membership, Role, Unit, upper_bound
from tenants.schemas import (AccountCreatedSchema, AccountCreateSchema, AccountSchema, AccountUpdatedSchema,
                             AccountUpdateSchema, ImportResultSchema, IssuedTokenSchema, MembershipCreateSchema,
                             MembershipSchema, MeSchema, TokenRequestSchema, TokenSchema, UnitCreateSchema,
                             UnitMemberCreateSchema, UnitSchema, UnitUpdateSchema)
from tenants.scoping import load_scoped


@api.before_request
def _api_login():
    if request.endpoint not in ("api.issue_token", "api.openapi_json"):
        require_login()
    check_csrf_for_cookie_sessions()


# ---------------------------------------------------------------- tokens and me


@api.post("/auth/token")
@limiter.limit(lambda: __import__("flask").current_app.config["LOGIN_RATE_LIMIT"])
@documented("/auth/token", "post", "Exchange username and password (and one-time code) for a bearer token",
            body=TokenRequestSchema, response=IssuedTokenSchema, tag="auth", public=True, status=201)
def issue_token():
    args = parse_json(TokenRequestSchema())
    # One answer for every refusal: a missing code must not confirm that the password was right.
    refused = jsonify(error=error_title(401), message=_(
        "用户名、密码或动态口令不正确（已启用动态口令的账户须同时提供 code；三员账户须先在网页上启用动态口令）")), 401
    try:
        account = identity_ops.authenticate(args["username"], args["password"])
        if account.has_totp and args.get("code"):
            identity_ops.check_second_factor(account, args["code"])
        elif account.has_totp or account.requires_totp:
            return refused
    except identity_ops.LoginRefused:
        return refused
    if identity_ops.password_expired(account):
        return jsonify(error=error_title(403), message=_("密码已过期或为初始密码，请先在网页上修改密码")), 403
    issued = identity_ops.issue_token(account, args.get("label", ""))
    data = TokenSchema().dump(issued.token)
    data["token"] = issued.plaintext
    return jsonify(data), 201


@api.get("/auth/tokens")
@documented("/auth/tokens", "get", "My API tokens", response=TokenSchema, many=True, tag="auth")
def list_tokens():
    return jsonify(TokenSchema(many=True).dump(identity_ops.account_tokens(current_user)))


@api.delete("/auth/tokens/<int:token_id>")
@documented("/auth/tokens/{token_id}", "delete", "Revoke one of my API tokens", tag="auth", status=204)
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.account_id != current_user.id:
        deny("api_token.revoke", object_type="api_token", object_id=token_id)
    identity_ops.revoke_token(token)
    return "", 204


@api.get("/me")
@documented("/me", "get", "The calling account and its memberships", response=MeSchema, tag="auth")
def me():
    data = AccountSchema().dump(current_user)
    data["memberships"] = MembershipSchema(many=True).dump(active_memberships(current_user))
    return jsonify(data)


# ---------------------------------------------------------------- units


def _visible_units_clause():
    """Units the caller may see: all for platform admins; own units and, for leaders/analysts, subtrees."""
    if current_user.is_platform_admin:
        return None
    clauses = []
    for m in active_memberships(current_user):
        clauses.append(Unit.id == m.unit_id)
        if Role(m.role) in SUBTREE_ROLLUP_ROLES:
            clauses.append((Unit.path >= m.unit.path) & (Unit.path < upper_bound(m.unit.path)))
    return or_(*clauses) if clauses else Unit.id.is_(None)


def _can_view_unit(unit: Unit) -> bool:
    if current_user.is_platform_admin:
        return can(current_user, Action.UNIT_VIEW)
    return any(can(current_user, Action.UNIT_VIEW, m.unit, target=unit) for m in active_memberships(current_user))


def _load_unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or not _can_view_unit(unit):
        deny(Action.UNIT_VIEW, object_type="unit", object_id=unit_id)
    return unit


@api.get("/units")
@documented("/units", "get", "Units visible to the caller (filters: q, level, parent_id, archived)",
            response=UnitSchema, many=True, tag="units")
def list_units():
    stmt = select(Unit).order_by(Unit.path)
    visible = _visible_units_clause()
    if visible is not None:
        stmt = stmt.where(visible)
    if q := request.args.get("q"):
        stmt = stmt.where(or_(Unit.name.contains(q), Unit.code.startswith(q)))
    if level := request.args.get("level"):
        stmt = stmt.where(Unit.level == level)
    if (parent := request.args.get("parent_id", type=int)) is not None:
        stmt = stmt.where(Unit.parent_id == parent)
    if request.args.get("archived") != "1":
        stmt = stmt.where(Unit.archived_at.is_(None))
    limit = min(max(request.args.get("limit", 2000, type=int), 0), 10000)
    offset = max(request.args.get("offset", 0, type=int), 0)
    return jsonify(UnitSchema(many=True).dump(db.session.scalars(stmt.limit(limit).offset(offset))))


@api.post("/units")
@documented("/units", "post", "Create a unit (system admin)", body=UnitCreateSchema, response=UnitSchema,
            tag="units", status=201)
def create_unit():
    ensure(current_user, Action.UNITS_MANAGE)
    args = parse_json(UnitCreateSchema())
    parent = _load_unit(args["parent_id"]) if args.get("parent_id") else None
    unit = tenancy_ops.create_unit(args["name"], args["level"], args["code"], parent)
    return jsonify(UnitSchema().dump(unit)), 201


@api.get("/units/<int:unit_id>")
@documented("/units/{unit_id}", "get", "One unit", response=UnitSchema, tag="units")
def get_unit(unit_id: int):
    return jsonify(UnitSchema().dump(_load_unit(unit_id)))


@api.patch("/units/<int:unit_id>")
@documented("/units/{unit_id}", "patch", "Rename, move or archive/restore a unit (system admin)",
            body=UnitUpdateSchema, response=UnitSchema, tag="units")
def update_unit(unit_id: int):
    unit = _load_unit(unit_id)
    ensure(current_user, Action.UNITS_MANAGE, object_type="unit", object_id=unit_id)
    args = parse_json(UnitUpdateSchema())
    version = args.get("version")
    if "name" in args:
        tenancy_ops.rename_unit(unit, args["name"], expected_version=version)
        version = None
    if "parent_id" in args and args["parent_id"] != unit.parent_id:
        tenancy_ops.move_unit(unit, _load_unit(args["parent_id"]), expected_version=version)
        version = None
    if args.get("archived") is True and unit.is_active:
        tenancy_ops.archive_unit(unit, expected_version=version)
    elif args.get("archived") is False and not unit.is_active:
        tenancy_ops.restore_unit(unit, expected_version=version)
    db.session.flush()
    db.session.refresh(unit)
    return jsonify(UnitSchema().dump(unit))


@api.get("/units/<int:unit_id>/children")
@documented("/units/{unit_id}/children", "get", "Direct children of a unit", response=UnitSchema, many=True,
            tag="units")
def unit_children(unit_id: int):
    unit = _load_unit(unit_id)
    children = db.session.scalars(
        select(Unit).where(Unit.parent_id == unit.id, Unit.archived_at.is_(None)).order_by(Unit.code))
    return jsonify(UnitSchema(many=True).dump([c for c in children if _can_view_unit(c)]))


@api.post("/units/import")
@documented("/units/import", "post", "Bulk provisioning from an .xlsx/.csv upload (multipart field 'file'); "
            "?dry_run=1 checks only; a commit is all or nothing (a sheet with errors: 422 with the rows)",
            response=ImportResultSchema, refused={422: ImportResultSchema}, tag="units")
def import_units():
    ensure(current_user, Action.UNITS_MANAGE)
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput({"file": [_("请上传文件")]})
    check = provisioning.check_sheet(provisioning.read_sheet(upload.filename, upload.read()))
    dry_run = request.args.get("dry_run") in ("1", "true", "yes")
    committed = False
    created = 0
    if not dry_run and check.ok:
        created = len(tenancy_ops.import_units(check.new_units()))
        committed = True
    body = ImportResultSchema().dump({"dry_run": dry_run, "committed": committed, "created": created,
                                      "error_count": check.error_count, "rows": check.rows})
    return jsonify(body), 200 if (dry_run or committed) else 422


# ---------------------------------------------------------------- accounts and memberships (admins)


def _load_account(account_id: int) -> Account:
    ensure(current_user, Action.ACCOUNTS_VIEW, object_type="account", object_id=account_id)
    account = db.session.get(Account, account_id)
    if account is None:
        deny(Action.ACCOUNTS_VIEW, object_type="account", object_id=account_id)
    return account


@api.get("/accounts")
@documented("/accounts", "get", "Accounts (system and security admins; filter q)", response=AccountSchema,
            many=True, tag="accounts")
def list_accounts():
    ensure(current_user, Action.ACCOUNTS_VIEW)
    stmt = select(Account).order_by(Account.username)
    if q := request.args.get("q"):
        stmt = stmt.where(or_(Account.username.contains(q), Account.display_name.contains(q)))
    return jsonify(AccountSchema(many=True).dump(db.session.scalars(stmt.limit(2000))))


@api.post("/accounts")
@documented("/accounts", "post", "Create an account with a temporary password (system admin)",
            body=AccountCreateSchema, response=AccountCreatedSchema, tag="accounts", status=201)
def create_account():
    ensure(current_user, Action.ACCOUNTS_MANAGE)
    args = parse_json(AccountCreateSchema())
    account, initial = identity_ops.create_account(args["username"], args["display_name"])
    data = AccountSchema().dump(account)
    data["initial_password"] = initial
    return jsonify(data), 201


@api.get("/accounts/<int:account_id>")
@documented("/accounts/{account_id}", "get", "One account", response=AccountSchema, tag="accounts")
def get_account(account_id: int):
    return jsonify(AccountSchema().dump(_load_account(account_id)))


@api.patch("/accounts/<int:account_id>")
@documented("/accounts/{account_id}", "patch", "Change an account: name/reset/archive (system admin); "
            "unlock, second-factor reset, platform role (security admin)", body=AccountUpdateSchema,
            response=AccountUpdatedSchema, tag="accounts")
def update_account(account_id: int):
    account = _load_account(account_id)
    args = parse_json(AccountUpdateSchema())
    system_fields = {"display_name", "archived", "reset_password"} & args.keys()
    security_fields = {"unlock", "reset_second_factor", "platform_role"} & args.keys()
    if system_fields:
        ensure(current_user, Action.ACCOUNTS_MANAGE, object_type="account", object_id=account_id)
    if security_fields:
        ensure(current_user, Action.ACCOUNTS_SECURE, object_type="account", object_id=account_id)
    result = {}
    if "display_name" in args:
        identity_ops.rename_account(account, args["display_name"])
    if args.get("reset_password"):
        result["initial_password"] = identity_ops.reset_password(account)
    if args.get("archived"):
        identity_ops.archive_account(account)
    if args.get("unlock"):
        identity_ops.unlock(account)
    if args.get("reset_second_factor"):
        identity_ops.remove_totp(account)
    if "platform_role" in args:
        if account.id == current_user.id:
            raise InvalidInput({"platform_role": [_("不能修改自己的三员角色")]})
        tenancy_ops.set_platform_role(account, args["platform_role"])
    db.session.flush()
    return jsonify({**AccountSchema().dump(account), **result})


@api.get("/accounts/<int:account_id>/memberships")
@documented("/accounts/{account_id}/memberships", "get", "An account's memberships", response=MembershipSchema,
            many=True, tag="accounts")
def account_memberships(account_id: int):
    account = _load_account(account_id)
    rows = db.session.scalars(select(Membership).where(Membership.account_id == account.id).order_by(Membership.id))
    return jsonify(MembershipSchema(many=True).dump(rows))


@api.post("/accounts/<int:account_id>/memberships")
@documented("/accounts/{account_id}/memberships", "post", "Give an account a role at a unit (security admin)",
            body=MembershipCreateSchema, response=MembershipSchema, tag="accounts", status=201)
def add_account_membership(account_id: int):
    account = _load_account(account_id)
    ensure(current_user, Action.MEMBERSHIPS_MANAGE, object_type="account", object_id=account_id)
    args = parse_json(MembershipCreateSchema())
    unit = _load_unit(args["unit_id"])
    membership = tenancy_ops.add_membership(account, unit, args["role"])
    return jsonify(MembershipSchema().dump(membership)), 201


@api.delete("/memberships/<int:membership_id>")
@documented("/memberships/{membership_id}", "delete", "End a membership (security admin); kept in history",
            tag="accounts", status=204)
def end_membership(membership_id: int):
    ensure(current_user, Action.MEMBERSHIPS_MANAGE, object_type="membership", object_id=membership_id)
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        deny(Action.MEMBERSHIPS_MANAGE, object_type="membership", object_id=membership_id)
    tenancy_ops.end_membership(membership)
    return "", 204


# ---------------------------------------------------------------- a unit's own members (unit admin)


@api.get("/u/<int:unit_id>/members")
@documented("/u/{unit_id}/members", "get", "Members of the acting unit (its unit admin)",
            response=MembershipSchema, many=True, tag="workspace")
def unit_members(unit_id: int):
    ensure(current_user, Action.MEMBERSHIPS_MANAGE, g.unit, target=g.unit)
    rows = db.session.scalars(select(Membership).where(Membership.unit_id == g.unit.id,
                                                       Membership.ended_at.is_(None)).order_by(Membership.id))
    return jsonify(MembershipSchema(many=True).dump(rows))


@api.post("/u/<int:unit_id>/members")
@documented("/u/{unit_id}/members", "post", "Add a member to the acting unit (its unit admin)",
            body=UnitMemberCreateSchema, response=MembershipSchema, tag="workspace", status=201)
def add_unit_member(unit_id: int):
    ensure(current_user, Action.MEMBERSHIPS_MANAGE, g.unit, target=g.unit)
    args = parse_json(UnitMemberCreateSchema())
    account = db.session.scalar(select(Account).where(Account.username == args["username"]))
    if account is None:
        raise InvalidInput({"username": [_("没有这个账户")]})
    membership = tenancy_ops.add_membership(account, g.unit, args["role"])
    return jsonify(MembershipSchema().dump(membership)), 201


@api.delete("/u/<int:unit_id>/members/<int:membership_id>")
@documented("/u/{unit_id}/members/{membership_id}", "delete", "End a membership of the acting unit",
            tag="workspace", status=204)
def end_unit_member(unit_id: int, membership_id: int):
    membership = load_scoped(Membership, membership_id, unit=g.unit, account=current_user,
                             action=Action.MEMBERSHIPS_MANAGE)
    tenancy_ops.end_membership(membership)
    return "", 204
