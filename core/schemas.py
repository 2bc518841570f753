"""Input bounds every schema, form, query and URL shares: text with a length limit and no NUL character,
integers within the database's ``integer``, dates within a sensible range — refused with a Chinese message,
never a 500 (issue 16 items 9, 10, 12).

Every area's schemas derive from ``Schema`` here: its fields get Chinese messages, and a text, integer or date
field that names no bound of its own gets the default one. ``install`` puts the same bounds on what bypasses a
schema: ``<int:…>`` in every route (out of range: 404), integer query and form arguments read with
``type=int`` (out of range: the default), and every string of a form, query or JSON body (NUL or longer than
the longest text field, a date outside 2000 … five years ahead: 422). ``register_forms`` lets an HTML form be
checked against its API schema's limits, and ``form_limit`` gives its template the same ``maxlength``.
"""
from __future__ import annotations

import math
import re
from datetime import date

from flask import Request, request
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError, fields, validate
from marshmallow import Schema as _Schema
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

INT_MAX = 2**31 - 1  # PostgreSQL integer: every id and count column
BIGINT_MAX = 2**63 - 1
# Text limits in characters. NAME: a person's or unit's name; LINE: a title, a position, a one-line note;
# SUMMARY: a summary or reason; TEXT: a paragraph (instructions, findings, a plan); CONTENT: a letter's text.
NAME, LINE, SUMMARY, TEXT, CONTENT = 50, 200, 500, 5000, 20000
EXCERPT = 80  # what a list shows of a long text
EARLIEST = date(2000, 1, 1)  # no record of the platform's work is older
YEARS_AHEAD = 5  # a deadline or a planned date at most this far ahead

TYPE_MESSAGES = {
    fields.String: "须为文字", fields.Integer: "须为整数", fields.Float: "须为数字", fields.Boolean: "须为 true 或 false",
    fields.Date: "不是有效日期（应为 2026-11-21 这样的格式）", fields.DateTime: "不是有效的时间",
    fields.List: "须为列表", fields.Tuple: "须为列表", fields.Dict: "须为 JSON 对象", fields.Nested: "须为 JSON 对象",
}
FIELD_MESSAGES = {"required": "此项必填", "null": "此项不能为空", "validator_failed": "取值无效",
                  "too_large": "数值过大", "special": "须为有限的数字", "format": "无法按格式输出",
                  "invalid_awareness": "须带时区（如 2026-11-21T08:00:00+08:00）", "type": "须为 JSON 对象",
                  "invalid_utf8": "须为有效的 UTF-8 文字"}


def reject_nul(value) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise ValidationError("不能包含空字符（\\u0000）")


class Length(validate.Length):
    def __init__(self, min: int | None = None, max: int | None = None, **kw):
        super().__init__(min=min, max=max, **kw)
        self.message_min = "至少 {min} 个字" if min and min > 1 else "此项不能为空"
        self.message_max = "不能超过 {max} 个字"
        self.message_all = "须为 {min} 至 {max} 个字" if min and min > 1 else "此项不能为空，且不能超过 {max} 个字"
        self.message_equal = "须为 {equal} 个字"


class Range(validate.Range):
    def __init__(self, min=None, max=None, **kw):
        super().__init__(min=min, max=max, **kw)
        self.message_min, self.message_max, self.message_all = "不能小于 {min}", "不能大于 {max}", "须在 {min} 至 {max} 之间"


class _Bound:
    """A field's default bound when its schema names none: checked on input like ``Length``/``Range``, but not a
    subclass of them, so the OpenAPI document shows only the bounds a schema states (an answer's text is as long
    as the record's)."""

    def __init__(self, validator):
        self.validator = validator

    def __call__(self, value):
        return self.validator(value)


def Text(max_length: int = LINE, *, min_length: int | None = None, **kw) -> fields.String:
    """A text field of at most ``max_length`` characters (``min_length=1``: not empty)."""
    return fields.String(validate=[Length(min=min_length, max=max_length), *_as_list(kw.pop("validate", None))],
                         **kw)


def Int(minimum: int = 0, maximum: int = INT_MAX, **kw) -> fields.Integer:
    """An integer stored in an ``integer`` column (a count, a version, a number of months)."""
    return fields.Integer(validate=[Range(minimum, maximum), *_as_list(kw.pop("validate", None))], **kw)


def Id(**kw) -> fields.Integer:
    """A record's id: 1 … 2³¹−1."""
    return Int(1, INT_MAX, **kw)


class Day(fields.Date):
    """A calendar date between 2000-01-01 and today (``until="today"``: a receipt, an application, a visit)
    or a few years ahead (``until="ahead"``: a deadline, a planned date). An empty string reads as absent.
    ``lenient``: for inputs whose operation checks each field and lists every message at once (a form's and the
    API's registration), text that is no date passes through for the operation to name; a date is bounded."""

    def __init__(self, *, until: str = "ahead", lenient: bool = False, **kw):
        self.until, self.lenient = until, lenient
        kw.setdefault("metadata", {})
        super().__init__(**kw)
        self.metadata.setdefault("description", "YYYY-MM-DD, " + (
            "2000-01-01 … today" if until == "today" else f"2000-01-01 … {YEARS_AHEAD} years ahead"))

    def deserialize(self, value, attr=None, data=None, **kw):
        if value == "" and not self.required:
            value = None  # an empty form field or "" from a client: no date
        return super().deserialize(value, attr, data, **kw)

    def _deserialize(self, value, attr, data, **kw):
        try:
            day = super()._deserialize(value, attr, data, **kw)
        except ValidationError:
            if self.lenient and isinstance(value, str):
                return value
            raise
        latest = latest_day(self.until)
        if day < EARLIEST:
            raise ValidationError(_("日期不能早于 %(d)s", d=EARLIEST.isoformat()))
        if day > latest:
            raise ValidationError(_("日期不能晚于今天") if self.until == "today"
                                  else _("日期不能晚于 %(d)s", d=latest.isoformat()))
        return day


def latest_day(until: str) -> date:
    from core import calendar

    today = calendar.today()
    if until == "today":
        return today
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def _as_list(value) -> list:
    return [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]


def _day_in_range(value: date) -> None:
    if not EARLIEST <= value <= latest_day("ahead"):
        raise ValidationError(_("日期须在 %(a)s 至 %(b)s 之间", a=EARLIEST.isoformat(),
                                b=latest_day("ahead").isoformat()))


def bound_field(field: fields.Field) -> None:
    """Chinese messages and the default bounds on one field (idempotent: a schema's fields are shallow
    copies sharing their validators and messages, so this runs once per declared field in effect)."""
    for key, message in FIELD_MESSAGES.items():
        if key in field.error_messages and field.error_messages[key].isascii():
            field.error_messages[key] = message
    if "invalid" in field.error_messages and field.error_messages["invalid"].isascii():
        field.error_messages["invalid"] = next(
            (m for cls, m in TYPE_MESSAGES.items() if isinstance(field, cls)), "取值无效")
    validators = field.validators
    for i, v in enumerate(validators):
        if type(v) is validate.Length:
            validators[i] = Length(min=v.min, max=v.max, equal=v.equal)
        elif type(v) is validate.Range:
            validators[i] = Range(v.min, v.max, min_inclusive=v.min_inclusive, max_inclusive=v.max_inclusive)
        elif isinstance(v, validate.OneOf) and v.error.isascii():
            v.error = "须为以下之一：{choices}"
        elif isinstance(v, validate.Equal) and v.error.isascii():
            v.error = "只能为 {other}"
        elif isinstance(v, validate.Regexp) and v.error.isascii():
            v.error = "格式不正确"
    if isinstance(field, fields.String):
        if not any(isinstance(v, (validate.Length, _Bound)) and getattr(v, "max", 1) for v in validators):
            validators.append(_Bound(Length(max=TEXT)))
        if reject_nul not in validators:
            validators.append(reject_nul)
    elif isinstance(field, fields.Integer) and not any(isinstance(v, (validate.Range, _Bound)) for v in validators):
        validators.append(_Bound(Range(-INT_MAX - 1, INT_MAX)))
    elif isinstance(field, fields.Date) and not isinstance(field, Day) and _day_in_range not in validators:
        validators.append(_day_in_range)
    for inner in (getattr(field, "inner", None), getattr(field, "key_field", None), getattr(field, "value_field", None)):
        if isinstance(inner, fields.Field):
            bound_field(inner)


class Schema(_Schema):
    """Every schema of the platform: Chinese messages and bounded fields (see ``bound_field``)."""

    error_messages = {"unknown": "未知字段", "type": "请求体须为 JSON 对象"}

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        bound_field(field_obj)


class LooseSchema(Schema):
    """An input that ignores fields it does not know (a form's or an older client's extras)."""

    class Meta:
        unknown = EXCLUDE


def excerpt(text: str | None, length: int = EXCERPT) -> str:
    """The start of a long text, for lists (they never carry a whole letter)."""
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[:length - 1] + "…"


# ---------------------------------------------------------------- forms, queries, URLs


_FORM_SCHEMAS: dict[str, type[_Schema]] = {}


def register_forms(forms: dict[str, type[_Schema]]) -> None:
    """endpoint -> the schema whose limits its HTML form obeys (a nested field ``informant.name`` is the form's
    ``informant_name``); called by each area's schemas module."""
    _FORM_SCHEMAS.update(forms)


def form_limit(endpoint: str, name: str) -> int | None:
    """The longest text the form posted to ``endpoint`` accepts in field ``name`` (a template's ``maxlength``)."""
    schema = _FORM_SCHEMAS[endpoint]()
    prefix, _sep, rest = name.partition("_")
    field = schema.fields.get(name)
    if field is None and isinstance(schema.fields.get(prefix), fields.Nested):
        field = schema.fields[prefix].schema.fields.get(rest)
    field = field.inner if isinstance(field, fields.List) else field
    return next((v.max for v in getattr(field, "validators", []) if isinstance(v, validate.Length) and v.max), None)


def form_errors(schema: _Schema, form, prefix: str = "") -> dict[str, list[str]]:
    """The messages for the form's non-empty values that the schema's fields refuse (types, limits, dates)."""
    errors: dict[str, list[str]] = {}
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = prefix + (field.data_key or name)
        if isinstance(field, fields.Nested) and isinstance(field.schema, _Schema):
            errors |= form_errors(field.schema, form, f"{key}_")
        elif isinstance(field, fields.List) and isinstance(field.inner, (fields.String, fields.Integer)):
            for value in form.getlist(key):
                if value != "" and (problems := _bound_errors(field.inner, value)):
                    errors[key] = problems
        elif isinstance(field, (fields.String, fields.Integer, fields.Date)) and form.get(key, "") != "":
            if problems := _bound_errors(field, form[key]):
                errors[key] = problems
    return errors


def _bound_errors(field: fields.Field, value: str) -> list[str]:
    try:
        _check_bounds(field, value)
    except ValidationError as exc:
        return exc.messages if isinstance(exc.messages, list) else [str(exc.messages)]
    return []


def _check_bounds(field: fields.Field, value: str) -> None:
    """A form value against the field's bounds only: the longest text, the integer range, the dates' window. What a
    person may get wrong (an empty field, a word for a number, a date in the future) is left to the view, which
    shows the form again with its messages."""
    if isinstance(field, fields.String):
        reject_nul(value)
        for validator in field.validators:
            limit = validator.validator if isinstance(validator, _Bound) else validator
            if isinstance(limit, validate.Length) and limit.max is not None:
                Length(max=limit.max)(value)
    elif isinstance(field, fields.Integer):
        try:
            number = int(value)
        except ValueError:
            return
        for validator in field.validators:
            if isinstance(validator, (validate.Range, _Bound)):
                validator(number)
    elif isinstance(field, fields.Date):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            return
        _day_in_range(day)


def finite_number(value) -> float:
    """``float(value)``, refusing (ValueError) what no column holds: NaN, ±Infinity, and a figure beyond the float
    range (``1e400`` reads as infinity)."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def bounded_int(value) -> int:
    """``int(value)``, refusing (ValueError) a number beyond the database's integer and a non-finite one."""
    if isinstance(value, float):
        finite_number(value)  # int() of NaN or Infinity raises ValueError or OverflowError
    number = int(value)
    if not -INT_MAX - 1 <= number <= INT_MAX:
        raise ValueError("out of range")
    return number


MAX_SELECTED = 500  # rows one bulk action takes at once (a list's page holds at most 200)


def selected_ids(values) -> list[int]:
    """The record ids a list's checkboxes sent (``ids``), at most ``MAX_SELECTED``; anything but an id is
    ignored. More is refused: ValueError with the message for the page."""
    ids = [int(i) for i in values if i.isdigit() and len(i) < 10]
    if len(ids) > MAX_SELECTED:
        raise ValueError(_("一次最多勾选 %(n)s 条记录", n=MAX_SELECTED))
    return ids


class BoundedArgs(ImmutableMultiDict):
    """Query and form arguments whose ``get(..., type=int)`` treats a number beyond the database's integer as
    invalid (the default), as it does a word."""

    def get(self, key, default=None, type=None):  # noqa: A002  (werkzeug's signature)
        return super().get(key, default, bounded_int if type is int else type)


class BoundedRequest(Request):
    parameter_storage_class = BoundedArgs


def _digits_up_to(limit: int) -> str:
    """A regular expression matching the decimal numbers 0 … ``limit`` (leading zeros within its width)."""
    digits = str(limit)
    choices = [rf"\d{{1,{len(digits) - 1}}}", digits]
    for i, digit in enumerate(digits):
        if digit != "0":
            choices.append(rf"{digits[:i]}[0-{int(digit) - 1}]\d{{{len(digits) - i - 1}}}")
    return "(?:" + "|".join(choices) + ")"


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: 0 … 2³¹−1, so an id beyond the column's range is a 404 like any other. The
    bound is in the pattern: werkzeug decides 404 or 405 before it converts, so a number refused only when
    converted would answer 405 to every method the route does not have."""

    regex = _digits_up_to(INT_MAX)

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _bad_values(value, path: str = ""):
    """(where, message) for each string of a JSON value that holds NUL, is longer than any text field, or is a
    date outside 2000-01-01 … five years ahead (a step's free-form fields too), and each number no column can
    hold (NaN and Infinity, which Python's JSON reader accepts, included)."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "_schema", "不能包含空字符（\\u0000）"
        elif len(value) > CONTENT:
            yield path or "_schema", f"不能超过 {CONTENT} 个字"
        elif _ISO_DAY.fullmatch(value.strip()):
            try:
                _day_in_range(date.fromisoformat(value.strip()))
            except ValueError:  # not a real day: the field's own check says so
                pass
            except ValidationError as exc:
                yield path or "_schema", exc.messages[0]
    elif isinstance(value, bool):
        return
    elif isinstance(value, int) and abs(value) > BIGINT_MAX:
        yield path or "_schema", "数值超出范围"
    elif isinstance(value, float) and not math.isfinite(value):  # NaN, Infinity, or 1e400 (read as Infinity)
        yield path or "_schema", "须为有限的数字"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _bad_values(key, path)
            yield from _bad_values(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _bad_values(item, f"{path}.{index}" if path else str(index))


def check_request_inputs():
    """Before every view: no string of the query, the form, an upload's name or the JSON body holds NUL, exceeds
    the longest text field or is a date out of range, no number exceeds a column; a form registered with its
    schema obeys that schema's limits. Refused as InvalidInput (422, on a page for a form)."""
    from core.errors import InvalidInput

    errors: dict[str, list[str]] = {}
    found = [*((where, m) for source in (request.args, request.form) for key, value in source.items(multi=True)
               for where, m in _bad_values(value, key)),
             *((key, m) for key, upload in request.files.items(multi=True)
               for _where, m in _bad_values(upload.filename or "", key))]
    if request.is_json and request.content_length:
        found += _bad_values(request.get_json(silent=True))
    for where, message in found:
        errors.setdefault(where, []).append(message)
    schema = _FORM_SCHEMAS.get(request.endpoint or "") if request.method == "POST" and request.form else None
    if schema is not None and not errors:
        errors = form_errors(schema(), request.form)
    if errors:
        raise InvalidInput(errors)


def install(app) -> None:
    """Put the bounds on the app: before its routes are declared (the converter applies to rules added later)."""
    app.url_map.converters["int"] = IdConverter
    app.request_class = BoundedRequest
    app.before_request(check_request_inputs)
    app.jinja_env.globals["form_limit"] = form_limit
