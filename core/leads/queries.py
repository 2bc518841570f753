"""Reads of leads for the pages and the API: the loaders of a lead (the unit's own only: a lead is read through no
share yet), the petition a unit converts, the filtered registry and the lead a petition became."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, or_, select

from core import calendar
from core.crypto import name_key
from core.extensions import db
from core.handlers.queries import resolved_handler, where_handler
from core.leads.models import Lead, LeadPerson, Source
from core.leads.workflow import LEAD_FLOW, OPEN, STEP_ACTIONS
from core.petitions.models import Petition
from core.petitions.queries import load_own as load_own_petition
from tenants.access import Action, ensure
from tenants.models import Unit
from tenants.scoping import load_scoped

# Still the handler's work (承办人's workload): waiting for a disposal, or shelved until its review date.
HANDLER_OPEN = OPEN


def load_lead(lead_id, action: Action, unit: Unit, account) -> Lead:
    """A lead of the acting unit itself; else 404 (a sibling township, the county above, the province's analyst)."""
    return load_scoped(Lead, lead_id, unit=unit, account=account, action=action, own=True)


def load_for_step(lead_id, step: str, unit: Unit, account) -> Lead:
    """A lead the account may dispose of in ``step`` (予以了结: a leader); else 404."""
    return load_lead(lead_id, STEP_ACTIONS.get(step, Action.LEADS_DISPOSE), unit, account)


def load_petition_to_convert(petition_id, unit: Unit, account) -> Petition:
    """One of the unit's own petitions, for an account that registers leads and reads petitions; else 404."""
    ensure(account, Action.LEADS_REGISTER, unit, target=unit)
    return load_own_petition(petition_id, Action.PETITIONS_READ, unit, account)


def lead_of_petition(petition: Petition) -> Lead | None:
    return db.session.scalar(select(Lead).where(Lead.unit_id == petition.unit_id, Lead.petition_id == petition.id))


def petition_of(lead: Lead) -> Petition | None:
    """The petition a lead was converted from (its own unit's), for the link back."""
    if lead.petition_id is None:
        return None
    return db.session.scalar(select(Petition).where(Petition.id == lead.petition_id, Petition.unit_id == lead.unit_id))


@dataclass
class LeadFilter:
    state: str = ""  # a LEAD_FLOW state, or "" for all
    source: str = ""  # a Source value
    overdue: bool = False  # open and past its deadline (or review date)
    q: str = ""  # part of the number, or a person's full name
    handler: str = ""  # 承办人: an account id, "none", or ""; "me" arrives as one's id
    open: bool = False

    @classmethod
    def from_args(cls, args) -> LeadFilter:
        state, source = args.get("state", ""), args.get("source", "")
        return cls(state=state if state in LEAD_FLOW.states else "",
                   source=source if source in Source.__members__.values() else "",
                   overdue=args.get("overdue") in ("1", "true", "on"), q=(args.get("q") or "").strip()[:50],
                   handler=resolved_handler(args), open=args.get("open") in ("1", "true", "on"))

    def as_args(self) -> dict:
        return {k: v for k, v in (("state", self.state), ("source", self.source),
                                  ("overdue", "1" if self.overdue else ""), ("q", self.q), ("handler", self.handler),
                                  ("open", "1" if self.open else "")) if v}


def list_query(unit: Unit, f: LeadFilter, today: date | None = None):
    """The unit's own leads, newest first."""
    today = today or calendar.today()
    stmt = select(Lead).where(Lead.unit_id == unit.id)
    if f.state:
        stmt = stmt.where(Lead.state == f.state)
    if f.source:
        stmt = stmt.where(Lead.source == f.source)
    if f.overdue:
        stmt = stmt.where(Lead.state.in_(OPEN), Lead.due_on < today)
    if f.open:
        stmt = stmt.where(Lead.state.in_(HANDLER_OPEN))
    stmt = where_handler(stmt, Lead, f.handler)
    if f.q:
        # The persons' names are sealed: found by the keyed hash of the exact name.
        named = exists().where(LeadPerson.lead_id == Lead.id, LeadPerson.name_key == name_key(f.q))
        stmt = stmt.where(or_(Lead.number.contains(f.q, autoescape=True), named))
    return stmt.order_by(Lead.year.desc(), Lead.seq.desc())
