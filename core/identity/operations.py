"""Every write to accounts, login sessions and tokens. Each is audited."""
from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from flask import has_request_context, request
from flask_babel import gettext as _

from core.audit.operations import record as audit
from core.clock import as_utc, utcnow
from core.crypto import decrypt_field, encrypt_field, sm3_hex
from core.errors import InvalidInput
from core.extensions import db
from core.identity import passwords
from core.identity.models import Account, ApiToken, LoginSession
from core.models import with_loaded
from core import parameters

# Hash used when the username does not exist, so a miss costs as much as a hit.
_DUMMY_HASH: dict[str, str] = {}


def BAD_CREDENTIALS() -> str:  # noqa: N802 — one message for unknown, archived, locked and wrong: no account shows
    return _("用户名或密码错误；连续失败多次的账户将暂时锁定，可稍后再试或联系安全管理员")


class LoginRefused(Exception):
    """Authentication failed; ``message`` is safe to show (it never says which part was wrong)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- accounts


def create_account(
    username: str, display_name: str, password: str | None = None, *, platform_role: str | None = None
) -> tuple[Account, str]:
    """Create an account; returns it with its initial password (generated when none is given)."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise InvalidInput({"username": [_("用户名不能为空，不能含空格，最长 64 个字符")]})
    if db.session.scalar(db.select(Account.id).where(db.func.lower(Account.username) == username.lower())):
        raise InvalidInput({"username": [_("用户名已被使用")]})
    if not display_name.strip():
        raise InvalidInput({"display_name": [_("请填写姓名")]})
    initial = password or passwords.generate_initial_password()
    errors = passwords.policy_errors(initial, username)
    if errors:
        raise InvalidInput({"password": errors})
    account = Account(
        username=username,
        display_name=display_name.strip(),
        password_hash=passwords.hash_password(initial),
        password_changed_at=utcnow(),
        must_change_password=password is None,
        platform_role=platform_role,
    )
    db.session.add(account)
    db.session.flush()
    audit("account.create", object_type="account", object_id=account.id,
          detail={"username": username, "platform_role": platform_role})
    return account, initial


def reset_password(account: Account) -> str:
    """Give the account a new temporary password that must be changed at next login."""
    initial = passwords.generate_initial_password()
    account.password_hash = passwords.hash_password(initial)
    account.password_changed_at = utcnow()
    account.must_change_password = True
    end_all_sessions(account, "password_reset")
    revoke_all_tokens(account)
    audit("account.reset_password", object_type="account", object_id=account.id)
    return initial


def change_password(account: Account, current_password: str, new_password: str) -> None:
    if not passwords.verify_password(account.password_hash, current_password):
        raise InvalidInput({"current_password": [_("当前密码不正确")]})
    errors = passwords.policy_errors(new_password, account.username)
    if new_password == current_password:
        errors.append(_("新密码不能与当前密码相同"))
    if errors:
        raise InvalidInput({"new_password": errors})
    account.password_hash = passwords.hash_password(new_password)
    account.password_changed_at = utcnow()
    account.must_change_password = False
    # Whoever else holds the old password's sessions or tokens is out: only the session that changed it stays.
    end_all_sessions(account, "password_changed", keep=getattr(account, "authenticated_by", None))
    revoke_all_tokens(account)
    audit("account.change_password", object_type="account", object_id=account.id)


def password_expired(account: Account, now: datetime | None = None) -> bool:
    now = now or utcnow()
    max_age = timedelta(days=parameters.get("PASSWORD_MAX_AGE_DAYS"))
    return account.must_change_password or as_utc(account.password_changed_at) + max_age < now


def unlock(account: Account) -> None:
    account.failed_logins = 0
    account.locked_until = None
    audit("account.unlock", object_type="account", object_id=account.id)


def archive_account(account: Account) -> None:
    account.archived_at = utcnow()
    end_all_sessions(account, "archived")
    revoke_all_tokens(account)
    audit("account.archive", object_type="account", object_id=account.id)


def rename_account(account: Account, display_name: str) -> None:
    if not display_name.strip():
        raise InvalidInput({"display_name": [_("请填写姓名")]})
    account.display_name = display_name.strip()
    audit("account.update", object_type="account", object_id=account.id)


# ---------------------------------------------------------------- authentication


def _client() -> dict:
    """The browser of a login attempt, for the login log (登录日志); the address is the audit event's own."""
    if not has_request_context():
        return {}
    return {"browser": (request.user_agent.string or "")[:160]}


def authenticate(username: str, password: str) -> Account:
    """Check a username and password, applying the lockout rule; raises LoginRefused."""
    now = utcnow()
    account = db.session.scalar(db.select(Account).where(db.func.lower(Account.username) == username.strip().lower()))
    if account is None:
        if "h" not in _DUMMY_HASH:
            _DUMMY_HASH["h"] = passwords.hash_password(secrets.token_hex(8))
        passwords.verify_password(_DUMMY_HASH["h"], password)
        audit("login", outcome="denied", detail={"username": username[:64], "reason": "unknown user", **_client()})
        db.session.commit()
        raise LoginRefused(BAD_CREDENTIALS())
    if not account.is_active:
        audit("login", outcome="denied", account=account, detail={"reason": "archived", **_client()})
        db.session.commit()
        raise LoginRefused(BAD_CREDENTIALS())
    if account.locked(now):
        audit("login", outcome="denied", account=account, detail={"reason": "locked", **_client()})
        db.session.commit()
        raise LoginRefused(BAD_CREDENTIALS())
    if not passwords.verify_password(account.password_hash, password):
        audit("login", outcome="denied", account=account, detail={"reason": "bad password", **_client()})
        _count_failure(account, now)
        raise LoginRefused(BAD_CREDENTIALS())
    account.failed_logins = 0
    account.locked_until = None
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    return account


def _count_failure(account: Account, now: datetime) -> bool:
    """Count a failed password or one-time code; lock at the threshold. Returns True if now locked.

    Committed at once: the request that reports the failure is rolled back, the count must not be.
    """
    account.failed_logins += 1
    locked = account.failed_logins >= parameters.get("LOCKOUT_THRESHOLD")
    if locked:
        account.locked_until = now + timedelta(minutes=parameters.get("LOCKOUT_MINUTES"))
        account.failed_logins = 0
        audit("account.lock", outcome="denied", account=account, object_type="account", object_id=account.id)
    db.session.commit()
    return locked


def start_session(account: Account) -> LoginSession:
    """A fresh server-side session (new id) for a successful password check."""
    now = utcnow()
    login_session = LoginSession(
        session_key=secrets.token_urlsafe(32),
        account_id=account.id,
        created_at=now,
        last_seen_at=now,
        second_factor_passed=not account.has_totp,
        address=request.remote_addr if has_request_context() else None,
        user_agent=(request.user_agent.string[:255] if has_request_context() else None),
    )
    db.session.add(login_session)
    account.last_login_at = now
    db.session.flush()
    audit("login", account=account, detail={"second_factor_pending": not login_session.second_factor_passed,
                                            "password_expired": password_expired(account, now), **_client()})
    return login_session


def session_expiry_reason(login_session: LoginSession, now: datetime) -> str | None:
    if login_session.ended_at is not None:
        return login_session.end_reason or "ended"
    if as_utc(login_session.created_at) + timedelta(hours=parameters.get("SESSION_ABSOLUTE_HOURS")) <= now:
        return "absolute_timeout"
    if as_utc(login_session.last_seen_at) + timedelta(minutes=parameters.get("SESSION_IDLE_MINUTES")) <= now:
        return "idle_timeout"
    return None


def touch_session(login_session: LoginSession, now: datetime) -> None:
    # Writing on every request would serialise a user's requests; a minute's precision is enough.
    if now - as_utc(login_session.last_seen_at) >= timedelta(seconds=60):
        login_session.last_seen_at = now


def end_session(login_session: LoginSession, reason: str) -> None:
    if login_session.ended_at is None:
        login_session.ended_at = utcnow()
        login_session.end_reason = reason
        audit("logout" if reason == "logout" else "session.end", account=login_session.account,
              detail={"reason": reason})


def force_logout(login_sessions: list[LoginSession], reason: str, *, tokens: bool = False) -> int:
    """在线用户: the security admin ends live sessions (one, or all of an account's) with a reason; the cookie
    stops working at the next request (the session row is ended), and the account's bearer tokens too if chosen.
    Audited per session, with the reason. The number of sessions ended."""
    ended = 0
    for login_session in login_sessions:
        if login_session.ended_at is None:
            login_session.ended_at, login_session.end_reason = utcnow(), "forced"
            # By the admin acting (the audit's account), about the session's account.
            audit("session.force_end", object_type="account", object_id=login_session.account_id,
                  detail={"session": login_session.id, "username": login_session.account.username,
                          "reason": reason, "tokens": tokens})
            ended += 1
    if tokens:
        for account in {s.account_id: s.account for s in login_sessions}.values():
            revoke_all_tokens(account)
    return ended


def end_all_sessions(account: Account, reason: str, keep: LoginSession | ApiToken | None = None) -> None:
    for login_session in db.session.scalars(
        db.select(LoginSession).where(LoginSession.account_id == account.id, LoginSession.ended_at.is_(None))
    ):
        if not (isinstance(keep, LoginSession) and keep.id == login_session.id):
            end_session(login_session, reason)


# ---------------------------------------------------------------- second factor (TOTP)


def _totp_ad(account: Account) -> str:
    return f"account:{account.id}:totp"


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(account: Account, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account.username, issuer_name="Qinglian 清廉")


def _matching_counter(secret: str, code: str, now: datetime) -> int | None:
    totp = pyotp.TOTP(secret)
    # A Chinese input method types full-width digits (１２３４５６): the same code; anything else is no code.
    code = unicodedata.normalize("NFKC", code or "").strip().replace(" ", "")
    if not (code.isascii() and code.isdigit()):
        return None
    for drift in (0, -1, 1):  # one step either way for clock skew
        at = now + timedelta(seconds=30 * drift)
        if secrets.compare_digest(totp.at(at), code):
            return totp.timecode(at)
    return None


def enrol_totp(account: Account, secret: str, code: str, login_session: LoginSession | None = None) -> None:
    """Confirm a new second factor with a first code; the current login counts as having passed it."""
    counter = _matching_counter(secret, code, utcnow())
    if counter is None:
        raise InvalidInput({"code": [_("动态口令不正确，请核对手机验证器上的 6 位数字")]})
    account.totp_secret_encrypted = encrypt_field(secret, _totp_ad(account))
    account.totp_last_counter = counter
    if login_session is not None:
        login_session.second_factor_passed = True
    audit("account.totp_enrol", object_type="account", object_id=account.id)


def totp_secret(account: Account) -> str:
    return decrypt_field(account.totp_secret_encrypted, _totp_ad(account))


def check_second_factor(account: Account, code: str, login_session: LoginSession | None = None) -> None:
    """Check a one-time code (for a login session, or for issuing an API token); failures count to lockout."""
    counter = _matching_counter(totp_secret(account), code, utcnow())
    # A code is good once: a replayed code (same or older step) is refused.
    if counter is None or (account.totp_last_counter is not None and counter <= account.totp_last_counter):
        audit("login.second_factor", outcome="denied", account=account, detail={"reason": "bad code", **_client()})
        if login_session is not None and account.failed_logins + 1 >= parameters.get("LOCKOUT_THRESHOLD"):
            end_session(login_session, "second_factor_failed")
        if _count_failure(account, utcnow()):
            raise LoginRefused(_("动态口令连续错误，账户已锁定，请稍后再试或联系安全管理员解锁"))
        raise InvalidInput({"code": [_("动态口令不正确或已使用")]})
    account.totp_last_counter = counter
    if login_session is not None:
        login_session.second_factor_passed = True
    audit("login.second_factor", account=account, detail=_client())


def remove_totp(account: Account) -> None:
    account.totp_secret_encrypted = None
    account.totp_last_counter = None
    end_all_sessions(account, "second_factor_reset")
    revoke_all_tokens(account)
    audit("account.totp_reset", object_type="account", object_id=account.id)


# ---------------------------------------------------------------- API tokens


@dataclass
class IssuedToken:
    token: ApiToken
    plaintext: str


def issue_token(account: Account, label: str = "") -> IssuedToken:
    plaintext = "ql_" + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        account_id=account.id,
        token_digest=sm3_hex(plaintext.encode()),
        label=label[:64],
        created_at=now,
        expires_at=now + timedelta(days=parameters.get("API_TOKEN_DAYS")),
    )
    db.session.add(token)
    db.session.flush()
    audit("api_token.issue", account=account, object_type="api_token", object_id=token.id)
    return IssuedToken(token, plaintext)


def find_token(plaintext: str) -> ApiToken | None:
    # The account in the same statement: every API request asks for both.
    row = db.session.execute(db.select(ApiToken, Account).join(Account, Account.id == ApiToken.account_id)
                             .where(ApiToken.token_digest == sm3_hex(plaintext.encode()))).first()
    token = row and with_loaded(row[0], account=row[1])
    now = utcnow()
    if token is None or token.revoked_at is not None or as_utc(token.expires_at) <= now:
        return None
    if not token.account.is_active or token.account.locked(now):  # a lock suspends the tokens until unlocked
        return None
    if token.last_used_at is None or now - as_utc(token.last_used_at) >= timedelta(minutes=1):
        token.last_used_at = now
    return token


def account_tokens(account: Account) -> list[ApiToken]:
    return list(db.session.scalars(db.select(ApiToken).where(ApiToken.account_id == account.id).order_by(ApiToken.id)))


def revoke_all_tokens(account: Account) -> None:
    """A reset, archive or second-factor reset ends every way in: tokens too, not only the browser sessions."""
    for token in account_tokens(account):
        revoke_token(token)


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit("api_token.revoke", object_type="api_token", object_id=token.id)
