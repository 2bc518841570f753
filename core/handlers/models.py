"""Handlers (承办人): the named officer of every record and the history of handlers (issue 19; being built).

A record type carries its handler through the ``Handled`` mixin: a member of the owning unit (for a supervision
item, of the receiving unit), set at registration and reassigned by a leader with a reason."""
from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class Handled:
    @declared_attr
    def handler_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("accounts.id"), index=True)
