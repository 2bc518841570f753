"""Password hashing (argon2id) and the complexity policy."""
from __future__ import annotations

import secrets
import string
from core import parameters

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

_SYMBOLS = set(string.punctuation)


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def policy_errors(password: str, username: str = "") -> list[str]:
    """Every rule the password breaks, as messages for the user (empty list = acceptable)."""
    errors = []
    min_length = parameters.get("PASSWORD_MIN_LENGTH")
    if len(password) < min_length:
        errors.append(str(_l("密码至少需要 %(n)s 个字符", n=min_length)))
    classes = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(c in _SYMBOLS for c in password),
        ]
    )
    if classes < 3:
        errors.append(str(_l("密码需包含大写字母、小写字母、数字、符号中的至少三类")))
    if username and username.lower() in password.lower():
        errors.append(str(_l("密码不能包含用户名")))
    return errors


def generate_initial_password() -> str:
    """A temporary password that satisfies the policy; the holder must change it at first login."""
    alphabet = string.ascii_letters + string.digits
    while True:
        core = "".join(secrets.choice(alphabet) for _ in range(12))
        candidate = f"{core}#{secrets.randbelow(90) + 10}"
        if not policy_errors(candidate):
            return candidate
