"""The attachments area's declaration for the app factory (core/areas.py): on the shared floor.

Its ``install`` puts ``attachments_panel(record)`` among the templates' globals: a record's page shows its files
with ``{{ attachments_panel(record) }}``, and no area imports this one's views. The record types are registered
by their own areas (core.attachments.registry.register, in their ``install``)."""
from __future__ import annotations

from flask import Flask, current_app, request

from core.areas import Area
from core.attachments import api, views

# The routes that stream a file in: the only ones whose body may exceed the app's MAX_CONTENT_LENGTH.
UPLOAD_ENDPOINTS = frozenset({"attachments.upload", "api.upload_attachments"})


def allow_large_uploads() -> None:
    """Raise the body limit of an upload route to the largest kind's (a video, 2 GB by default) before anything
    reads the body: CSRF protection parses the form in its own before-request, so this one runs first. Every
    other route keeps the app's limit, since some read a whole body into memory (spreadsheet imports)."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config["ATTACHMENT_MAX_REQUEST"]


def install(app: Flask) -> None:
    app.jinja_env.globals["attachments_panel"] = views.panel
    first = app.before_request_funcs.setdefault(None, [])
    if allow_large_uploads not in first:
        first.insert(0, allow_large_uploads)


AREA = Area("attachments", blueprints=(views.bp,), api=(api,), install=install)
