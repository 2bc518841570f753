"""Times as people read them: stored in UTC, shown in the deployment's zone (``QINGLIAN_TIMEZONE``,
default Asia/Shanghai).

The one place that turns a stored instant into local time: the templates' ``local_time`` filter,
messages built in Python, the Word and xlsx files and the API's ``…_at`` fields (``LocalDateTime``,
ISO 8601 with the zone's offset) all go through ``local``.
"""
from __future__ import annotations

import os
from datetime import date, datetime, time, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask.json.provider import DefaultJSONProvider
from marshmallow import fields

from core.clock import utcnow

DEFAULT_ZONE = "Asia/Shanghai"
MINUTES = "%Y-%m-%d %H:%M"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    """The deployment's zone (the app's setting; outside an app, the environment's)."""
    name = current_app.config.get("TIMEZONE") if has_app_context() else None
    return _zone(name or os.environ.get("QINGLIAN_TIMEZONE") or DEFAULT_ZONE)


def local(value: datetime | str | None) -> datetime | None:
    """A stored instant (aware, naive UTC as SQLite hands it back, or its ISO text) in the deployment's zone."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(zone())


def local_naive(value: datetime | str | None) -> datetime | None:
    """The local wall-clock time without a zone, for files that cannot hold one (xlsx cells, Word)."""
    moment = local(value)
    return moment.replace(tzinfo=None) if moment else None


def local_time(value: datetime | str | None, fmt: str = MINUTES) -> str:
    """The template filter and message helper: ``2026-11-18 21:17`` (or ``fmt``); empty for no time."""
    moment = local(value)
    return moment.strftime(fmt) if moment else ""


def local_iso(value: datetime | str | None) -> str | None:
    """ISO 8601 with the zone's offset, to the second: ``2026-11-18T21:17:00+08:00``."""
    moment = local(value)
    return moment.isoformat(timespec="seconds") if moment else None


def local_date(value: datetime | str | None) -> date | None:
    """The day an instant fell on in the deployment's zone."""
    moment = local(value)
    return moment.date() if moment else None


def day_start(day: date) -> datetime:
    """The first instant of a day in the deployment's zone, in UTC (as every stored time)."""
    return datetime.combine(day, time(0), tzinfo=zone()).astimezone(timezone.utc)


def now() -> datetime:
    return utcnow().astimezone(zone())


class LocalDateTime(fields.DateTime):
    """An API ``…_at`` field: serialised in the deployment's zone with its offset; parses any ISO 8601."""

    def _serialize(self, value, attr, obj, **kwargs):
        return local_iso(value)


class LocalTimeJSONProvider(DefaultJSONProvider):
    """``jsonify`` of a bare datetime: ISO 8601 in the deployment's zone (Flask's default is RFC 822 in GMT)."""

    @staticmethod
    def default(o):
        if isinstance(o, datetime):
            return local_iso(o)
        return DefaultJSONProvider.default(o)


def init_app(app) -> None:
    app.json = LocalTimeJSONProvider(app)
    app.add_template_filter(local_time, "local_time")
