"""The casework areas' declared order, what each declares to the app factory, and the one registry pattern.

The areas sit in one order, lowest first (core/AREAS.md explains it): an area may import the kernel, the
tenancy layer and the areas below it, never one above it and never another area's ``views``. Where a lower
area must reach a higher one (supervision finds the petition an item concerns; a petition's unfounded
conclusion feeds the clearing pool), the lower area offers a ``Registry`` and the higher one fills it from its
declaration when the app starts (``Area.install``). ``tests/test_area_order.py`` holds the code to this.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from flask import Flask, current_app

# Lowest first. The shared floor (inbox, attachments, handlers, renditions, supervision) imports no area above
# it; every area may use the floor's mechanisms (files, the named handler, PDFs) and register its record types there.
ORDER = ("inbox", "attachments", "handlers", "renditions", "supervision", "petitions", "clearing", "directives",
         "zeroing", "leads", "cases", "villages", "meetings", "evidence", "zones", "imports",
         "reception", "ledgers", "guidance", "casebook")


@dataclass(frozen=True)
class Area:
    """What one area (or floor) brings to the app. The factory reads every field; nothing else is wired by hand.

    - ``blueprints``: its page blueprints; ``api``: the modules whose routes sit on the /api/v1 blueprint
      (imported by the declaration, listed so the reader sees them);
    - ``periodic``: its periodic jobs (``core.jobs.Periodic``), or a callable of the app's config giving them;
    - ``recounts``: per unit, the recount of its time-based figures (overdue counts …), called by reporting;
    - ``figures``: (metric prefix it owns, ``recount(unit, today) -> {(metric, period): value}``): its figures
      counted again from its records, next to the writes that move them; the nightly reconcile (reporting)
      compares them with the stats rows;
    - ``figure_sources``: (model, unit column) of its records: a unit with any has figures to recount;
    - ``demo``: its demo seeders, run in the order of the areas;
    - ``workspace_links``: (endpoint, label, action, rank in the menu); ``admin_links``: (endpoint, label, action);
    - ``status_panels``: callables giving a panel of the admin status page;
    - ``cli``: callables registering its commands on the app;
    - ``workbench``: its panels of the unit's home page (``tenants.workbench.Panel``: one query each);
    - ``install``: called once per app, after the areas below it: fills the registries of lower areas.
    """
    name: str
    blueprints: tuple = ()
    api: tuple = ()
    periodic: tuple | Callable[[dict], Iterable] = ()
    recounts: tuple = ()
    figures: tuple = ()
    figure_sources: tuple = ()
    demo: tuple = ()
    workspace_links: tuple = ()
    admin_links: tuple = ()
    status_panels: tuple = ()
    cli: tuple = ()
    workbench: tuple = ()
    install: Callable[[Flask], None] | None = None

    def periodic_jobs(self, config) -> list:
        return list(self.periodic(config) if callable(self.periodic) else self.periodic)


@dataclass
class Installed:
    """The areas an app was built from, in order, with their declarations merged (``app.extensions``)."""
    areas: list[Area] = field(default_factory=list)
    periodic: list = field(default_factory=list)

    def _all(self, name: str) -> list:
        return [entry for area in self.areas for entry in getattr(area, name)]

    @property
    def recounts(self) -> list:
        return self._all("recounts")

    @property
    def figures(self) -> list:
        """(metric prefix, recount) of every area, in the areas' order."""
        return self._all("figures")

    @property
    def figure_sources(self) -> list:
        """(model, unit column) whose units have figures to recount."""
        return self._all("figure_sources")

    @property
    def workspace_links(self) -> list:
        """(endpoint, label, action), in the menu's order (each link's rank: the menu was not built area by area)."""
        return [link[:3] for link in sorted(self._all("workspace_links"), key=lambda link: link[3])]

    @property
    def admin_links(self) -> list:
        return self._all("admin_links")

    @property
    def status_panels(self) -> list:
        return self._all("status_panels")

    @property
    def demo_seeders(self) -> list:
        return self._all("demo")

    @property
    def workbench(self) -> list:
        """The workbench panels of every area (tenants.workbench picks them by role)."""
        return self._all("workbench")


EXTENSION = "qinglian"


def installed(app: Flask | None = None) -> Installed:
    return (app or current_app).extensions[EXTENSION]


class Registry:
    """A named table that a lower layer reads and higher ones fill at start-up (``Area.install``).

    Keys make filling idempotent (tests build several apps in one process). ``hook`` entries are called in the
    order of registration, which follows the declared order of the areas."""

    def __init__(self, name: str):
        self.name = name
        self._entries: dict[str, Any] = {}

    def register(self, key: str, value: Any) -> None:
        self._entries[key] = value

    def get(self, key: str, default: Any = None) -> Any:
        return self._entries.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._entries[key]

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def items(self):
        return list(self._entries.items())

    def values(self):
        return list(self._entries.values())

    def fire(self, *args, **kwargs) -> list:
        """Call every registered hook with the arguments; their answers, in order."""
        return [hook(*args, **kwargs) for hook in self._entries.values()]


# A record's page (a petition's, a lead's, a case's) shows the panels higher areas keep about it (the remote interviews
# of core/evidence …) with ``{{ record_panels(record) }}``: each entry ``panel(record) -> Markup`` answers "" where the
# account may not see it or the record is not of its kind. The lower area's template names no higher area.
RECORD_PANELS = Registry("panels higher areas show on a record's page")


def record_panels(record):
    from markupsafe import Markup

    return Markup("").join(RECORD_PANELS.fire(record))
