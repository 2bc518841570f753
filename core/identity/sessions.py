"""Who is asking: the login-session cookie or a bearer token, plus the gates every login passes."""
from __future__ import annotations

from flask import abort, g, redirect, request, session, url_for
from flask_login import current_user, logout_user

from core.clock import utcnow
from core.extensions import db, login_manager
from core.identity import operations as identity_ops
from core.identity.models import Account, ApiToken, LoginSession
from core.models import with_loaded

# Endpoints reachable whatever gate a login still has to pass; beyond them only the pending gate's own page
# (a session past the password alone may not change the password: that would lock the real owner out).
_ALWAYS_OPEN = {"auth.logout", "static", "health.healthz", "auth.login"}


def _presents_bearer(req) -> bool:
    return req.headers.get("Authorization", "").startswith("Bearer ")


@login_manager.user_loader
def _load_from_session(session_key: str):
    # A request that presents a bearer header is judged by the header alone: a valid session cookie beside a
    # bogus token must not pass as "bearer-authenticated" (which skips the login gates and the API's CSRF check).
    if _presents_bearer(request):
        return None
    # The account in the same statement: every page asks for both.
    row = db.session.execute(db.select(LoginSession, Account).join(Account, Account.id == LoginSession.account_id)
                             .where(LoginSession.session_key == session_key)).first()
    login_session = row and with_loaded(row[0], account=row[1])
    if login_session is None:
        return None
    now = utcnow()
    reason = identity_ops.session_expiry_reason(login_session, now)
    account = login_session.account
    if reason or not account.is_active:
        identity_ops.end_session(login_session, reason or "account_archived")
        return None
    identity_ops.touch_session(login_session, now)
    account.authenticated_by = login_session
    return account


@login_manager.request_loader
def _load_from_bearer(req):
    if not _presents_bearer(req):
        return None
    token = identity_ops.find_token(req.headers["Authorization"][7:].strip())
    if token is None:
        g.audit_denial = dict(action="api_token.refused", unit_id=None, object_type=None, object_id=None)
        return None
    account = token.account
    account.authenticated_by = token
    return account


def bearer_authenticated() -> bool:
    """True only when this request's account was loaded from a valid bearer token (not from a header's prefix)."""
    return current_user.is_authenticated and isinstance(current_user.authenticated_by, ApiToken)


def login_gate():
    """Hold a half-finished login at its gate: second factor, enrolment, password change — on every path in."""
    if not current_user.is_authenticated or request.endpoint in _ALWAYS_OPEN:
        return None
    gate = pending_gate()
    if gate is None or request.endpoint == gate:
        return None
    g.audit_denial = dict(action="login.gate", unit_id=None, object_type="account", object_id=current_user.id)
    return _gate(gate)


def pending_gate() -> str | None:
    """The gate the signed-in account still has to pass (its endpoint), or None once the login is complete.
    Until then the pages show no menu: nothing the account could open before passing it."""
    login_session = current_user.authenticated_by
    if isinstance(login_session, LoginSession) and not login_session.second_factor_passed:
        return "auth.second_factor"
    if current_user.requires_totp and not current_user.has_totp:
        return "auth.enrol_totp"
    if identity_ops.password_expired(current_user):
        return "auth.change_password"
    return None


def _gate(endpoint: str):
    if request.path.startswith("/api/") or bearer_authenticated():
        abort(401)
    return redirect(url_for(endpoint))


def end_current_login(reason: str = "logout") -> None:
    login_session = getattr(current_user, "authenticated_by", None)
    if isinstance(login_session, LoginSession):
        identity_ops.end_session(login_session, reason)
    logout_user()
    session.clear()
