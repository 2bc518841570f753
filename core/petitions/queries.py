"""Reads of petitions for the pages and the API: the filtered list, a petition's own links, where a routed
petition went (through the tracking share) and where a routed copy came from (its 交办件)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import String, cast, or_, select

from core import calendar
from core.extensions import db
from core.petitions.models import Flag, Petition, PetitionLink
from core.petitions.workflow import OPEN, PETITION_FLOW
from tenants.models import Unit, descendants_query


@dataclass
class PetitionFilter:
    state: str = ""  # a PETITION_FLOW state, or "" for all
    flag: str = ""  # a Flag value
    overdue: bool = False  # open (registered/handling) and past the handling deadline
    q: str = ""  # part of the number or of the accused person's name

    @classmethod
    def from_args(cls, args) -> PetitionFilter:
        state, flag = args.get("state", ""), args.get("flag", "")
        return cls(state=state if state in PETITION_FLOW.states else "",
                   flag=flag if flag in Flag.__members__.values() else "",
                   overdue=args.get("overdue") in ("1", "true", "on"), q=(args.get("q") or "").strip()[:50])

    def as_args(self) -> dict:
        """The filter as query arguments (for the ledger link and the pages)."""
        return {k: v for k, v in (("state", self.state), ("flag", self.flag), ("overdue", "1" if self.overdue else ""),
                                  ("q", self.q)) if v}


def list_query(unit: Unit, f: PetitionFilter, today: date | None = None):
    """The unit's own petitions, newest first."""
    today = today or calendar.today()
    stmt = select(Petition).where(Petition.unit_id == unit.id)
    if f.state:
        stmt = stmt.where(Petition.state == f.state)
    if f.flag:
        # JSON list of flags; a LIKE on its text form works the same on SQLite and PostgreSQL.
        stmt = stmt.where(cast(Petition.flags, String).like(f'%"{f.flag}"%'))
    if f.overdue:
        stmt = stmt.where(Petition.state.in_(OPEN), Petition.due_on < today)
    if f.q:
        stmt = stmt.where(or_(Petition.number.contains(f.q, autoescape=True),
                              Petition.accused_name.contains(f.q, autoescape=True)))
    return stmt.order_by(Petition.year.desc(), Petition.seq.desc())


def own_links(petition: Petition) -> list[PetitionLink]:
    """The petition's side of its repeat links: rows of its own unit only, never the other record."""
    return list(db.session.scalars(select(PetitionLink).where(
        PetitionLink.petition_id == petition.id, PetitionLink.unit_id == petition.unit_id)
        .order_by(PetitionLink.state != "proposed", PetitionLink.other_received_on.desc(), PetitionLink.id)))


def routed_copy(petition: Petition) -> Petition | None:
    """The receiver's record of a petition routed down, read through the tracking share (None once the
    share is gone): the acting unit's filter and RLS admit it exactly as the share allows."""
    copy_id = (petition.routing or {}).get("petition_id")
    if not copy_id:
        return None
    return db.session.scalar(select(Petition).where(Petition.id == copy_id))


def routing_item(petition: Petition):
    """The 交办件 a routed copy was handed down with (issued by the origin unit, received by this one)."""
    from core.supervision.models import SupervisionItem

    return db.session.scalar(select(SupervisionItem).where(
        SupervisionItem.kind == "assigned", SupervisionItem.subject_type == "petitions",
        SupervisionItem.subject_id == petition.id))


def routing_targets(unit: Unit) -> list[Unit]:
    """The units a petition may be routed to: the unit's active descendants, in tree order."""
    return list(db.session.scalars(descendants_query(unit)))
