"""The JSON API's shared parts: the /api/v1 blueprint, the documented-route helper, OpenAPI.

The OpenAPI document is built from the app's URL map: each /api/v1 route whose view carries ``documented``
becomes an operation with its real path, methods and typed path parameters; its answer is the declared
schema (or envelope of it), closed (no property the schema does not name) so that a test run of the document
against the app (tests/test_openapi.py, schemathesis) catches any answer that drifts from it.
"""
from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user
from marshmallow import Schema
from webargs.flaskparser import parser

api = Blueprint("api", __name__, url_prefix="/api/v1")
PREFIX = "/api/v1"
_RULE_ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
ERROR = {"type": "object", "required": ["error", "message"], "properties": {
    "error": {"type": "string", "description": "the error's title, in Chinese"},
    "message": {"type": "string", "description": "what went wrong, in Chinese"},
    "errors": {"type": "object", "description": "invalid input: field -> messages"}}}
PAGING = {"page": ({"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "page number, from 1"),
          "per_page": ({"type": "integer", "minimum": 1, "maximum": 200}, "rows per page")}
UNIT_QUERY = {"unit": ({"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "the acting unit")}
ERROR_CODES = {400: "请求有误（如缺少 CSRF 令牌）", 401: "未登录或令牌无效", 403: "无权访问",
               404: "不存在，或本账户无权查看", 409: "记录已被他人修改，或当前状态不允许此操作",
               413: "上传的文件过大", 422: "提交的内容有误（errors 列出各字段的问题）", 429: "操作过于频繁"}


def documented(path: str, method: str, summary: str, *, body=None, response=None, many: bool = False,
               envelope: str | None = None, query: dict | None = None, refused: dict | None = None,
               tag: str = "general", public: bool = False, status: int = 200, content_type: str = "application/json"):
    """Describe the decorated API view for /api/v1/openapi.json (the route itself is declared as usual).

    ``path`` and ``method`` restate the route (the document takes both from the URL map, and a test holds them
    equal). ``response``: a schema, or a tuple of schemas one of which answers; ``many``: a list of them;
    ``envelope="page"``: ``{items, total, page, per_page}``, ``"items"``: ``{items}``. ``query``: name ->
    (JSON schema, description) of the query arguments the view reads; ``refused``: status -> the schema of an
    error answer that is not the usual ``Error``."""
    declared = {"path": path, "method": method.lower(), "summary": summary, "body": body, "response": response,
                "many": many, "envelope": envelope, "query": query or {}, "refused": refused or {}, "tag": tag, "public": public,
                "status": status, "content_type": content_type}

    def decorate(func):
        func.openapi = declared
        return func

    return decorate


def legacy_form(of: str):
    """Mark the decorated view as an older URL form of the API route ``of`` (its endpoint, e.g.
    ``"api.zones_list"``): still answered so that no client breaks, but documented once, in the unit-scoped
    form ``/api/v1/u/<unit>/...``. The old form names its unit in the query or body (``unit``), or means every
    unit of the account; it acts at a unit through ``tenants.resolution.act_at`` like the new one."""
    def decorate(func):
        func.legacy_of = of
        return func

    return decorate


def _schema_ref(spec: APISpec, schema) -> dict:
    plugin = next(p for p in spec.plugins if isinstance(p, MarshmallowPlugin))
    return plugin.converter.resolve_nested_schema(schema)


def _response_schema(spec: APISpec, declared: dict) -> dict:
    schemas = declared["response"] if isinstance(declared["response"], tuple) else (declared["response"],)
    one = [_schema_ref(spec, s) for s in schemas]
    shape = one[0] if len(one) == 1 else {"oneOf": one}
    if declared["many"] or declared["envelope"]:
        shape = {"type": "array", "items": shape}
    if declared["envelope"] == "items":
        shape = {"type": "object", "required": ["items"], "additionalProperties": False,
                 "properties": {"items": shape}}
    elif declared["envelope"] == "page":
        count = {"type": "integer", "minimum": 0}
        shape = {"type": "object", "required": ["items", "total", "page", "per_page"], "additionalProperties": False,
                 "properties": {"items": shape, "total": count, "page": count, "per_page": count}}
    return shape


def _parameters(rule) -> list[dict]:
    params = []
    for converter_name, name in _RULE_ARG.findall(rule.rule):
        converter = rule._converters[name]
        if converter_name == "int":
            schema = {"type": "integer", "minimum": converter.min or 0, "maximum": converter.max}
        else:
            schema = {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _operation(spec: APISpec, rule, declared: dict) -> dict:
    method = declared["method"]
    success: dict = {"description": "OK"}
    if declared["response"] is not None:
        success["content"] = {declared["content_type"]: {"schema": _response_schema(spec, declared)}}
    elif declared["content_type"] != "application/json":
        success["content"] = {declared["content_type"]: {"schema": {"type": "string", "format": "binary"}}}
    codes = {400, 401, 404, 422, 429} | (
        {403, 409, 413} if method != "get" else {409})
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    operation = {"summary": declared["summary"], "tags": [declared["tag"]],
                 "responses": {str(declared["status"]): success,
                               **{str(code): {"description": ERROR_CODES[code], **error} for code in sorted(codes)}}}
    for code, schema in declared["refused"].items():
        operation["responses"][str(code)]["content"] = {"application/json": {"schema": _schema_ref(spec, schema)}}
    parameters = _parameters(rule) + [
        {"name": name, "in": "query", "required": False, "schema": schema, "description": description}
        for name, (schema, description) in declared["query"].items()]
    if parameters:
        operation["parameters"] = parameters
    if declared["body"] is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": _schema_ref(spec, declared["body"])}}}
    if not declared["public"]:
        operation["security"] = [{"bearer": []}, {"session": []}]
    return operation


def documented_rules():
    """(rule, method, declaration) of every documented API route, from the URL map."""
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        view = current_app.view_functions[rule.endpoint]
        declared = getattr(view, "openapi", None)
        if declared is not None and rule.rule.startswith(PREFIX + "/") and not hasattr(view, "legacy_of"):
            yield rule, declared


def openapi_path(rule) -> str:
    return _RULE_ARG.sub(r"{\2}", rule.rule[len(PREFIX):])


def openapi_document() -> dict:
    spec = APISpec(title="Qinglian 清廉 API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()], servers=[{"url": PREFIX}])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": "qinglian_session"})
    spec.components.schema("Error", ERROR)
    paths: dict[str, dict] = {}
    for rule, declared in documented_rules():
        paths.setdefault(openapi_path(rule), {})[declared["method"]] = _operation(spec, rule, declared)
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    _close_answers(document)
    return document


def _refs(node, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def _close_answers(document: dict) -> None:
    """Answer schemas name every property the app sends and nothing else: each is required unless marked
    ``x-optional`` and no other property is allowed. (Request schemas stay as marshmallow declares them.)"""
    components = document["components"]["schemas"]
    answers = _refs([op["responses"] for ops in document["paths"].values() for op in ops.values()], set())
    requests = _refs([op.get("requestBody") for ops in document["paths"].values() for op in ops.values()], set())
    closing = set()
    while answers - closing:
        name = (answers - closing).pop()
        closing.add(name)
        answers |= _refs(components[name], set())
    for name in closing - requests - {"Error"}:  # a schema also read stays open (tests/test_openapi.py: none)
        schema = components[name]
        properties = schema.get("properties", {})
        schema["additionalProperties"] = False
        schema["required"] = sorted(p for p, prop in properties.items() if not prop.pop("x-optional", False))


@api.get("/openapi.json")
def openapi_json():
    return jsonify(openapi_document())


@api.get("/docs")
def api_docs():
    """The API's documentation for a signed-in account: Swagger UI (vendored from the npm registry, no CDN) over
    /api/v1/openapi.json; "Try it out" calls with the account's own session and CSRF token, so it can do no more
    than the account's pages."""
    from flask import render_template

    return render_template("api_docs.html")


def parse_json(schema: Schema):
    """Parse and validate the JSON body; called after the access check, so strangers get 404, not 422."""
    return parser.parse(schema, request, location="json")


def check_csrf_for_cookie_sessions():
    """A browser session's unsafe API calls carry X-CSRFToken; bearer-token clients send no cookie to abuse."""
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
    raise InvalidInput(messages if isinstance(messages, dict) else {"_schema": messages})
