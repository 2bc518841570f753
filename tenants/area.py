"""The tenancy layer's declaration for the app factory (core/areas.py): the workspace, the admin pages of
units and accounts, the units' API and the provisioning commands."""
from __future__ import annotations

from core.areas import Area
from tenants import api
from tenants.cli import register_tenancy_cli
from tenants.dictionary_views import admin_bp  # the admin pages, with 数据字典's routes added to them
from tenants.views import workspace_bp

AREA = Area("tenants", blueprints=(workspace_bp, admin_bp), api=(api,), cli=(register_tenancy_cli,))
