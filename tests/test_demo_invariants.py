"""The demo province is built through the operations and must not contradict itself where people look first:
a person waiting in the pool (待甄别) has no clearing case already, and no deadline falls before its start."""
from __future__ import annotations

from sqlalchemy import select

from core import context
from core.extensions import db


def test_the_demo_does_not_contradict_itself(app):
    from core.clearing.models import ClearingCandidate, ClearingCase, ClearingVisit
    from core.petitions.models import Petition
    from core.supervision.models import SupervisionItem
    from core.zeroing.models import BacklogCase

    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        def person(record):
            return record.unit_id, record.person_name, record.person_work_unit

        in_cases = {person(case): case.number for case in db.session.scalars(select(ClearingCase))}
        pool = db.session.scalars(select(ClearingCandidate).where(ClearingCandidate.state == "pool"))
        pending_with_case = [(c.person_name, in_cases[person(c)]) for c in pool if person(c) in in_cases]
        assert pending_with_case == []
        early = [case.number for case in db.session.scalars(select(ClearingCase))
                 if case.due_on and case.due_on < case.applied_on]
        early += [f"{case.number}回访" for visit, case in db.session.execute(
            select(ClearingVisit, ClearingCase).join(ClearingCase, ClearingCase.id == ClearingVisit.case_id))
            if case.cleared_on and visit.due_on < case.cleared_on]
        early += [p.number for p in db.session.scalars(select(Petition)) if p.due_on and p.due_on < p.received_on]
        early += [p.number for p in db.session.scalars(select(Petition))
                  if p.concluded_on and p.concluded_on < p.received_on]
        early += [i.title for i in db.session.scalars(select(SupervisionItem)) if i.due_on and i.due_on < i.issued_on]
        early += [b.id for b in db.session.scalars(select(BacklogCase))
                  if b.target_on and b.adopted_on and b.target_on < b.adopted_on]
        assert early == []
