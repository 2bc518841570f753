"""Configuration from the environment.

Embedded mode (the default) needs nothing: the database is a SQLite file under
``instance/`` and the secrets are generated once and kept in ``instance/secrets.json``.
Production mode (``QINGLIAN_ENV=production``) refuses to start without the secrets.
"""
from __future__ import annotations

import hmac
import json
import os
import secrets
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.proxies import parse_networks


class ConfigError(RuntimeError):
    pass


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _zone_name() -> str:
    name = os.environ.get("QINGLIAN_TIMEZONE") or "Asia/Shanghai"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"QINGLIAN_TIMEZONE: unknown time zone {name!r}") from exc
    return name


def _generated_secrets(instance_path: Path) -> dict:
    """Secrets for the embedded mode, created on first start and then reused."""
    path = instance_path / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    instance_path.mkdir(parents=True, exist_ok=True)
    data = {
        "SECRET_KEY": secrets.token_hex(32),
        "FIELD_KEYS": f"k1:{secrets.token_hex(16)}",
        "MATCHING_KEY": secrets.token_hex(32),
        "AUDIT_KEY": secrets.token_hex(32),
    }
    path.write_text(json.dumps(data, indent=2))
    path.chmod(0o600)
    return data


# Attachments (附件): the size limit of each kind of file, in MB, from QINGLIAN_ATTACHMENT_MAX_MB_<KIND>.
ATTACHMENT_KIND_LIMITS_MB = {"pdf": 50, "image": 50, "office": 50, "audio": 50, "video": 2048}


def _attachment_limits() -> dict[str, int]:
    return {kind: _env_int(f"QINGLIAN_ATTACHMENT_MAX_MB_{kind.upper()}", default) * 1024 * 1024
            for kind, default in ATTACHMENT_KIND_LIMITS_MB.items()}


def load_config(instance_path: Path) -> dict:
    env = os.environ.get("QINGLIAN_ENV", "embedded")
    production = env == "production"
    generated = {} if production else _generated_secrets(instance_path)
    if generated:  # embedded mode, secrets.json from before the audit key: derive it (no second writer race)
        generated.setdefault("AUDIT_KEY", hmac.new(generated["SECRET_KEY"].encode(), b"audit", "sha256").hexdigest())

    def secret(var: str, key: str) -> str:
        value = os.environ.get(var) or generated.get(key)
        if not value:
            raise ConfigError(f"{var} must be set when QINGLIAN_ENV=production")
        return value

    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'qinglian.db'}"
    if database_url.startswith("postgresql://") or database_url.startswith("postgres://"):
        # psycopg 3 is the driver; accept the libpq-style URL operators write.
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    migration_url = os.environ.get("DATABASE_MIGRATION_URL") or database_url
    if migration_url.startswith("postgresql://"):
        migration_url = "postgresql+psycopg://" + migration_url.split("://", 1)[1]

    return {
        "QINGLIAN_ENV": env,
        "SECRET_KEY": secret("SECRET_KEY", "SECRET_KEY"),
        "FIELD_KEYS": secret("QINGLIAN_FIELD_KEYS", "FIELD_KEYS"),
        "MATCHING_KEY": secret("QINGLIAN_MATCHING_KEY", "MATCHING_KEY"),
        # HMAC-SM3 key of the audit chain's links and checkpoints (core/audit); the database never holds it.
        "AUDIT_KEY": secret("QINGLIAN_AUDIT_KEY", "AUDIT_KEY"),
        # Where the verification job also appends the chains' signed checkpoints (JSON lines; optional).
        "AUDIT_CHECKPOINT_FILE": os.environ.get("QINGLIAN_AUDIT_CHECKPOINT_FILE") or None,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "DATABASE_MIGRATION_URL": migration_url,
        "DATABASE_APP_ROLE": os.environ.get("DATABASE_APP_ROLE", "qinglian_app"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # Reverse proxies in front of the app (nginx), by address: only they may set X-Forwarded-For.
        "TRUSTED_PROXIES": parse_networks(os.environ.get("QINGLIAN_TRUSTED_PROXIES",
                                                         "127.0.0.1,::1" if production else "")),
        "RQ_QUEUE_PREFIX": os.environ.get("RQ_QUEUE_PREFIX", "qinglian"),
        # Security settings (DESIGN.md §5).
        "PASSWORD_MIN_LENGTH": _env_int("QINGLIAN_PASSWORD_MIN_LENGTH", 10),
        "PASSWORD_MAX_AGE_DAYS": _env_int("QINGLIAN_PASSWORD_MAX_AGE_DAYS", 90),
        "LOCKOUT_THRESHOLD": _env_int("QINGLIAN_LOCKOUT_THRESHOLD", 5),
        "LOCKOUT_MINUTES": _env_int("QINGLIAN_LOCKOUT_MINUTES", 15),
        "SESSION_IDLE_MINUTES": _env_int("QINGLIAN_SESSION_IDLE_MINUTES", 30),
        "SESSION_ABSOLUTE_HOURS": _env_int("QINGLIAN_SESSION_ABSOLUTE_HOURS", 12),
        "API_TOKEN_DAYS": _env_int("QINGLIAN_API_TOKEN_DAYS", 30),
        # Clearing names: working days to answer a green-channel application, and to make the follow-up visits.
        "CLEARING_GREEN_CHANNEL_WORKDAYS": _env_int("QINGLIAN_CLEARING_GREEN_CHANNEL_WORKDAYS", 15),
        "CLEARING_VISIT_WORKDAYS": _env_int("QINGLIAN_CLEARING_VISIT_WORKDAYS", 20),
        # Petitions: working days from receipt to conclusion.
        "PETITION_HANDLING_WORKDAYS": _env_int("QINGLIAN_PETITION_HANDLING_WORKDAYS", 40),
        "AUDIT_RETENTION_DAYS": _env_int("QINGLIAN_AUDIT_RETENTION_DAYS", 180),
        # Exports: lists up to this many rows stream straight back; longer ones run as a job whose file is
        # kept this many days; the job reports its progress every so many rows.
        "EXPORT_INLINE_ROWS": _env_int("QINGLIAN_EXPORT_INLINE_ROWS", 5000),
        "EXPORT_KEEP_DAYS": _env_int("QINGLIAN_EXPORT_KEEP_DAYS", 7),
        "EXPORT_PROGRESS_EVERY": _env_int("QINGLIAN_EXPORT_PROGRESS_EVERY", 1000),
        "ARGON2_TIME_COST": _env_int("QINGLIAN_ARGON2_TIME_COST", 3),
        "ARGON2_MEMORY_COST": _env_int("QINGLIAN_ARGON2_MEMORY_COST", 65536),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_env_int("QINGLIAN_SESSION_ABSOLUTE_HOURS", 12)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "qinglian_session",
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "WTF_CSRF_TIME_LIMIT": None,  # the login session bounds the token's life
        # Any request body: forms, spreadsheets to import (read whole). Only the attachment uploads may carry more:
        # up to the largest kind's limit and the form around it (core/attachments raises it for those routes).
        "MAX_CONTENT_LENGTH": 50 * 1024 * 1024,
        "ATTACHMENT_MAX_REQUEST": max(_attachment_limits().values()) + 1024 * 1024,
        "ATTACHMENT_LIMITS": _attachment_limits(),
        # Where attachments lie, sealed: an NFS mount or an object-store gateway on servers.
        "ATTACHMENTS_DIR": os.environ.get("QINGLIAN_ATTACHMENTS_DIR") or str(instance_path / "attachments"),
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        # Times are stored in UTC and shown in this zone; the periodic jobs' cron expressions are read in it too.
        "TIMEZONE": _zone_name(),
        "BABEL_DEFAULT_TIMEZONE": _zone_name(),
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": os.environ.get("QINGLIAN_LOGIN_RATE_LIMIT", "30 per minute"),
        # Federation: push the root's roll-ups to an upstream deployment (reporting/federation). The key is
        # an Ed25519 private key, as PEM or the path of a PEM file (flask federation keygen).
        "FEDERATION_UPSTREAM_URL": os.environ.get("QINGLIAN_UPSTREAM_URL") or None,
        "FEDERATION_ID": os.environ.get("QINGLIAN_FEDERATION_ID") or None,
        "FEDERATION_KEY": os.environ.get("QINGLIAN_FEDERATION_KEY") or None,
        "FEDERATION_ROOT": os.environ.get("QINGLIAN_FEDERATION_ROOT") or None,  # a code; default: the only root
        "FEDERATION_UPSTREAM_CA": os.environ.get("QINGLIAN_UPSTREAM_CA") or None,  # a private CA's bundle
        "FEDERATION_CRON": os.environ.get("QINGLIAN_FEDERATION_CRON", "*/15 * * * *"),
        "FEDERATION_TIMEOUT": _env_int("QINGLIAN_FEDERATION_TIMEOUT", 30),
        # Upstream side: how far a push's clock may be off, and pushes per minute from one address.
        "FEDERATION_MAX_SKEW_SECONDS": _env_int("QINGLIAN_FEDERATION_MAX_SKEW_SECONDS", 600),
        "FEDERATION_RATE_LIMIT": os.environ.get("QINGLIAN_FEDERATION_RATE_LIMIT", "60 per minute"),
    }
