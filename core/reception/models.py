"""The reception area's records (轮流坐班接访 · 三访合一), all the receiving unit's own:

- ``reception_rotas``: a month for which the unit's leader set the reception room's rota (its working days, by the
  working-day calendar: holidays skipped, a 调休 working Saturday included, each needs a receptionist);
- ``reception_duties``: one working day of a rota month and the staff member on duty in the reception room (a day
  unassigned later keeps its row with nobody: nothing is deleted);
- ``reception_swaps``: a swap (调班) between two staff: who, which days, the reason; the duties move with it;
- ``receptions``: each reception, logged as 接访 (walk-in), 下访 (staff visiting a village) or 约访 (appointment):
  the day, the staff member, the person received (sealed at rest like a petition's informant: masked on pages,
  revealed with a reason that is audited, never in a ledger, a share or a roll-up), the matter and the outcome,
  and the petition registered from it (channel 来访) when it raised a report.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.crypto import Sealed, seal_pending
from core.extensions import db
from core.models import TimestampMixin, VersionedMixin
from core.reception.workflow import KINDS
from tenants.models import TenantOwned


class ReceptionRota(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "reception_rotas"
    __table_args__ = (UniqueConstraint("unit_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), nullable=False)  # YYYY-MM
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class ReceptionDuty(TenantOwned, TimestampMixin, db.Model):
    __tablename__ = "reception_duties"
    __table_args__ = (UniqueConstraint("unit_id", "day"), Index("ix_reception_duties_rota", "rota_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    rota_id: Mapped[int] = mapped_column(ForeignKey("reception_rotas.id"), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    # Nobody (None, ""): the day was unassigned since (nothing is deleted); it counts as uncovered.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    staff_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")


class ReceptionSwap(TenantOwned, TimestampMixin, db.Model):
    __tablename__ = "reception_swaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_day: Mapped[date] = mapped_column(Date, nullable=False)
    first_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    first_name: Mapped[str] = mapped_column(String(100), nullable=False)
    second_day: Mapped[date | None] = mapped_column(Date)  # None: 代班, the second covers the first's day only
    second_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    second_name: Mapped[str] = mapped_column(String(100), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


@seal_pending
class Reception(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "receptions"
    __table_args__ = (UniqueConstraint("unit_id", "year", "seq"),
                      Index("ix_receptions_list", "unit_id", "received_on"),
                      Index("ix_receptions_petition", "petition_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # walk_in | visit | appointment
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    staff_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    staff_name: Mapped[str] = mapped_column(String(100), nullable=False)
    place: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    anonymous: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The person received, sealed (SM4-GCM bound to table, unit, id and field); the attributes read plain text.
    sealed_person_name: Mapped[str] = mapped_column("person_name", Text, nullable=False, default="")
    sealed_person_id_number: Mapped[str] = mapped_column("person_id_number", Text, nullable=False, default="")
    sealed_person_phone: Mapped[str] = mapped_column("person_phone", Text, nullable=False, default="")
    sealed_person_address: Mapped[str] = mapped_column("person_address", Text, nullable=False, default="")
    person_name = Sealed("sealed_person_name")
    person_id_number = Sealed("sealed_person_id_number")
    person_phone = Sealed("sealed_person_phone")
    person_address = Sealed("sealed_person_address")
    matter: Mapped[str] = mapped_column(Text, nullable=False)
    outcome: Mapped[str] = mapped_column(Text, nullable=False)
    petition_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id"))
    petition_number: Mapped[str | None] = mapped_column(String(64))
    converted_on: Mapped[date | None] = mapped_column(Date)
    converted_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, ""))

    @property
    def label(self) -> str:
        """How lists, the inbox and the petition's page name it: its number, never the person."""
        return self.number

    def person(self) -> dict[str, str]:
        return {"name": self.person_name, "id_number": self.person_id_number, "phone": self.person_phone,
                "address": self.person_address}
