"""System parameters (参数设置): the settings offices tune, kept in the database and effective without a restart.

Each parameter has a default from the configuration (``core/config.py``); an administrator's value in
``system_parameters`` replaces it; a value set in the environment (``QINGLIAN_<KEY>``) wins over both and the page
says so (a deployment may pin a setting). Values are read through ``get`` only: a per-process cache, emptied at
once in the process that writes and re-read by the others within ``CACHE_SECONDS`` (several app and worker
processes share one database; a changed deadline rule may take that long to reach a worker).

The system admin sets the working rules (deadlines, exports, upload limits); the security admin the security ones
(lockout, sessions, passwords, tokens) — 三员分立: neither edits the other's.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from core.audit.operations import record
from core.clock import utcnow
from core.errors import InvalidInput
from core.extensions import db

CACHE_SECONDS = 5
MB = 1024 * 1024


class SystemParameter(db.Model):
    """A value an administrator set (absent: the configured default)."""

    __tablename__ = "system_parameters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


SYSTEM, SECURITY = "system", "security"  # whose duty the parameter is (三员)


@dataclass(frozen=True)
class Parameter:
    key: str
    label: object
    group: object
    minimum: int
    maximum: int
    unit: object
    duty: str = SYSTEM
    attachment_kind: str | None = None  # an upload limit: the config keeps bytes per kind

    @property
    def env(self) -> str:
        return f"QINGLIAN_{self.key}"

    def default(self) -> int:
        if self.attachment_kind:
            return current_app.config["ATTACHMENT_LIMITS"][self.attachment_kind] // MB
        return int(current_app.config[self.key])

    def ceiling(self) -> int:
        """An upload limit cannot rise above what the server accepts in one request (set at start)."""
        if self.attachment_kind:
            return min(self.maximum, current_app.config["ATTACHMENT_MAX_REQUEST"] // MB - 1)
        return self.maximum


_DEADLINES, _FILES, _LOGIN, _SESSION = _l("办理时限"), _l("文件与导出"), _l("登录与锁定"), _l("会话与令牌")
PARAMETERS: dict[str, Parameter] = {p.key: p for p in (
    Parameter("PETITION_HANDLING_WORKDAYS", _l("信访举报办理时限"), _DEADLINES, 5, 120, _l("个工作日")),
    Parameter("CLEARING_GREEN_CHANNEL_WORKDAYS", _l("澄清正名绿色通道答复时限"), _DEADLINES, 1, 60, _l("个工作日")),
    Parameter("CLEARING_VISIT_WORKDAYS", _l("澄清正名后回访时限"), _DEADLINES, 1, 120, _l("个工作日")),
    Parameter("EXPORT_KEEP_DAYS", _l("导出文件保留天数"), _FILES, 1, 90, _l("天")),
    *[Parameter(f"ATTACHMENT_MAX_MB_{kind.upper()}", label, _FILES, 1, 4096, "MB", attachment_kind=kind)
      for kind, label in (("pdf", _l("附件大小上限：PDF")), ("image", _l("附件大小上限：图片")),
                          ("office", _l("附件大小上限：办公文档")), ("audio", _l("附件大小上限：录音")),
                          ("video", _l("附件大小上限：录像")))],
    Parameter("LOCKOUT_THRESHOLD", _l("连续登录失败锁定次数"), _LOGIN, 3, 20, _l("次"), SECURITY),
    Parameter("LOCKOUT_MINUTES", _l("账户锁定时长"), _LOGIN, 1, 1440, _l("分钟"), SECURITY),
    Parameter("PASSWORD_MIN_LENGTH", _l("密码最短长度"), _LOGIN, 8, 64, _l("位"), SECURITY),
    Parameter("PASSWORD_MAX_AGE_DAYS", _l("密码有效期"), _LOGIN, 7, 365, _l("天"), SECURITY),
    Parameter("SESSION_IDLE_MINUTES", _l("无操作自动退出"), _SESSION, 5, 480, _l("分钟"), SECURITY),
    Parameter("SESSION_ABSOLUTE_HOURS", _l("单次登录最长时间"), _SESSION, 1, 72, _l("小时"), SECURITY),
    Parameter("API_TOKEN_DAYS", _l("接口令牌有效期"), _SESSION, 1, 365, _l("天"), SECURITY),
)}

_cache: dict = {"values": None, "at": 0.0, "app": None}


def clear_cache() -> None:
    _cache.update(values=None, at=0.0, app=None)


def _stored() -> dict[str, int]:
    app = current_app._get_current_object()
    fresh = _cache["values"] is not None and _cache["app"] is app and time.monotonic() - _cache["at"] < CACHE_SECONDS
    if not fresh:
        values = {key: int(value) for key, value in db.session.execute(
            select(SystemParameter.key, SystemParameter.value)) if key in PARAMETERS and value.lstrip("-").isdigit()}
        _cache.update(values=values, at=time.monotonic(), app=app)
    return _cache["values"]


def pinned(parameter: Parameter) -> bool:
    """Set in the environment: that value wins, the page shows it and refuses a change."""
    return os.environ.get(parameter.env, "") != ""


def get(key: str) -> int:
    """The value in force: the environment's if pinned, else the administrator's, else the configured default."""
    parameter = PARAMETERS[key]
    if pinned(parameter):
        return parameter.default()
    return _stored().get(key, parameter.default())


def attachment_limit(kind: str) -> int:
    """One kind of file's size limit, in bytes (the configuration keeps bytes; an administrator sets whole MB)."""
    parameter = PARAMETERS[f"ATTACHMENT_MAX_MB_{kind.upper()}"]
    stored = None if pinned(parameter) else _stored().get(parameter.key)
    return stored * MB if stored is not None else current_app.config["ATTACHMENT_LIMITS"][kind]


def listing(duty: str) -> list[dict]:
    """The parameters of one administrator's duty, as the page shows them."""
    stored = _stored()
    rows = []
    for parameter in PARAMETERS.values():
        if parameter.duty != duty:
            continue
        source = "env" if pinned(parameter) else "database" if parameter.key in stored else "default"
        rows.append({"parameter": parameter, "value": get(parameter.key), "default": parameter.default(),
                     "source": source, "ceiling": parameter.ceiling()})
    return rows


SOURCE_LABELS = {"env": _l("环境变量（部署时固定，页面不可修改）"), "database": _l("已修改"), "default": _l("默认值")}


def update(key: str, raw_value, *, duty: str, account_id: int | None) -> int:
    """Set one parameter (or ``""``: back to its default), validated with a clear message; audited, old and new."""
    parameter = PARAMETERS.get(key)
    if parameter is None or parameter.duty != duty:
        raise InvalidInput({"key": [_("没有这个参数")]})
    if pinned(parameter):
        raise InvalidInput({key: [_("该参数已由环境变量 %(env)s 固定，请在部署配置中修改", env=parameter.env)]})
    text = str(raw_value if raw_value is not None else "").strip()
    row = db.session.get(SystemParameter, key)
    before = get(key)
    if text == "":  # back to the default: the row stays, empty (the app role deletes no rows)
        if row is not None:
            row.value, row.updated_at, row.updated_by_id = "", utcnow(), account_id
        value = parameter.default()
    else:
        if not text.isdigit():
            raise InvalidInput({key: [_("%(label)s须为整数", label=parameter.label)]})
        value = int(text)
        if not parameter.minimum <= value <= parameter.ceiling():
            raise InvalidInput({key: [_("%(label)s应在 %(a)s 至 %(b)s %(unit)s之间", label=parameter.label,
                                        a=parameter.minimum, b=parameter.ceiling(), unit=parameter.unit)]})
        if row is None:
            row = SystemParameter(key=key)
            db.session.add(row)
        row.value, row.updated_at, row.updated_by_id = str(value), utcnow(), account_id
    db.session.flush()
    record("parameter.update", object_type="system_parameters", object_id=key,
           detail={"name": str(parameter.label), "old_value": before, "new_value": value})
    clear_cache()
    return value
