"""Errors every area raises, and how the app answers them (HTML or JSON by URL)."""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException


class InvalidInput(Exception):
    """Bad input: ``errors`` maps a field name (or ``_schema``) to messages for the user."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors

    @property
    def messages(self) -> list[str]:
        return [m for msgs in self.errors.values() for m in msgs]


def add_error(errors: dict[str, list[str]], field: str, message: str) -> None:
    """Collect a field's message; operations validate everything, then raise InvalidInput(errors) once."""
    errors.setdefault(field, []).append(message)


class Conflict(Exception):
    """The record changed since the user loaded it (optimistic locking) or a state race was lost.

    ``message`` (for the user) and ``detail`` (for API clients: the current state, the allowed
    steps) say what the record looks like now when the caller asked for a step it cannot take.
    """

    def __init__(self, message: str | None = None, detail: dict | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail or {}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _http_error(exc: HTTPException):
    if wants_json():
        return jsonify(error=exc.name, message=exc.description if exc.code != 404 else "Not Found"), exc.code
    return render_template("error.html", code=exc.code, title=_error_title(exc.code)), exc.code


def _error_title(code: int) -> str:
    return {
        400: _("请求有误"),
        401: _("请先登录"),
        403: _("无权访问"),
        404: _("页面不存在或您无权查看"),
        405: _("不支持的操作"),
        409: _("记录已被他人修改，请刷新后重试"),
        413: _("上传的文件过大"),
        422: _("提交的内容有误"),
        429: _("操作过于频繁，请稍后再试"),
    }.get(code, _("系统错误"))


def register_error_handlers(app) -> None:
    app.register_error_handler(HTTPException, _http_error)

    @app.errorhandler(InvalidInput)
    def _invalid(exc: InvalidInput):
        from core.extensions import db

        db.session.rollback()
        return jsonify(error="Unprocessable Entity", errors=exc.errors), 422

    @app.errorhandler(StaleDataError)
    @app.errorhandler(Conflict)
    def _conflict(exc):
        from core.extensions import db

        db.session.rollback()
        message = getattr(exc, "message", None)
        if wants_json():
            return jsonify(error="Conflict", message=message or "The record was changed by someone else; reload it.",
                           **getattr(exc, "detail", {})), 409
        return render_template("error.html", code=409, title=message or _error_title(409)), 409
