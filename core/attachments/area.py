"""The attachments area's declaration for the app factory (core/areas.py): on the shared floor.

Its ``install`` puts ``attachments_panel(record)`` among the templates' globals: a record's page shows its files
with ``{{ attachments_panel(record) }}``, and no area imports this one's views. The record types are registered
by their own areas (core.attachments.registry.register, in their ``install``)."""
from __future__ import annotations

from flask import Flask

from core.areas import Area
from core.attachments import api, views


def install(app: Flask) -> None:
    app.jinja_env.globals["attachments_panel"] = views.panel


AREA = Area("attachments", blueprints=(views.bp,), api=(api,), install=install)
