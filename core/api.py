"""The JSON API's shared parts: the /api/v1 blueprint, the documented-route helper, OpenAPI."""
from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, abort, jsonify, request
from flask_login import current_user
from webargs.flaskparser import parser

api = Blueprint("api", __name__, url_prefix="/api/v1")

# (path, method, operation) collected by ``documented`` for the OpenAPI document.
_OPERATIONS: list[tuple[str, str, dict]] = []


def documented(path: str, method: str, summary: str, *, body=None, response=None, many: bool = False,
               tag: str = "general", public: bool = False, status: int = 200):
    """Record an endpoint for /api/v1/openapi.json (the route itself is declared as usual)."""
    operation = {"summary": summary, "tags": [tag], "responses": {str(status): {"description": "OK"}}}
    if response is not None:
        schema = {"type": "array", "items": response} if many else response
        operation["responses"][str(status)] = {"description": "OK", "content": {"application/json": {"schema": schema}}}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if not public:
        operation["security"] = [{"bearer": []}, {"session": []}]
        operation["responses"]["404"] = {"description": "Not found, or not visible to this account"}
    operation["responses"]["422"] = {"description": "Invalid input; field messages in `errors`"}
    _OPERATIONS.append((path, method.lower(), operation))

    def decorate(func):
        return func

    return decorate


def openapi_document() -> dict:
    spec = APISpec(title="Qinglian 清廉 API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": "qinglian_session"})
    paths: dict[str, dict] = {}
    for path, method, operation in _OPERATIONS:
        paths.setdefault(path, {})[method] = operation
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@api.get("/openapi.json")
def openapi_json():
    return jsonify(openapi_document())


def parse_json(schema):
    """Parse and validate the JSON body; called after the access check, so strangers get 404, not 422."""
    return parser.parse(schema, request, location="json")


def check_csrf_for_cookie_sessions():
    """A browser session's unsafe API calls carry X-CSRFToken; bearer-token clients send no cookie to abuse."""
    from flask import current_app

    from core.extensions import csrf
    from core.identity.sessions import bearer_authenticated

    if (request.method not in ("GET", "HEAD", "OPTIONS") and not bearer_authenticated()
            and request.endpoint != "api.issue_token" and current_app.config.get("WTF_CSRF_ENABLED", True)):
        csrf.protect()


def require_login():
    if not current_user.is_authenticated:
        abort(401)


@parser.error_handler
def _webargs_error(error, req, schema, *, error_status_code, error_headers):
    from core.errors import InvalidInput

    messages = error.messages.get("json", error.messages) if isinstance(error.messages, dict) else error.messages
    raise InvalidInput(messages)
