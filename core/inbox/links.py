"""How the inbox opens each kind of object: every area registers a link builder for its own object types.

The inbox is on the shared floor and knows no area; an area's views fill this table when they are imported
(``@register_link("petitions")``), and the inbox page and API read it."""
from __future__ import annotations

from core.areas import Registry
from core.inbox.models import InboxItem

# object_type -> function(item, unit_id) -> URL
LINKS = Registry("inbox links")


def register_link(object_type: str):
    def decorate(func):
        LINKS.register(object_type, func)
        return func
    return decorate


def link_for(item: InboxItem, unit_id: int) -> str | None:
    builder = LINKS.get(item.object_type)
    return builder(item, unit_id) if builder else None
