"""Errors every area raises, and how the app answers them (HTML or JSON by URL)."""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException


class InvalidInput(Exception):
    """Bad input: ``errors`` maps a field name (or ``_schema``) to messages for the user."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors

    @property
    def messages(self) -> list[str]:
        return list(_flatten(self.errors))


def _flatten(messages):
    """Every message of a (possibly nested: a list's items, a sub-object's fields) error mapping."""
    if isinstance(messages, str):
        yield messages
    elif isinstance(messages, dict):
        for value in messages.values():
            yield from _flatten(value)
    elif isinstance(messages, (list, tuple)):
        for value in messages:
            yield from _flatten(value)


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
    if exc.code == 500:
        for hook in SERVER_ERROR_HOOKS:
            hook(exc)
    if isinstance(exc, CSRFError):  # a forged or stale form: denied, and the denial audited like any other
        from flask import g

        g.audit_denial = dict(action="csrf.refused", unit_id=getattr(g.get("unit"), "id", None),
                              object_type=request.endpoint, object_id=None)
    if wants_json():
        return jsonify(error=error_title(exc.code), message=_http_message(exc)), exc.code
    return render_template("error.html", code=exc.code, title=error_title(exc.code)), exc.code


def _http_message(exc: HTTPException) -> str:
    """The Chinese title, unless the code that aborted gave its own message (werkzeug's are English)."""
    own = exc.description if exc.description != type(exc).description else None
    return own if own and not own.isascii() else error_title(exc.code)


# Called with the exception of every request that fails unexpectedly (500), before the error page: the app
# factory puts the audit trail's recorder here (the errors module sits below the audit module).
SERVER_ERROR_HOOKS: list = []


def _record_page() -> str | None:
    """The page of the record a refused change was about, for the 409 page's way back: the path posted to if
    it is a page, else the nearest page above it (…/petitions/5/steps/start → …/petitions/5)."""
    from urllib.parse import urlsplit

    from flask import current_app
    from werkzeug.routing import RequestRedirect

    adapter = current_app.url_map.bind_to_environ(request.environ)
    path = request.path.rstrip("/")
    if request.method == "GET":
        path = path.rsplit("/", 1)[0]
    while path.count("/") > 1:
        try:
            adapter.match(path, method="GET")
            return path
        except RequestRedirect as redirect:  # the page's own form of the path (a trailing slash)
            return urlsplit(redirect.new_url).path
        except HTTPException:
            path = path.rsplit("/", 1)[0]
    return None


def error_title(code: int) -> str:
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
        if wants_json():
            return jsonify(error=error_title(422), message="；".join(exc.messages) or error_title(422),
                           errors=exc.errors), 422
        return render_template("error.html", code=422, title=error_title(422), messages=exc.messages), 422

    @app.errorhandler(StaleDataError)
    @app.errorhandler(Conflict)
    def _conflict(exc):
        from core.extensions import db

        db.session.rollback()
        message = getattr(exc, "message", None)
        if wants_json():
            return jsonify(error=error_title(409), message=message or error_title(409),
                           **getattr(exc, "detail", {})), 409
        return render_template("error.html", code=409, title=message or error_title(409), back=_record_page()), 409
