"""Query scoping: the ORM auto-filter (safety net) and the one scoped loader.

Layer 1 is ``load_scoped``: every view loads a tenant object through it and gets 404 for
anything outside the acting unit. Layer 2 is the auto-filter below, added to every ORM
SELECT/UPDATE/DELETE of a tenant table. Layer 3 is PostgreSQL RLS (tenants/rls.py).
The filter has known gaps (``Session.get`` served from the identity map, Core SQL), which
is why it is never the only guard. The loader is also where reads of records are audited.
"""
from __future__ import annotations

from functools import lru_cache

from flask import has_request_context, request
from sqlalchemy import and_, bindparam, event, false, or_, select, true
from sqlalchemy.orm import RelationshipProperty, Session, with_loader_criteria
from sqlalchemy.orm.util import LoaderCriteriaOption
from sqlalchemy.sql import TableClause, visitors

from core import context
from core.audit.models import AuditEvent
from core.audit.operations import record as audit
from core.clock import utcnow
from core.extensions import db
from core.workflow import TransitionRecord
from core.identity.models import PlatformRole
from tenants.access import Action, can, deny
from tenants.operations import record_share_access
from tenants.models import (Membership, Share, TenantOwned, Unit, UnitStat, UnitStatJournal, UnitStatTotal,
                            upper_bound)


def active_shares_clause(object_type: str, ctx: context.ActingContext):
    return and_(Share.object_type == object_type, active_shares_clause_any(ctx))


def active_shares_clause_any(ctx: context.ActingContext):
    grantee = []
    if ctx.unit_id:
        grantee.append(Share.grantee_unit_id == ctx.unit_id)
    if ctx.account_id:
        grantee.append(Share.grantee_account_id == ctx.account_id)
    if not grantee:
        return false()
    return and_(
        Share.revoked_at.is_(None),
        # "Now" is bound when the statement runs, not when the clause is built: the filters are cached.
        or_(Share.expires_at.is_(None),
            Share.expires_at > bindparam(None, callable_=utcnow, type_=Share.__table__.c.expires_at.type)),
        or_(*grantee),
    )


def _record_criteria(model, ctx):
    own = model.unit_id == ctx.unit_id if ctx.unit_id else false()
    clauses = [own, model.id.in_(select(Share.object_id).where(active_shares_clause(model.__tablename__, ctx)))]
    if ctx.unit_id and getattr(model, "__counterparty__", None):
        clauses.append(getattr(model, model.__counterparty__) == ctx.unit_id)
    if ctx.unit_id and getattr(model, "__received_via__", None):
        table_name, column, local = model.__received_via__
        via = db.metadata.tables[table_name]
        clauses.append(getattr(model, local).in_(select(via.c[column]).where(via.c.unit_id == ctx.unit_id)))
    if ctx.unit_path and getattr(model, "__inherited__", False):
        clauses.append(model.unit_id.in_(path_ids(ctx.unit_path)))
    return or_(*clauses)


def path_ids(path: str) -> list[int]:
    """The unit ids of a materialized path, root first ('1.5.9.' -> [1, 5, 9])."""
    return [int(p) for p in path.split(".") if p]


def _criteria(model, ctx: context.ActingContext):
    if model is AuditEvent:
        return true() if ctx.platform_role == PlatformRole.AUDIT else false()
    if model is Membership:
        clauses = []
        if ctx.unit_id:
            clauses.append(Membership.unit_id == ctx.unit_id)
        if ctx.account_id:
            clauses.append(Membership.account_id == ctx.account_id)
        if ctx.platform_role in (PlatformRole.SYSTEM, PlatformRole.SECURITY):
            clauses.append(true())
        return or_(*clauses) if clauses else false()
    if model is Share:
        clauses = []
        if ctx.unit_id:
            clauses += [Share.unit_id == ctx.unit_id, Share.grantee_unit_id == ctx.unit_id]
        if ctx.account_id:
            clauses.append(Share.grantee_account_id == ctx.account_id)
        return or_(*clauses) if clauses else false()
    if model in (UnitStat, UnitStatTotal, UnitStatJournal):
        # Figures, numbers only: every unit of the subtree's (as RLS has it).
        if not ctx.unit_path:
            return false()
        return and_(model.unit_path >= ctx.unit_path, model.unit_path < upper_bound(ctx.unit_path))
    if model is TransitionRecord:
        # A record's history follows the record: its owner, its counterpart, and shares of the record itself.
        clauses = [select(Share.id).where(Share.object_type == model.object_type, Share.object_id == model.object_id,
                                          active_shares_clause_any(ctx)).exists()]
        if ctx.unit_id:
            clauses += [model.unit_id == ctx.unit_id, model.counterpart_unit_id == ctx.unit_id]
        return or_(*clauses)
    return _record_criteria(model, ctx)


def tenant_models() -> list[type]:
    """Every mapped class whose table carries ``unit_id`` (the tables RLS covers too)."""
    return [
        mapper.class_
        for mapper in db.Model.registry.mappers
        if "unit_id" in mapper.local_table.c and mapper.local_table.name != "units"
    ]


def _add_tenant_filter(state):
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("skip_tenant_filter"):
        return
    ctx = context.current()
    if ctx.maintenance:
        return
    options = _criteria_options(state.statement, _filter_options(ctx))
    if options:
        state.statement = state.statement.options(*options)


def _criteria_options(statement, by_table: dict[str, tuple]) -> list:
    """The criteria of the tenant tables the statement reads (in any join or subquery), not of all of them:
    SQLAlchemy keys its statement cache on every option, ~25 µs per model, so the ~40 models' criteria
    cost ~1 ms on each statement, most of which read one or two tenant tables or none.

    A joined eager load adds its tables only when the statement is compiled, so a statement with any
    loader option (other than criteria, which relationship loads inherit) gets every table's criteria.
    Lazy and select-in loads are statements of their own and come through here themselves."""
    if any(not isinstance(option, LoaderCriteriaOption) for option in statement._with_options):
        return [option for options in by_table.values() for option in options]
    return [option for name in _tables_read(statement) for option in by_table.get(name, ())]


def _tables_read(statement) -> dict[str, None]:
    """The names of the tables in the statement and its subqueries, with the targets of its joins along a
    relationship (``.join(Case.visits)``), which are only resolved when the statement is compiled."""
    names: dict[str, None] = {}
    for element in visitors.iterate(statement):
        if isinstance(element, TableClause):
            names[element.name] = None
        for join in getattr(element, "_setup_joins", ()):
            for part in join[:2]:  # the target and the ON clause, either of which may be a relationship
                relationship = getattr(part, "property", None)
                if isinstance(relationship, RelationshipProperty):
                    names[relationship.mapper.local_table.name] = None
                    if relationship.secondary is not None:
                        names[relationship.secondary.name] = None
    return names


@lru_cache(maxsize=4096)
def _filter_options(ctx: context.ActingContext) -> dict[str, tuple]:
    """The loader criteria of every tenant model by table name, built once per acting context for the
    process: building them took 78 % of a short query (the clearing queue bench). They hold no time of
    their own: a share's expiry is compared with a parameter bound when each statement runs, so a cached
    filter never outlives a share."""
    by_table: dict[str, list] = {}
    for model in tenant_models():
        by_table.setdefault(model.__table__.name, []).append(
            with_loader_criteria(model, _criteria(model, ctx), include_aliases=True))
    return {name: tuple(options) for name, options in by_table.items()}


def active_share(object_type: str, object_id: int, ctx: context.ActingContext | None = None) -> Share | None:
    ctx = ctx or context.current()
    return db.session.scalar(
        select(Share).where(Share.object_id == object_id, active_shares_clause(object_type, ctx)).limit(1)
    )


def _second_audience(model, obj, unit: Unit) -> bool:
    """The counterparty or a receiver of a downward item, or a unit below an inherited row (``TenantOwned``)."""
    if model.__inherited__ and obj.unit_id in path_ids(unit.path):
        return True
    if model.__counterparty__ and getattr(obj, model.__counterparty__) == unit.id:
        return True
    if model.__received_via__:
        table_name, column, local = model.__received_via__
        via = db.metadata.tables[table_name]
        return db.session.scalar(select(via.c.id).where(via.c[column] == getattr(obj, local),
                                                        via.c.unit_id == unit.id).limit(1)) is not None
    return False


def reaches(obj, unit: Unit) -> tuple[bool, Share | None]:
    """Whether ``obj`` reaches the acting ``unit`` (its own, a second audience, or an active share to it), with
    the share it comes through. The loader's rule; ``may_open`` asks it for links."""
    model = type(obj)
    if obj.unit_id == unit.id or (issubclass(model, TenantOwned) and _second_audience(model, obj, unit)):
        return True, None
    share = active_share(model.__tablename__, obj.id) if issubclass(model, TenantOwned) else None
    return share is not None, share


def may_open(account, action: Action, unit: Unit | None, obj) -> bool:
    """Would the page of ``obj`` guarded by ``action`` open for ``account`` acting at ``unit``: the scoped
    loader's decision, without its 404 (and without counting as a look). Links ask it before they are shown."""
    return obj is not None and unit is not None and can(account, action, unit, target=unit) and reaches(obj, unit)[0]


def load_scoped(model, object_id, *, unit: Unit, account, action: Action = Action.RECORDS_READ, own: bool = False):
    """The one way to load a tenant object for a request: its own, or shared to the acting unit; else 404.

    ``own``: the acting unit's own object only (what only its owner may do: edit, decide, archive); a second
    audience or a share reads it but gets 404 here."""
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        deny(action, unit=unit, object_type=model.__tablename__, object_id=object_id)
    obj = db.session.scalar(select(model).where(model.id == object_id))
    if own:
        visible, share = (obj is not None and obj.unit_id == unit.id), None
    else:
        visible, share = reaches(obj, unit) if obj is not None else (False, None)
    if not visible or not can(account, action, unit, target=unit):
        deny(action, unit=unit, object_type=model.__tablename__, object_id=object_id)
    if share is not None:
        record_share_access(share)  # every look through a share: the owner's timeline and the audit trail
    elif has_request_context() and request.method == "GET" and model.__tablename__ not in NOT_RECORDS:
        _note_read(obj, unit, account)
    return obj


# Reads are audited here, once for every area: one ``<object type>.read`` entry per record a GET opens (its
# page, its API answer, its document), never per row of a list (lists do not come through the loader). A POST
# that loads a record is audited by its change; a look through a share is a share access (above). Not records:
# an account's export and import jobs and the PDF renditions of documents, whose pages show a job's progress
# and are polled by it; what they carry is audited where it leaves (exports.download, renditions.download) or
# comes in (petition.import).
NOT_RECORDS = frozenset({"exports", "import_jobs", "document_renditions"})
_READS = "qinglian.reads"  # Session.info: the records the transaction's request opened, audited at its commit


def _note_read(obj, unit: Unit, account) -> None:
    db.session.info.setdefault(_READS, {}).setdefault((obj.__tablename__, obj.id), (unit.id, account))


def _audit_reads(session) -> None:
    """Write the reads when the request commits, not when the record is loaded: the acting unit's audit chain
    head is locked for the commit only, not while the page renders. A request that fails or is denied rolls
    back, and its reads with it (the page was never shown)."""
    for (object_type, object_id), (unit_id, account) in session.info.pop(_READS, {}).items():
        audit(f"{object_type}.read", unit_id=unit_id, object_type=object_type, object_id=object_id, account=account)


def _forget_reads(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended: committed (written above) or rolled back
        session.info.pop(_READS, None)


_LISTENERS = (("do_orm_execute", _add_tenant_filter), ("before_commit", _audit_reads),
              ("after_transaction_end", _forget_reads))


def install() -> None:
    """Put the ORM auto-filter and the read audit on every session: called by the app factory (importing this
    module changes nothing). Idempotent, as the listeners are the process's, and tests build several apps."""
    for name, listener in _LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
