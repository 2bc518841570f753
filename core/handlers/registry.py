"""The record types that carry a named handler (承办人): a table the handlers floor offers and every area fills.

The handlers floor sits below the casework areas (core/AREAS.md), so it cannot import them: each area registers
its handled record type in its ``area.py`` ``install`` — the model, what "open" and "overdue" mean for it, the
list page (and the parameter that filters it by handler) and the record's page — and the floor's assignment,
history, workload and bulk actions work on every registered type alike, now and for the areas still to come.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from core.areas import Registry


@dataclass(frozen=True)
class HandledType:
    """One handled record type, as its area declares it.

    - ``model``: the mapped class (with ``core.handlers.models.Handled``); its table name is the key;
    - ``label``: the kind of record in words (信访举报件);
    - ``handle_action`` / ``read_action``: what a handler must be allowed to do at the owning unit, and what
      reading the record asks (``tenants.access.Action``);
    - ``unit_column``: the column naming the unit whose member handles it (a supervision item: the receiver);
    - ``open_clause()`` / ``overdue_clause(today)``: SQL conditions of an open and of an overdue record;
      ``is_open(record)``: the same test in Python (a closed record gets no new handler);
    - ``title(record)``: how a message names the record (its number);
    - ``list_endpoint`` with ``list_args(unit)`` (more URL values, or None when the unit has no such list) and
      ``handler_param``: the list filtered by handler; ``open_args`` / ``overdue_args``: the list's own filters
      showing the open / overdue records;
    - ``detail_endpoint`` with ``detail_args(record)``: the record's page.
    """
    model: type
    label: Any
    handle_action: Any
    read_action: Any
    open_clause: Callable[[], Any]
    overdue_clause: Callable[[date], Any]
    is_open: Callable[[Any], bool]
    title: Callable[[Any], str]
    list_endpoint: str
    detail_endpoint: str
    detail_args: Callable[[Any], dict]
    unit_column: str = "unit_id"
    handler_param: str = "handler"
    list_args: Callable[[Any], dict | None] = field(default=lambda unit: {})
    open_args: dict = field(default_factory=dict)
    overdue_args: dict = field(default_factory=lambda: {"overdue": "1"})

    @property
    def key(self) -> str:
        return self.model.__tablename__

    def owner_id(self, record) -> int:
        return getattr(record, self.unit_column)

    def owner_column(self):
        return getattr(self.model, self.unit_column)


# Filled by the areas at start-up (petitions, clearing, zeroing, supervision; later areas the same way).
HANDLED = Registry("record types with a named handler")


def handled_type(object_type: str) -> HandledType | None:
    return HANDLED.get(object_type)


def handled_type_of(record) -> HandledType | None:
    return HANDLED.get(getattr(record, "__tablename__", ""))
