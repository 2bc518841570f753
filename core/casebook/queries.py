"""Reads of the guidance case library for the pages and the API: the loaders (a published case reaches every unit
below its publisher, 404 elsewhere; a withdrawn one only its publisher; a proposal its unit and the upper unit it was
sent to), the search (words over title, narrative and the other parts, and the tag filter), the tag counts, the
proposals, and a record's 参照案例."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, or_, select

from core import context
from core.attachments.models import Attachment
from core.casebook.models import CaseProposal, CaseReference, GuidanceCase
from core.casebook.workflow import REFERABLE, TAG_FAMILIES
from core.clearing.models import ClearingCase
from core.extensions import db
from core.leads.models import Lead
from core.petitions.models import Petition
from tenants.access import Action, deny
from tenants.models import Unit
from tenants.scoping import load_scoped, path_ids

PER_PAGE = 20
MAX_WORDS = 5
REFERABLE_MODELS = {"clearing_cases": ClearingCase, "leads": Lead, "petitions": Petition}


# ---------------------------------------------------------------- loaders (404 outside scope)


def load_case(case_id, unit: Unit, account, action: Action = Action.CASEBOOK_READ, *, own: bool = False):
    """A case as the acting unit reaches it: published by it or by a unit above it; a withdrawn one, its publisher's
    only. ``own``: the publisher's own (edit, withdraw)."""
    case = load_scoped(GuidanceCase, case_id, unit=unit, account=account, action=action, own=own)
    if case.state != "published" and case.unit_id != unit.id:
        deny(action, unit=unit, object_type="casebook_cases", object_id=case_id)
    return case


def load_proposal(proposal_id, unit: Unit, account, action: Action, *, side: str | None = None) -> CaseProposal:
    """A proposal as its unit (``side="proposer"``) or the upper unit it was sent to (``side="publisher"``) reaches
    it; either when ``side`` is None."""
    proposal = load_scoped(CaseProposal, proposal_id, unit=unit, account=account, action=action)
    mine, theirs = proposal.unit_id == unit.id, proposal.publisher_id == unit.id
    if (side == "proposer" and not mine) or (side == "publisher" and not theirs) or not (mine or theirs):
        deny(action, unit=unit, object_type="casebook_proposals", object_id=proposal_id)
    return proposal


def load_reference(ref_id, unit: Unit, account, action: Action) -> CaseReference:
    ref = load_scoped(CaseReference, ref_id, unit=unit, account=account, action=action, own=True)
    if ref.removed_at is not None:
        deny(action, unit=unit, object_type="casebook_references", object_id=ref_id)
    return ref


def referable_actions(record_type: str) -> tuple[Action, Action] | None:
    entry = REFERABLE.get(record_type)
    return (Action[entry[1]], Action[entry[2]]) if entry else None


def load_record(record_type: str, record_id, unit: Unit, account, *, write: bool = False):
    """The unit's own record that names 参照案例 (a clearing case, a lead, a petition), through its scoped loader with
    its own read (or write) action; 404 for any other kind or anything outside the unit."""
    actions = referable_actions(record_type or "")
    if actions is None:
        deny(Action.CASEBOOK_READ, unit=unit, object_type="casebook_references", object_id=str(record_type)[:32])
    return load_scoped(REFERABLE_MODELS[record_type], record_id, unit=unit, account=account,
                       action=actions[1] if write else actions[0], own=True)


# ---------------------------------------------------------------- search


def _visible(unit: Unit):
    """Published cases of the unit and the units above it."""
    return select(GuidanceCase).where(GuidanceCase.unit_id.in_(path_ids(unit.path)),
                                      GuidanceCase.state == "published")


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_statement(unit: Unit, q: str = "", tag: str = "", family: str = ""):
    stmt = _visible(unit)
    for word in (q or "").split()[:MAX_WORDS]:
        pattern = _like(word[:50])
        stmt = stmt.where(or_(*(column.ilike(pattern, escape="\\") for column in (
            GuidanceCase.title, GuidanceCase.narrative, GuidanceCase.situation, GuidanceCase.scope,
            GuidanceCase.method, GuidanceCase.tag_index))))
    tag = (tag or "").replace("：", ":").strip()[:60]
    if tag:
        stmt = stmt.where(GuidanceCase.tag_index.like(_like(f"|{tag}|"), escape="\\"))
    if family in TAG_FAMILIES:
        stmt = stmt.where(GuidanceCase.tag_index.like(_like(f"|{family}:"), escape="\\"))
    return stmt


def search(unit: Unit, q: str = "", tag: str = "", family: str = "", page: int = 1, per_page: int = PER_PAGE):
    """(cases, total): newest first."""
    stmt = search_statement(unit, q, tag, family)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = db.session.scalars(stmt.order_by(GuidanceCase.published_on.desc(), GuidanceCase.id.desc())
                              .offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    return list(rows), total


def tag_counts(unit: Unit) -> dict[str, list[tuple[str, int]]]:
    """Each family's values with the number of visible cases carrying them (the suggested values first)."""
    counts: Counter = Counter()
    for tags in db.session.scalars(select(GuidanceCase.tags).where(
            GuidanceCase.unit_id.in_(path_ids(unit.path)), GuidanceCase.state == "published").limit(5000)):
        counts.update(tags or [])
    result = {}
    for family, suggested in TAG_FAMILIES.items():
        values = list(suggested) + sorted(t.split(":", 1)[1] for t in counts if t.startswith(f"{family}:")
                                          and t.split(":", 1)[1] not in suggested)
        result[family] = [(v, counts.get(f"{family}:{v}", 0)) for v in values]
    return result


def visible_cases(unit: Unit, limit: int = 300) -> list[GuidanceCase]:
    return list(db.session.scalars(_visible(unit).order_by(GuidanceCase.unit_path, GuidanceCase.seq.desc())
                                   .limit(limit)))


def own_cases(unit: Unit, limit: int = 300) -> list[GuidanceCase]:
    return list(db.session.scalars(select(GuidanceCase).where(GuidanceCase.unit_id == unit.id)
                                   .order_by(GuidanceCase.seq.desc()).limit(limit)))


# ---------------------------------------------------------------- proposals


def proposals_of(unit: Unit) -> list[CaseProposal]:
    """The unit's own proposals, newest first."""
    return list(db.session.scalars(select(CaseProposal).where(CaseProposal.unit_id == unit.id)
                                   .order_by(CaseProposal.id.desc()).limit(300)))


def incoming(unit: Unit, *, pending_only: bool = False) -> list[CaseProposal]:
    """Proposals sent to the unit (as publisher), those awaiting a decision first."""
    stmt = select(CaseProposal).where(CaseProposal.publisher_id == unit.id)
    if pending_only:
        stmt = stmt.where(CaseProposal.state == "proposed")
    return list(db.session.scalars(stmt.order_by(CaseProposal.state != "proposed", CaseProposal.id.desc())
                                   .limit(300)))


# ---------------------------------------------------------------- 参照案例 of a record


def references_of(unit: Unit, record_type: str, record_id: int) -> list[CaseReference]:
    return list(db.session.scalars(select(CaseReference).where(
        CaseReference.unit_id == unit.id, CaseReference.record_type == record_type,
        CaseReference.record_id == record_id, CaseReference.removed_at.is_(None)).order_by(CaseReference.id)))


def cases_by_id(ids: list[int]) -> dict[int, GuidanceCase]:
    if not ids:
        return {}
    return {c.id: c for c in db.session.scalars(select(GuidanceCase).where(GuidanceCase.id.in_(ids)))}


def citing(case: GuidanceCase, unit: Unit) -> int:
    """How many of the unit's records name the case as 参照案例 (a number: the records stay the unit's)."""
    return db.session.scalar(select(func.count(CaseReference.id)).where(
        CaseReference.unit_id == unit.id, CaseReference.case_id == case.id,
        CaseReference.removed_at.is_(None))) or 0


# ---------------------------------------------------------------- the template files, for the units below


def template_files(case: GuidanceCase) -> list:
    """The current files of a case's document templates (its publisher's attachments), for every unit the case reaches:
    read as the publisher, for this one case the scoped loader has let through (the files travel with the case as
    the case travels down; an attachment of any other record does not)."""
    with context.writing_as(case.unit_id, case.unit_path):
        return list(db.session.scalars(
            select(Attachment).where(Attachment.unit_id == case.unit_id, Attachment.object_type == "casebook_cases",
                                     Attachment.object_id == case.id, Attachment.archived_at.is_(None),
                                     Attachment.informant.is_(False))
            .order_by(Attachment.uploaded_at, Attachment.id)))


def load_template_file(case: GuidanceCase, file_id: int, unit: Unit):
    found = next((f for f in template_files(case) if f.id == file_id), None)
    if found is None:
        deny(Action.CASEBOOK_READ, unit=unit, object_type="attachments", object_id=file_id)
    return found
