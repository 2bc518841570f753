"""The handlers area's declaration for the app factory (core/areas.py): on the shared floor.

It offers ``core.handlers.registry.HANDLED``, which each area with handled records fills in its own ``install``;
its own install puts the record page's 承办人 panel and the lists' helpers in the templates' globals."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.handlers import api
from core.handlers.views import bp, install_globals
from tenants.access import Action


def install(app: Flask) -> None:
    install_globals(app)


AREA = Area("handlers", blueprints=(bp,), api=(api,),
            workspace_links=(("handlers.workload", _l("承办人工作量"), Action.HANDLERS_WORKLOAD, 60),), install=install)
