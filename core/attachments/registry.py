"""The record types that carry files (附件): a table the attachments floor offers and every area fills.

The floor sits below the casework areas (core/AREAS.md) and cannot import them: each area registers its
attachable record types in its ``area.py`` ``install`` (the model, the actions that read the record and attach to
it, whether a file may identify the informant), and upload, listing, preview, download and archive work on every
registered type alike, now and for the areas still to come.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.areas import Registry


@dataclass(frozen=True)
class AttachableType:
    """One record type that carries files.

    - ``model``: the mapped class (tenant-owned); its table name is the key and the attachment's object type;
    - ``read``: the actions (any one) that read the record, hence its files; ``attach``: that add a file;
    - ``informant``: a file may be marked as identifying the informant (the petition's letter): masked for
      officers, revealed by intake and leaders with a reason (``Action.INFORMANT_REVEAL``);
    - ``shared_read``: further share purposes through which its files travel to the grantee, each with the actions
      (any one) the reader needs there (the county's review of a township's case is the reviewers' and leaders')."""
    model: type
    read: tuple
    attach: tuple
    informant: bool = False
    shared_read: tuple = ()  # ((purpose, (action, …)), …)

    @property
    def key(self) -> str:
        return self.model.__tablename__

    def counterpart_of(self, record) -> int | None:
        """The record's other party, if its model declares one (a supervision item's receiver)."""
        column = getattr(self.model, "__counterparty__", None)
        return getattr(record, column) if column else None


# Filled by the areas at start-up (petitions, clearing, supervision, directives, zeroing, zones; later ones alike).
ATTACHABLE = Registry("record types that carry attachments")


def register(model, *, read: Any, attach: Any, informant: bool = False, shared_read: dict | None = None) -> None:
    """Declare ``model``'s records attachable (an area's ``install``); actions alone or as tuples."""
    as_tuple = (lambda actions: tuple(actions) if isinstance(actions, (tuple, list, set)) else (actions,))
    shared = tuple((purpose, as_tuple(actions)) for purpose, actions in (shared_read or {}).items())
    ATTACHABLE.register(model.__tablename__, AttachableType(model, as_tuple(read), as_tuple(attach), informant,
                                                            shared))


def attachable(object_type: str) -> AttachableType | None:
    return ATTACHABLE.get(object_type)


def attachable_of(record) -> AttachableType | None:
    return ATTACHABLE.get(getattr(record, "__tablename__", ""))
