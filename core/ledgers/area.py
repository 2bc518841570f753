"""The ledgers area's declaration for the app factory (core/areas.py): 18项台账, above reception (its 接访登记台账 is
one of the generated ledgers, through reporting's exporters), below guidance (which reads the townships'
completeness through ``core.ledgers.queries.completeness_by_unit``).

A township's ledgers: generated ones from the areas' records (``core.ledgers.registry.SOURCES``, filled by reporting
from its export registry), kept ones entered or imported; their completeness as figures; the county's spot checks."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.ledgers import api, demo, jobs, operations, views
from core.ledgers.models import LedgerRow, SpotCheck
from tenants.access import Action


AREA = Area(
    "ledgers", blueprints=(views.bp,), api=(api,), periodic=tuple(jobs.PERIODIC),
    recounts=(operations.refresh,),
    # Counted from the area's own records; the completeness figures (ledgers.current …) are time-based and set by
    # ``refresh`` (changed units, and every township daily), not part of the nightly recount.
    figures=(("ledgers.rows", operations.recount_rows), ("ledgers.spot", operations.recount_spot)),
    figure_sources=((LedgerRow, "unit_id"), (SpotCheck, "unit_id"), (SpotCheck, "township_id")),
    demo=(demo.seed,),
    workspace_links=(("ledgers.index", _l("工作台账"), Action.LEDGERS_READ, 58),),
)
