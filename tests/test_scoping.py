"""The ORM auto-filter (the second isolation layer, tenants/scoping.py) on its own: a unit's statements
never return another unit's rows, whichever way a tenant table enters them. On SQLite nothing else
stands behind a statement that does not go through the scoped loader; on PostgreSQL RLS does as well."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from core import context
from core.clearing.models import ClearingCase, ClearingVisit, VisitKind
from core.extensions import db
from tenants.models import Unit


def _case_with_a_stray_visit(app, tree) -> int:
    """A case of 东镇 with its own visit and one filed by 南镇 (another county) against it."""
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        town, other = db.session.get(Unit, tree.town), db.session.get(Unit, tree.other_town)
        case = ClearingCase(unit_id=town.id, unit_path=town.path, year=2026, seq=1, number="东镇澄〔2026〕1号",
                            origin="pool", person_name="王某", person_key="王某|东镇", accusation="反映失实",
                            applied_on=date(2026, 11, 2))
        db.session.add(case)
        db.session.flush()
        for unit, notes, kind in ((town, "本镇回访", VisitKind.PERSON), (other, "他县记录", VisitKind.FAMILY)):
            db.session.add(ClearingVisit(unit_id=unit.id, unit_path=unit.path, case_id=case.id, kind=kind,
                                         due_on=date(2026, 12, 2), notes=notes))
        db.session.commit()
        return case.id


def test_another_units_rows_stay_out_of_joins_subqueries_and_relationship_loads(app, factory):
    tree = factory.tree()
    case_id = _case_with_a_stray_visit(app, tree)
    with app.app_context():
        town = db.session.get(Unit, tree.town)
        context.activate(context.ActingContext(account_id=None, unit_id=town.id, unit_path=town.path), db.session)
        # A join along a relationship: its target is only known when the statement is compiled.
        joined = select(func.count()).select_from(ClearingCase).join(ClearingCase.visits)
        assert db.session.scalar(joined) == 1
        assert db.session.scalars(select(ClearingVisit.notes).join(ClearingVisit.case)).all() == ["本镇回访"]
        # A subquery.
        stray = select(ClearingVisit.case_id).where(ClearingVisit.notes == "他县记录")
        assert db.session.scalars(select(ClearingCase.number).where(ClearingCase.id.in_(stray))).all() == []
        # Eager loads, joined and select-in, and a lazy load.
        for option in (joinedload(ClearingCase.visits), selectinload(ClearingCase.visits)):
            db.session.expunge_all()
            case = db.session.scalars(select(ClearingCase).options(option)).unique().one()
            assert [v.notes for v in case.visits] == ["本镇回访"]
        db.session.expunge_all()
        assert [v.notes for v in db.session.get(ClearingCase, case_id).visits] == ["本镇回访"]
        # The other county sees neither the case nor the visits of the case.
        other = db.session.get(Unit, tree.other_town)
        context.activate(context.ActingContext(unit_id=other.id, unit_path=other.path), db.session)
        db.session.expunge_all()
        assert db.session.get(ClearingCase, case_id) is None
        assert db.session.scalars(select(ClearingVisit.notes).select_from(ClearingCase)
                                  .join(ClearingCase.visits)).all() == []
        db.session.rollback()
