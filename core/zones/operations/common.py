"""What the zones' writes share: reading a date and a list of ids from input, with the errors in Chinese."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from core.errors import add_error
from core.schemas import bounded_int


def parse_day(value, errors: dict, field: str, label: str) -> date | None:
    if isinstance(value, date):
        return value
    if not value:
        add_error(errors, field, _("请填写%(what)s", what=label))
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        add_error(errors, field, _("%(what)s不是有效日期（应为 2026-11-21 这样的格式）", what=label))
        return None


def int_ids(values) -> list[int]:
    out = []
    for v in values or []:
        try:
            out.append(bounded_int(v))
        except (TypeError, ValueError):  # a word or a number beyond any id: no unit, no account
            continue
    return list(dict.fromkeys(out))
