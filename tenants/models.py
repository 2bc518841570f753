from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from flask_babel import lazy_gettext as _l

from core.extensions import db
from core.identity.models import Account
from core.models import TimestampMixin, VersionedMixin


class UnitLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    STATIONED = "stationed"  # 派驻组, under a city or county


LEVEL_LABELS = {
    UnitLevel.PROVINCE: _l("省"),
    UnitLevel.CITY: _l("市"),
    UnitLevel.COUNTY: _l("县(区)"),
    UnitLevel.TOWNSHIP: _l("乡镇(街道)"),
    UnitLevel.STATIONED: _l("派驻组"),
}

# Which level may sit under which (a county-level unit directly under a province covers
# 省直管县; a township directly under a city covers cities without counties).
ALLOWED_PARENTS = {
    UnitLevel.PROVINCE: {None},
    UnitLevel.CITY: {UnitLevel.PROVINCE},
    UnitLevel.COUNTY: {UnitLevel.CITY, UnitLevel.PROVINCE},
    UnitLevel.TOWNSHIP: {UnitLevel.COUNTY, UnitLevel.CITY},
    UnitLevel.STATIONED: {UnitLevel.CITY, UnitLevel.COUNTY},
}


class Role(StrEnum):
    LEADER = "leader"
    OFFICER = "officer"
    INTAKE = "intake"
    REVIEWER = "reviewer"
    CASE_ADMIN = "case_admin"
    ANALYST = "analyst"
    UNIT_ADMIN = "unit_admin"


ROLE_LABELS = {
    Role.LEADER: _l("委领导"),
    Role.OFFICER: _l("承办"),
    Role.INTAKE: _l("信访"),
    Role.REVIEWER: _l("审理"),
    Role.CASE_ADMIN: _l("案管"),
    Role.ANALYST: _l("统计"),
    Role.UNIT_ADMIN: _l("单位管理员"),
}


def upper_bound(path: str) -> str:
    """Exclusive upper bound of the subtree range: '1.5.' -> '1.5/' ('/' follows '.')."""
    return path[:-1] + "/"


def descendants_query(unit: "Unit"):
    """The unit's active descendants (not itself) that downward flows can reach, in tree order: the range
    scan on ``path``. A federated unit stands for another deployment: it has figures, never casework."""
    from sqlalchemy import select

    return (select(Unit).where(Unit.path > unit.path, Unit.path < upper_bound(unit.path), Unit.archived_at.is_(None),
                               Unit.federated.is_(False))
            .order_by(Unit.path))


class Unit(TimestampMixin, VersionedMixin, db.Model):
    """A tenant. Not itself tenant-owned: the tree's shape is known to the platform."""

    __tablename__ = "units"
    __table_args__ = (Index("ix_units_path", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Stands for another deployment (reporting.federation): its figures are pushed from there, so no
    # casework here moves them and no recount from records here touches them.
    federated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=sa_false())

    parent: Mapped[Unit | None] = relationship(remote_side=[id])

    @property
    def is_active(self) -> bool:
        return self.archived_at is None

    @property
    def takes_casework(self) -> bool:
        """Active and of this deployment: a unit that directives, routings and supervision items can reach."""
        return self.archived_at is None and not self.federated

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[UnitLevel(self.level)]

    @property
    def depth(self) -> int:
        return self.path.count(".")

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.split(".")[:-2]]

    def contains(self, other: Unit) -> bool:
        """True when ``other`` is this unit or one of its descendants."""
        return other.path.startswith(self.path)


class TenantOwned:
    """Mixin for every tenant-owned row: carries its owning unit and that unit's path.

    Such tables get the ORM auto-filter and, on PostgreSQL, forced row-level security.
    ``unit_path`` follows the unit when it moves (tenants.operations.move_unit).

    Downward flows give a row a second audience, declared on the model and enforced by both
    the auto-filter (tenants/scoping.py) and RLS (the migration passes the same to tenants/rls.py):

    - ``__counterparty__ = "column"``: the unit named in that column sees and writes the row too
      (the other party of a supervision item or of a directive receipt);
    - ``__received_via__ = (table, column, local_column)``: a unit owning a row of ``table`` whose
      ``column`` equals this row's ``local_column`` sees the row (a directive, seen by its receivers);
    - ``__inherited__ = True``: every unit below the owner reads the row (a list the province or a
      city defines for its whole subtree, like the clearing 正反清单); only the owner writes it.
    """

    __counterparty__: str | None = None
    __received_via__: tuple[str, str, str] | None = None
    __inherited__: bool = False

    @declared_attr
    def unit_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("units.id"), nullable=False, index=True)

    @declared_attr
    def unit_path(cls) -> Mapped[str]:
        return mapped_column(String(255), nullable=False, index=True)


class Membership(TimestampMixin, VersionedMixin, db.Model):
    """An account's role at a unit. Ended memberships are kept (archived), never deleted."""

    __tablename__ = "memberships"
    __table_args__ = (
        Index("ix_memberships_account_id", "account_id"),
        Index("ix_memberships_unit_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    account: Mapped[Account] = relationship()
    unit: Mapped[Unit] = relationship()

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[Role(self.role)]


class Share(TimestampMixin, db.Model):
    """Explicit visibility of one record to another unit or account, made by a flow.

    ``unit_id`` is the record's owning unit (the grantor side). A share never carries
    informant identity: loaders mask it for anyone reading through a share.
    """

    __tablename__ = "shares"
    __table_args__ = (
        Index("ix_shares_object", "object_type", "object_id"),
        Index("ix_shares_grantee_unit_id", "grantee_unit_id"),
        Index("ix_shares_unit_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), nullable=False)
    grantee_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    grantee_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    transitions: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    reason: Mapped[str | None] = mapped_column(Text)

    @property
    def allowed_transitions(self) -> set[str]:
        return {t for t in self.transitions.split(",") if t}


class ShareAccess(TenantOwned, db.Model):
    """One reading of, or step on, a record through a share: the record's owner (``unit_id``) sees on its
    timeline who outside it looked or acted, under which share, when. Written as the owner."""

    __tablename__ = "share_accesses"
    __table_args__ = (Index("ix_share_accesses_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("shares.id"), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), nullable=False)
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    grantee_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # the unit the account acted in
    action: Mapped[str] = mapped_column(String(64), nullable=False)  # "read" or the transition taken
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    account: Mapped[Account | None] = relationship()
    grantee_unit: Mapped[Unit | None] = relationship(foreign_keys=[grantee_unit_id])


class UnitStat(TenantOwned, db.Model):
    """One figure of one unit (stock by stage, dated increments). Ancestors sum these by path range."""

    __tablename__ = "unit_stats"
    __table_args__ = (
        UniqueConstraint("unit_id", "metric", "period"),
        # Roll-ups: metric, then the stock or period keys, then the subtree's path range (index-only on PG).
        Index("ix_unit_stats_rollup", "metric", "period", "unit_path", postgresql_include=["value"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(64), nullable=False)
    # '' for current stock; dated increments under their ISO day, week, month and year (tenants/stats.py).
    period: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    value: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), nullable=False, default=0)


class ChangedUnit(TenantOwned, db.Model):
    """A unit whose figures moved since the last refresh: its time-based figures (overdue) are
    recounted by a job within a minute (reporting/jobs.py), never in the writing transaction."""

    __tablename__ = "changed_units"
    __table_args__ = (UniqueConstraint("unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class UnitStatJournal(TenantOwned, db.Model):
    """One move of a unit's own stats row (bump_stat, set_stat, a federated push), appended in the writing
    transaction (no row is updated there, so no hot rows). The fold (reporting.operations.fold_journal)
    adds the moves to the subtree totals of the unit and of every ancestor and deletes them; until then a
    roll-up adds the moves in its subtree's range to its totals, so figures are exact at commit."""

    __tablename__ = "unit_stat_journal"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    metric: Mapped[str] = mapped_column(String(64), nullable=False)
    period: Mapped[str] = mapped_column(String(16), nullable=False)
    delta: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class UnitStatTotal(TenantOwned, db.Model):
    """A unit's figure summed over its whole subtree (itself included) as of the last fold of the journal;
    written by the fold and the rebuild only (maintenance context)."""

    __tablename__ = "unit_stat_totals"
    __table_args__ = (
        # The fold's upserts, and every read: a roll-up reads a few units' rows (by id) at a few metrics and
        # keys, index-only on PG with the path (the subtree check) and the value carried. An index led by
        # (metric, period, unit_path) made PostgreSQL 15 scan the key's rows of the whole subtree and filter
        # the units listed (4,913 read for 44 kept, 6 ms, at the province's children; this one: 0.4 ms).
        Index("uq_unit_stat_totals_unit_id", "unit_id", "metric", "period", unique=True,
              postgresql_include=["unit_path", "value"]),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    metric: Mapped[str] = mapped_column(String(64), nullable=False)
    period: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    value: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), nullable=False, default=0)

    # The unique index leads with unit_id: no index of unit_id alone.
    @declared_attr
    def unit_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("units.id"), nullable=False)
