"""HTML pages of the tenancy layer: the workspace of a unit, and the platform admin pages."""
from __future__ import annotations

import io
import secrets
from datetime import timedelta
from pathlib import Path

from flask import (Blueprint, Response, current_app, flash, g, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from core.areas import installed
from core import jobs
from core.audit import queries as audit_queries
from core import parameters, timefmt
from core.audit.jobs import verify_audit_chains
from core.clock import utcnow
from core.errors import InvalidInput
from core.extensions import db
from core.schemas import bounded_int
from core.identity import operations as identity_ops
from core.identity.models import PLATFORM_ROLE_LABELS, Account, PlatformRole
from core.identity.sessions import pending_gate
from tenants import audit_labels
from tenants import operations as tenancy_ops
from tenants import provisioning
from tenants.access import Action, can, deny, ensure, member_units, roles_at
from tenants.models import LEVEL_LABELS, ROLE_LABELS, Membership, Role, Unit, UnitLevel, upper_bound
from tenants.scoping import load_scoped
from tenants.workbench import FLAG_LABELS, panels_for

workspace_bp = Blueprint("workspace", __name__, template_folder="templates")
admin_bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@workspace_bp.app_context_processor
def _navigation():
    if not current_user.is_authenticated:
        return {}
    if pending_gate():  # a login only half done (second factor, enrolment, password change): no menu yet
        return {"login_pending": True}
    admin_links = []
    if can(current_user, Action.UNITS_MANAGE):
        admin_links += [(url_for("admin.units"), _("单位管理")), (url_for("admin.import_units"), _("批量导入"))]
    if can(current_user, Action.ACCOUNTS_VIEW):
        admin_links.append((url_for("admin.accounts"), _("账户与角色")))
    if can(current_user, Action.PARAMETERS_MANAGE) or can(current_user, Action.SECURITY_PARAMETERS):
        admin_links.append((url_for("admin.parameters_page"), _("参数设置")))
    if can(current_user, Action.DICTIONARIES_MANAGE):
        admin_links.append((url_for("admin.dictionaries"), _("数据字典")))
    if can(current_user, Action.SESSIONS_MANAGE):
        admin_links.append((url_for("admin.sessions"), _("在线用户")))
    if can(current_user, Action.AUDIT_READ):
        admin_links.append((url_for("admin.audit"), _("审计日志")))
    if can(current_user, Action.AUDIT_READ) or can(current_user, Action.ACCOUNTS_SECURE):
        admin_links.append((url_for("admin.logins"), _("登录日志")))
    if can(current_user, Action.CALENDAR_MANAGE):
        admin_links.append((url_for("calendar.admin"), _("工作日历")))
    if can(current_user, Action.JOBS_STATUS):
        admin_links.append((url_for("admin.status"), _("运行状态")))
        admin_links += [(url_for("admin.jobs_page"), _("定时任务")), (url_for("admin.monitor_page"), _("服务监控"))]
    # Higher layers' admin pages (reporting: federation with an upstream deployment).
    for endpoint, label, action in installed().admin_links:
        if can(current_user, action):
            admin_links.append((url_for(endpoint), label))
    unit = g.get("unit")
    workspace_links = [(url_for(endpoint, unit_id=unit.id), label)
                       for endpoint, label, action in installed().workspace_links
                       if unit is not None and can(current_user, action, unit)]
    return {
        "workspace_links": workspace_links,
        "nav_units": member_units(current_user),
        "current_unit": g.get("unit"),
        "admin_links": admin_links,
        "ROLE_LABELS": ROLE_LABELS,
        "LEVEL_LABELS": LEVEL_LABELS,
        "PLATFORM_ROLE_LABELS": PLATFORM_ROLE_LABELS,
    }


# ---------------------------------------------------------------- workspace


@workspace_bp.get("/")
@login_required
def home():
    if current_user.is_platform_admin:
        return redirect(url_for("admin.home"))
    units = member_units(current_user)
    if not units:
        return render_template("tenants/no_unit.html")
    last = session.get("last_unit_id")
    target = next((u for u in units if u.id == last), units[0])
    return redirect(url_for("workspace.unit_home", unit_id=target.id))


@workspace_bp.get("/u/<int:unit_id>/")
@login_required
def unit_home(unit_id: int):
    unit = g.unit
    roles = roles_at(current_user, unit)  # shown on the page: "your roles here"
    subtree = None
    if can(current_user, Action.ROLLUPS_BREAKDOWN, unit, target=unit):  # those who read the unit's subtree
        counts = dict(db.session.execute(
            select(Unit.level, func.count(Unit.id))
            .where(Unit.path > unit.path, Unit.path < upper_bound(unit.path), Unit.archived_at.is_(None))
            .group_by(Unit.level)).all())
        children = db.session.scalars(
            select(Unit).where(Unit.parent_id == unit.id, Unit.archived_at.is_(None)).order_by(Unit.code)).all()
        subtree = {"counts": [(LEVEL_LABELS[lvl], counts.get(lvl.value, 0)) for lvl in UnitLevel
                              if counts.get(lvl.value)], "children": children}
    chain = db.session.scalars(select(Unit).where(Unit.id.in_(unit.ancestor_ids)).order_by(Unit.path)).all()
    # The workbench (工作台): the panels the areas declare, for the account's roles here (tenants.workbench).
    return render_template("tenants/unit_home.html", unit=unit, roles=sorted(roles), subtree=subtree, chain=chain,
                           can_manage_members=can(current_user, Action.MEMBERSHIPS_MANAGE, unit, target=unit),
                           panels=panels_for(unit, current_user), FLAG_LABELS=FLAG_LABELS)


@workspace_bp.route("/u/<int:unit_id>/members", methods=["GET", "POST"])
@login_required
def unit_members(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.MEMBERSHIPS_MANAGE, unit, target=unit)
    errors: list[str] = []
    if request.method == "POST":
        account = db.session.scalar(select(Account).where(Account.username == request.form.get("username", "").strip()))
        try:
            if account is None:
                raise InvalidInput({"username": [_("没有这个账户，请先请系统管理员建立账户")]})
            tenancy_ops.add_membership(account, unit, request.form.get("role", ""))
        except InvalidInput as exc:
            errors = exc.messages
        else:
            flash(_("已添加 %(name)s", name=account.display_name), "success")
            return redirect(url_for("workspace.unit_members", unit_id=unit.id))
    members = db.session.scalars(
        select(Membership).where(Membership.unit_id == unit.id, Membership.ended_at.is_(None))
        .order_by(Membership.role, Membership.id)).all()
    return render_template("tenants/unit_members.html", unit=unit, members=members, errors=errors,
                           roles=list(Role)), 422 if errors else 200


@workspace_bp.post("/u/<int:unit_id>/members/<int:membership_id>/end")
@login_required
def end_unit_member(unit_id: int, membership_id: int):
    membership = load_scoped(Membership, membership_id, unit=g.unit, account=current_user,
                             action=Action.MEMBERSHIPS_MANAGE)
    tenancy_ops.end_membership(membership, expected_version=request.form.get("version", type=int))
    flash(_("已移除该成员的角色"), "success")
    return redirect(url_for("workspace.unit_members", unit_id=g.unit.id))


# ---------------------------------------------------------------- platform administration


@admin_bp.get("/")
@login_required
def home():
    ensure(current_user, Action.UNIT_VIEW)
    return render_template("tenants/admin_home.html")


def _load_unit_for_admin(unit_id: int, action: Action = Action.UNITS_MANAGE) -> Unit:
    ensure(current_user, action, object_type="unit", object_id=unit_id)
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        deny(action, object_type="unit", object_id=unit_id)
    return unit


@admin_bp.get("/units")
@login_required
def units():
    ensure(current_user, Action.UNITS_MANAGE)
    q = request.args.get("q", "").strip()
    show_archived = request.args.get("archived") == "1"
    stmt = select(Unit).order_by(Unit.path)
    if not show_archived:
        stmt = stmt.where(Unit.archived_at.is_(None))
    if q:
        # Ten 城关镇 look alike: each match shows the units above it, down to its parent.
        matches = db.session.scalars(stmt.where(or_(Unit.name.contains(q), Unit.code.startswith(q))).limit(200)).all()
        names = dict(db.session.execute(select(Unit.id, Unit.name).where(
            Unit.id.in_({a for u in matches for a in u.ancestor_ids}))).all())
        chains = {u.id: [names[a] for a in u.ancestor_ids if a in names] for u in matches}
        return render_template("tenants/admin_units.html", tree=None, matches=matches, chains=chains, q=q,
                               show_archived=show_archived)
    rows = db.session.scalars(stmt).all()  # in tree order: each unit right under its parent, indented by depth
    return render_template("tenants/admin_units.html", tree=rows, matches=None, q=q, show_archived=show_archived)


def _parent_choices():
    return db.session.scalars(
        select(Unit).where(Unit.archived_at.is_(None), Unit.level.in_(["province", "city", "county"]))
        .order_by(Unit.path)).all()


@admin_bp.route("/units/new", methods=["GET", "POST"])
@login_required
def new_unit():
    ensure(current_user, Action.UNITS_MANAGE)
    errors: dict = {}
    form = request.form if request.method == "POST" else {"parent_id": request.args.get("parent_id", "")}
    if request.method == "POST":
        parent_id = request.form.get("parent_id", type=int)
        parent = _load_unit_for_admin(parent_id) if parent_id else None
        try:
            unit = tenancy_ops.create_unit(form.get("name", ""), form.get("level", ""), form.get("code", ""), parent)
        except InvalidInput as exc:
            errors = exc.errors
        else:
            flash(_("已建立单位：%(name)s", name=unit.name), "success")
            return redirect(url_for("admin.edit_unit", unit_id=unit.id))
    return render_template("tenants/admin_unit_form.html", unit=None, form=form, errors=errors,
                           parents=_parent_choices(), levels=list(UnitLevel)), 422 if errors else 200


@admin_bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@login_required
def edit_unit(unit_id: int):
    unit = _load_unit_for_admin(unit_id)
    errors: dict = {}
    if request.method == "POST":
        action = request.form.get("action")
        version = request.form.get("version", type=int)
        try:
            if action == "rename":
                tenancy_ops.rename_unit(unit, request.form.get("name", ""), expected_version=version)
                flash(_("已更名"), "success")
            elif action == "move":
                parent = _load_unit_for_admin(request.form.get("parent_id", type=int) or 0)
                moved = tenancy_ops.move_unit(unit, parent, expected_version=version)
                flash(_("已移动 %(n)s 个单位", n=moved), "success")
            elif action == "archive":
                count = tenancy_ops.archive_unit(unit, expected_version=version)
                flash(_("已撤销 %(n)s 个单位（记录保留，成员失去访问）", n=count), "success")
            elif action == "restore":
                tenancy_ops.restore_unit(unit, expected_version=version)
                flash(_("已恢复"), "success")
            else:
                raise InvalidInput({"action": [_("未知操作")]})
            db.session.flush()
        except InvalidInput as exc:
            errors = exc.errors
        else:
            return redirect(url_for("admin.edit_unit", unit_id=unit.id))
    children = db.session.scalars(select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.code)).all()
    members = db.session.scalar(select(func.count(Membership.id)).where(
        Membership.unit_id == unit.id, Membership.ended_at.is_(None)))
    chain = db.session.scalars(select(Unit).where(Unit.id.in_(unit.ancestor_ids)).order_by(Unit.path)).all()
    parents = [p for p in _parent_choices() if not unit.contains(p)]
    return render_template("tenants/admin_unit_edit.html", unit=unit, children=children, members=members,
                           chain=chain, parents=parents, errors=errors), 422 if errors else 200


def _import_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@admin_bp.route("/units/import", methods=["GET", "POST"])
@login_required
def import_units():
    """Upload → dry run (every row's result) → confirm → all-or-nothing commit."""
    ensure(current_user, Action.UNITS_MANAGE)
    if request.method == "GET":
        return render_template("tenants/admin_import.html", check=None, errors=[])
    try:
        if request.form.get("confirm") and request.form.get("ticket"):
            ticket = request.form["ticket"]
            staged = session.get("import_tickets", {}).get(ticket)
            path = _import_dir() / f"{ticket}.upload"
            if not staged or not path.exists():
                raise InvalidInput({"file": [_("预检结果已失效，请重新上传")]})
            check = provisioning.check_sheet(provisioning.read_sheet(staged, path.read_bytes()))
            if not check.ok:
                return render_template("tenants/admin_import.html", check=check, ticket=None, errors=[
                    _("数据已变化，重新预检发现错误，未导入任何单位")]), 422
            created = tenancy_ops.import_units(check.new_units())
            path.unlink(missing_ok=True)
            session.get("import_tickets", {}).pop(ticket, None)
            session.modified = True
            flash(_("已导入 %(n)s 个单位", n=len(created)), "success")
            return redirect(url_for("admin.units"))
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise InvalidInput({"file": [_("请选择要上传的文件")]})
        data = upload.read()
        check = provisioning.check_sheet(provisioning.read_sheet(upload.filename, data))
    except InvalidInput as exc:
        return render_template("tenants/admin_import.html", check=None, errors=exc.messages), 422
    ticket = None
    if check.ok:
        ticket = secrets.token_urlsafe(16)
        (_import_dir() / f"{ticket}.upload").write_bytes(data)
        session.setdefault("import_tickets", {})[ticket] = upload.filename
        session.modified = True
    return render_template("tenants/admin_import.html", check=check, ticket=ticket, errors=[])


@admin_bp.route("/accounts", methods=["GET", "POST"])
@login_required
def accounts():
    ensure(current_user, Action.ACCOUNTS_VIEW)
    errors: dict = {}
    created = None
    if request.method == "POST":
        ensure(current_user, Action.ACCOUNTS_MANAGE)
        try:
            account, initial = identity_ops.create_account(request.form.get("username", ""),
                                                           request.form.get("display_name", ""))
        except InvalidInput as exc:
            errors = exc.errors
        else:
            created = (account, initial)
    q = request.args.get("q", "").strip()
    stmt = select(Account).order_by(Account.username)
    if q:
        stmt = stmt.where(or_(Account.username.contains(q), Account.display_name.contains(q)))
    rows = db.session.scalars(stmt.limit(500)).all()
    return render_template("tenants/admin_accounts.html", accounts=rows, q=q, errors=errors, created=created,
                           can_create=can(current_user, Action.ACCOUNTS_MANAGE), now=utcnow(),
                           form=request.form), 422 if errors else 200


@admin_bp.route("/accounts/<int:account_id>", methods=["GET", "POST"])
@login_required
def edit_account(account_id: int):
    ensure(current_user, Action.ACCOUNTS_VIEW, object_type="account", object_id=account_id)
    account = db.session.get(Account, account_id)
    if account is None:
        deny(Action.ACCOUNTS_VIEW, object_type="account", object_id=account_id)
    errors: list[str] = []
    new_password = None
    if request.method == "POST":
        action = request.form.get("action", "")
        system_actions = {"rename", "reset_password", "archive"}
        security_actions = {"unlock", "reset_totp", "platform_role"}
        membership_actions = {"add_membership", "end_membership"}
        if action in system_actions:
            ensure(current_user, Action.ACCOUNTS_MANAGE, object_type="account", object_id=account_id)
        elif action in security_actions:
            ensure(current_user, Action.ACCOUNTS_SECURE, object_type="account", object_id=account_id)
        elif action in membership_actions:
            ensure(current_user, Action.MEMBERSHIPS_MANAGE, object_type="account", object_id=account_id)
        try:
            if action == "rename":
                identity_ops.rename_account(account, request.form.get("display_name", ""))
            elif action == "reset_password":
                new_password = identity_ops.reset_password(account)
            elif action == "archive":
                identity_ops.archive_account(account)
            elif action == "unlock":
                identity_ops.unlock(account)
            elif action == "reset_totp":
                identity_ops.remove_totp(account)
            elif action == "platform_role":
                if account.id == current_user.id:
                    raise InvalidInput({"platform_role": [_("不能修改自己的三员角色")]})
                tenancy_ops.set_platform_role(account, request.form.get("platform_role") or None)
            elif action == "add_membership":
                unit = db.session.scalar(select(Unit).where(Unit.code == request.form.get("unit_code", "").strip()))
                if unit is None:
                    raise InvalidInput({"unit_code": [_("没有这个区划代码的单位")]})
                tenancy_ops.add_membership(account, unit, request.form.get("role", ""))
            elif action == "end_membership":
                membership = db.session.get(Membership, request.form.get("membership_id", type=int) or 0)
                if membership is None or membership.account_id != account.id:
                    raise InvalidInput({"membership_id": [_("该角色不存在")]})
                tenancy_ops.end_membership(membership)
            else:
                raise InvalidInput({"action": [_("未知操作")]})
            db.session.flush()
        except InvalidInput as exc:
            errors = exc.messages
        else:
            if new_password is None:
                flash(_("已保存"), "success")
                return redirect(url_for("admin.edit_account", account_id=account.id))
    memberships = db.session.scalars(
        select(Membership).where(Membership.account_id == account.id).order_by(Membership.ended_at.is_not(None),
                                                                                Membership.id)).all()
    return render_template(
        "tenants/admin_account_edit.html", account=account, memberships=memberships, errors=errors,
        new_password=new_password, now=utcnow(), roles=list(Role), platform_roles=list(PlatformRole),
        can_manage=can(current_user, Action.ACCOUNTS_MANAGE), can_secure=can(current_user, Action.ACCOUNTS_SECURE),
        can_memberships=can(current_user, Action.MEMBERSHIPS_MANAGE),
    ), 422 if errors else 200


@admin_bp.get("/audit")
@login_required
def audit():
    ensure(current_user, Action.AUDIT_READ)
    flt = audit_queries.AuditFilter.from_args(request.args)
    flt.prefixes = audit_labels.module_prefixes(request.args.get("module", ""))
    flt.address = (request.args.get("address") or "").strip()[:64]
    unit_asked = request.args.get("unit", "").strip()
    if unit_asked:  # by code, or by name (ten 城关镇 are ten units: all of them)
        flt.unit_ids = tuple(db.session.scalars(select(Unit.id).where(
            or_(Unit.code == unit_asked, Unit.name == unit_asked)))) or (0,)
    if request.args.get("format") == "xlsx":
        data = audit_queries.export_xlsx(flt, audit_labels.Describer)
        return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": "attachment; filename=audit.xlsx"})
    number = max(request.args.get("page", 1, type=bounded_int), 1)
    events, has_more = audit_queries.page(flt, number)
    def page_url(n: int) -> str:
        return url_for("admin.audit", **{**request.args.to_dict(), "page": n})

    return render_template("tenants/admin_audit.html", events=events, flt=flt, page=number, has_more=has_more,
                           args=request.args, page_url=page_url, describe=audit_labels.Describer(events),
                           action_label=audit_labels.action_label, actions=audit_labels.action_choices(),
                           outcomes=audit_labels.OUTCOME_LABELS, modules=audit_labels.MODULE_LABELS,
                           module_of=audit_labels.module_of)


# ---------------------------------------------------------------- 在线用户 (security admin)

SESSIONS_PAGE = 100
FORCE_REASON_LIMIT = 200


def _live_sessions(args) -> list:
    """The live login sessions (not ended, not past their idle or absolute timeout), newest activity first,
    filtered by account (username or name), address and the unit last acted at."""
    from core.identity.models import LoginSession

    now = utcnow()
    stmt = (select(LoginSession, Account).join(Account, Account.id == LoginSession.account_id)
            .where(LoginSession.ended_at.is_(None),
                   LoginSession.last_seen_at > now - timedelta(minutes=parameters.get("SESSION_IDLE_MINUTES")),
                   LoginSession.created_at > now - timedelta(hours=parameters.get("SESSION_ABSOLUTE_HOURS")))
            .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc()))
    who = (args.get("account") or "").strip()[:64]
    if who:
        stmt = stmt.where(or_(Account.username.contains(who, autoescape=True),
                              Account.display_name.contains(who, autoescape=True)))
    address = (args.get("address") or "").strip()[:64]
    if address:
        stmt = stmt.where(LoginSession.address.startswith(address, autoescape=True))
    unit = (args.get("unit") or "").strip()[:64]
    if unit:
        stmt = stmt.where(LoginSession.last_unit_id.in_(select(Unit.id).where(or_(Unit.code == unit,
                                                                                   Unit.name == unit))))
    rows = db.session.execute(stmt.limit(SESSIONS_PAGE + 1)).all()
    unit_ids = {r[0].last_unit_id for r in rows if r[0].last_unit_id}
    unit_names = {row.id: row.name for row in db.session.execute(
        select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids)))} if unit_ids else {}
    return [(login_session, account, unit_names.get(login_session.last_unit_id, "")) for login_session, account in rows]


@admin_bp.route("/sessions", methods=["GET", "POST"])
@login_required
def sessions():
    """在线用户: who is logged in, where from, acting where; ending one session or all of an account's."""
    from core.identity.models import LoginSession

    ensure(current_user, Action.SESSIONS_MANAGE)
    errors: dict = {}
    if request.method == "POST":
        reason = (request.form.get("reason") or "").strip()
        chosen: list = []
        session_id = request.form.get("session_id", type=int)
        account_id = request.form.get("account_id", type=int)
        if session_id:
            chosen = [s for s in [db.session.get(LoginSession, session_id)] if s is not None and s.ended_at is None]
        elif account_id:
            chosen = list(db.session.scalars(select(LoginSession).where(LoginSession.account_id == account_id,
                                                                         LoginSession.ended_at.is_(None))))
        if not chosen:
            errors["session_id"] = [_("该会话已结束或不存在，请刷新页面")]
        elif any(s.id == getattr(current_user.authenticated_by, "id", None) and isinstance(
                current_user.authenticated_by, LoginSession) for s in chosen):
            errors["session_id"] = [_("不能强制退出自己当前的会话，请使用“退出登录”")]
        if not reason:
            errors["reason"] = [_("请填写强制退出的理由")]
        elif len(reason) > FORCE_REASON_LIMIT:
            errors["reason"] = [_("理由不能超过 %(n)s 字", n=FORCE_REASON_LIMIT)]
        if not errors:
            ended = identity_ops.force_logout(chosen, reason, tokens=request.form.get("tokens") == "1")
            flash(_("已强制退出 %(n)s 个会话", n=ended), "success")
            return redirect(url_for("admin.sessions", **request.args.to_dict()))
    rows = _live_sessions(request.args)
    return render_template("tenants/admin_sessions.html", rows=rows[:SESSIONS_PAGE], more=len(rows) > SESSIONS_PAGE,
                           browser_label=audit_labels.browser_label,
                           args=request.args, errors=errors, form=request.form,
                           current_session_id=getattr(current_user.authenticated_by, "id", None)), (422 if errors else 200)


# ---------------------------------------------------------------- 参数设置 (system admin; security admin)


def _duty() -> str:
    if can(current_user, Action.PARAMETERS_MANAGE):
        return parameters.SYSTEM
    ensure(current_user, Action.SECURITY_PARAMETERS)
    return parameters.SECURITY


@admin_bp.route("/parameters", methods=["GET", "POST"])
@login_required
def parameters_page():
    """参数设置: each admin sets the parameters of their duty; a bad value is refused with its reason, nothing saved;
    a value takes effect without a restart."""
    duty = _duty()
    errors: dict = {}
    if request.method == "POST":
        key = request.form.get("key", "")
        try:
            value = parameters.update(key, request.form.get("value"), duty=duty, account_id=current_user.id)
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            label = parameters.PARAMETERS[key].label
            flash(_("已保存：%(label)s 为 %(value)s", label=label, value=value), "success")
            return redirect(url_for("admin.parameters_page"))
    return render_template("tenants/admin_parameters.html", rows=parameters.listing(duty), errors=errors,
                           form=request.form, sources=parameters.SOURCE_LABELS,
                           duty_label=_("安全参数") if duty == parameters.SECURITY else _("业务参数")), \
        (422 if errors else 200)


# ---------------------------------------------------------------- 登录日志 (audit admin; security admin for lockouts)


def _login_row(event) -> dict:
    detail = audit_labels.detail_dict(event)
    reason = detail.get("reason")
    if event.action == "account.lock":
        why = _("连续失败达到上限，账户锁定")
    elif reason:
        why = audit_labels.value_label(reason)
    elif detail.get("password_expired"):
        why = _("密码已过期，须先修改密码")
    elif detail.get("second_factor_pending"):
        why = _("密码正确，待验证动态口令")
    else:
        why = ""
    return {"event": event, "account": event.account_name or detail.get("username") or _("未知"),
            "step": audit_labels.action_label(event.action), "ok": event.outcome == "ok", "reason": why,
            "address": event.address or _("未知"), "browser": audit_labels.browser_label(detail.get("browser"))}


@admin_bp.get("/logins")
@login_required
def logins():
    """登录日志: every login attempt with its result and reason, address and browser (the audit admin, with filters
    and the xlsx); the security admin sees the failed attempts and the locked accounts, and lifts a lock here."""
    full = can(current_user, Action.AUDIT_READ)
    if not full:
        ensure(current_user, Action.ACCOUNTS_SECURE)
    flt = audit_queries.login_filter(request.args)
    if not full:
        flt.outcome = "denied"
    if full and request.args.get("format") == "xlsx":
        from core.documents import text_workbook

        workbook = text_workbook()
        sheet = workbook.create_sheet(_("登录日志"))
        sheet.append([_("时间"), _("账户"), _("环节"), _("结果"), _("原因"), _("地址"), _("浏览器")])
        for event in db.session.scalars(flt.statement().limit(100_000)):
            row = _login_row(event)
            sheet.append([timefmt.local_time(event.occurred_at, "%Y-%m-%d %H:%M:%S"), row["account"], row["step"],
                          _("成功") if row["ok"] else _("失败"), row["reason"], row["address"], row["browser"]])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return Response(buffer.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": "attachment; filename=logins.xlsx"})
    number = max(request.args.get("page", 1, type=bounded_int), 1)
    events, has_more = audit_queries.page(flt, number)
    locked = []
    if can(current_user, Action.ACCOUNTS_SECURE):
        locked = list(db.session.scalars(select(Account).where(Account.locked_until > utcnow())
                                         .order_by(Account.locked_until.desc()).limit(200)))

    def page_url(n: int) -> str:
        return url_for("admin.logins", **{**request.args.to_dict(), "page": n})

    return render_template("tenants/admin_logins.html", rows=[_login_row(e) for e in events], full=full,
                           args=request.args, page=number, has_more=has_more, page_url=page_url, locked=locked,
                           may_unlock=can(current_user, Action.ACCOUNTS_SECURE))


@admin_bp.post("/logins/unlock/<int:account_id>")
@login_required
def unlock_from_logins(account_id: int):
    ensure(current_user, Action.ACCOUNTS_SECURE, object_type="account", object_id=account_id)
    account = db.session.get(Account, account_id)
    if account is None:
        deny(Action.ACCOUNTS_SECURE, object_type="account", object_id=account_id)
    identity_ops.unlock(account)
    flash(_("已解除锁定：%(n)s", n=account.display_name), "success")
    return redirect(url_for("admin.logins"))


@admin_bp.post("/audit/verify")
@login_required
def verify_audit():
    ensure(current_user, Action.AUDIT_READ)
    verify_audit_chains.enqueue()
    flash(_("已开始校验审计链，结果将作为一条“校验审计链”记录出现在日志中"), "success")
    return redirect(url_for("admin.audit", action="audit.verify"))


@admin_bp.get("/status")
@login_required
def status():
    ensure(current_user, Action.JOBS_STATUS)
    try:
        info = jobs.status()
    except Exception as exc:  # Redis down: the page must still say so
        info = {"mode": "error", "error": str(exc), "queues": [], "workers": [], "failed": [], "periodic": []}
    # Higher layers add their own panels (reporting: the nightly recount of the figures).
    panels = [panel() for panel in installed().status_panels]
    return render_template("tenants/admin_status.html", info=info, panels=panels)


# ---------------------------------------------------------------- 定时任务 (system admin)


@admin_bp.route("/jobs", methods=["GET", "POST"])
@login_required
def jobs_page():
    """定时任务: each periodic job's schedule, next and last run; run now, pause, resume (audited); the failed runs
    with their error and a retry; the history of runs. No run shows a record: a job's name and times only."""
    from core import job_runs

    ensure(current_user, Action.JOBS_STATUS)
    errors: dict = {}
    status_code = 200
    if request.method == "POST":
        action = request.form.get("action", "")
        name = request.form.get("job", "")
        try:
            if action == "run":
                job_runs.request_run(name, account=current_user)
                message = _("已提交执行：%(job)s（结果见执行记录）", job=job_runs.job_label(name))
            elif action in ("pause", "resume"):
                job_runs.set_paused(name, action == "pause", account=current_user)
                message = (_("已暂停：%(job)s（定时不再执行，仍可手动执行）", job=job_runs.job_label(name))
                           if action == "pause" else _("已恢复：%(job)s", job=job_runs.job_label(name)))
            elif action == "retry":
                run = job_runs.retry(request.form.get("run_id", type=int) or 0, account=current_user)
                message = _("已提交重试：%(job)s（结果见执行记录）", job=job_runs.job_label(run.job))
            else:
                raise InvalidInput({"action": [_("未知操作")]})
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
            status_code = 409 if isinstance(exc, job_runs.JobBusy) else 422
        else:
            flash(message, "success")
            return redirect(url_for("admin.jobs_page", **request.args.to_dict()))
    declared = job_runs.periodic_by_name()
    chosen = request.args.get("job", "")
    chosen = chosen if chosen in declared else ""
    outcome = request.args.get("outcome", "")
    outcome = outcome if outcome in job_runs.OUTCOME_LABELS else ""
    return render_template("tenants/admin_jobs.html", rows=job_runs.overview(), failed=job_runs.failed_runs(),
                           history=job_runs.history(chosen or None, outcome or None), chosen=chosen, outcome=outcome,
                           choices=sorted(((n, job_runs.job_label(n)) for n in declared), key=lambda c: c[1]),
                           errors=errors, triggers=job_runs.TRIGGER_LABELS, outcomes=job_runs.OUTCOME_LABELS,
                           reasons=job_runs.REASON_LABELS, keep_days=job_runs.keep_days(),
                           inline=jobs.inline_mode()), status_code


# ---------------------------------------------------------------- 服务监控 (system admin; Prometheus for the data centre)


@admin_bp.get("/monitor")
@login_required
def monitor_page():
    """服务监控: the host, the database, Redis and the queues; core/static/monitor.js refreshes the figures."""
    from core import monitor

    ensure(current_user, Action.JOBS_STATUS)
    snap = monitor.snapshot()
    return render_template("tenants/admin_monitor.html", figures=monitor.display(snap), snap=snap,
                           queue_labels=monitor.QUEUE_LABELS, queues=jobs.QUEUES)


@admin_bp.get("/monitor.json")
@login_required
def monitor_json():
    from core import monitor

    ensure(current_user, Action.JOBS_STATUS)
    snap = monitor.snapshot()
    return {"figures": monitor.display(snap), "at": timefmt.local_time(snap["at"], "%Y-%m-%d %H:%M:%S")}


@workspace_bp.get("/metrics")
def metrics():
    """The monitor's figures in Prometheus' text format, for the data centre: a bearer token
    (QINGLIAN_METRICS_TOKEN) or an allowed network (QINGLIAN_METRICS_NETWORKS); anyone else gets 404."""
    from flask import abort
    from prometheus_client import CONTENT_TYPE_LATEST

    from core import monitor

    if not monitor.metrics_allowed(request):
        abort(404)
    return Response(monitor.prometheus_text(monitor.snapshot()), headers={
        "Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})
