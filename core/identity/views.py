"""Login, second factor, enrolment, password change, logout."""
from __future__ import annotations

from urllib.parse import urlsplit

import segno
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from markupsafe import Markup

from core.errors import InvalidInput
from core.extensions import limiter, login_manager
from core.identity import operations as identity_ops
from core.identity.models import LoginSession
from core.identity.sessions import end_current_login

bp = Blueprint("auth", __name__)


@login_manager.unauthorized_handler
def _unauthorized():
    if request.path.startswith("/api/"):
        abort(401)
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=None if target == "/" else target))


def _safe_next(target: str | None) -> str:
    if not target:
        return "/"
    parts = urlsplit(target)
    # Only same-site paths: never an absolute URL or a scheme-relative '//host'.
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: __import__("flask").current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect("/")
    error = None
    if request.method == "POST":
        try:
            account = identity_ops.authenticate(request.form.get("username", ""), request.form.get("password", ""))
        except identity_ops.LoginRefused as refused:
            error = refused.message
        else:
            # A new login session (new id) and a cleared cookie: nothing from before the login survives.
            next_url = _safe_next(request.args.get("next"))
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_session = identity_ops.start_session(account)
            account.authenticated_by = login_session
            login_user(account)
            if not login_session.second_factor_passed:
                session["after_login"] = next_url
                return redirect(url_for("auth.second_factor"))
            return redirect(next_url)
    return render_template("auth/login.html", error=error, username=request.form.get("username", ""))


@bp.route("/login/second-factor", methods=["GET", "POST"])
@login_required
def second_factor():
    login_session = current_user.authenticated_by
    if not isinstance(login_session, LoginSession) or login_session.second_factor_passed:
        return redirect("/")
    errors = []
    if request.method == "POST":
        try:
            identity_ops.check_second_factor(current_user, request.form.get("code", ""), login_session)
            return redirect(_safe_next(session.pop("after_login", None)))
        except identity_ops.LoginRefused as refused:
            end_current_login("second_factor_failed")
            flash(refused.message, "error")
            return redirect(url_for("auth.login"))
        except InvalidInput as exc:
            errors = exc.messages
    return render_template("auth/second_factor.html", errors=errors)


@bp.route("/account/second-factor", methods=["GET", "POST"])
@login_required
def enrol_totp():
    errors = []
    if request.method == "POST":
        secret = session.get("totp_enrolment")
        if not secret:
            return redirect(url_for("auth.enrol_totp"))
        try:
            login_session = current_user.authenticated_by
            identity_ops.enrol_totp(current_user, secret, request.form.get("code", ""),
                                    login_session if isinstance(login_session, LoginSession) else None)
        except InvalidInput as exc:
            errors = exc.messages
        else:
            session.pop("totp_enrolment", None)
            flash(_("已启用动态口令"), "success")
            return redirect("/")
    if current_user.has_totp and request.method == "GET":
        return render_template("auth/totp_enrolled.html")
    secret = session.get("totp_enrolment") or identity_ops.new_totp_secret()
    session["totp_enrolment"] = secret
    uri = identity_ops.totp_uri(current_user, secret)
    qr_svg = Markup(segno.make(uri, error="m").svg_inline(scale=4))
    status = 422 if errors else 200
    return render_template("auth/totp_enrol.html", secret=secret, uri=uri, qr_svg=qr_svg, errors=errors), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    errors: dict = {}
    if request.method == "POST":
        try:
            if request.form.get("new_password") != request.form.get("confirm_password"):
                raise InvalidInput({"confirm_password": [_("两次输入的新密码不一致")]})
            identity_ops.change_password(current_user, request.form.get("current_password", ""),
                                         request.form.get("new_password", ""))
        except InvalidInput as exc:
            errors = exc.errors
        else:
            flash(_("密码已修改"), "success")
            return redirect("/")
    expired = identity_ops.password_expired(current_user)
    return (render_template("auth/change_password.html", errors=errors, expired=expired),
            422 if errors else 200)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        end_current_login("logout")
    flash(_("您已安全退出"), "success")
    return redirect(url_for("auth.login"))
