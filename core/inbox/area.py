"""The inbox area's declaration for the app factory (core/areas.py): the shared floor, below every area."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.inbox import api, queries
from core.inbox.views import bp
from tenants.access import Action
from tenants.workbench import RECORD_ROLES, Panel

# Ranked last: the entries of records already shown in a panel above are skipped.
AREA = Area("inbox", blueprints=(bp,), api=(api,),
            workbench=(Panel("inbox.open", _l("待办事项"), queries.workbench_inbox, RECORD_ROLES, rank=90,
                             href=("inbox.index", {}), action=Action.INBOX_READ),))
