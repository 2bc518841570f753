"""Collaboration zones (协作区): records handled and inspected across townships through the county's grants,
the grant rules, the owner's log of every look and step, the convener rota at quarter end, joint meetings and
their tasks, cross-inspection rounds, and a stateful property test of grant / revoke / expire / move / read / act.

Shares expire on PostgreSQL's clock too (RLS compares with now()), so frozen days here lie after the real
today: what the app takes for an active grant is active for the database as well.
"""
from __future__ import annotations

import contextlib
import io
import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition, rule,
                                 run_state_machine_as_test)
from openpyxl import load_workbook
from sqlalchemy import select

from core.calendar import CHINA
from tests.conftest import Browser, bearer


def _empty_everything(owner_engine) -> None:
    """What conftest's cleanup does after a test, for the stateful test's next example."""
    from tests.conftest import empty_tables

    empty_tables(owner_engine)


def _tomorrow() -> date:
    return datetime.now(CHINA).date() + timedelta(days=1)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHINA)


@contextlib.contextmanager
def acting(app, account_id: int | None, unit_id: int, *, commit: bool = True):
    """An app context acting as that account in that unit, as a request would (RLS applies on PostgreSQL)."""
    from core import context
    from core.extensions import db
    from tenants.models import Unit

    with app.app_context():
        with context.acting(context.maintenance_context(), db.session):
            unit = db.session.get(Unit, unit_id)
            path = unit.path
        db.session.commit()
        with context.acting(context.ActingContext(account_id=account_id, unit_id=unit_id, unit_path=path),
                            db.session):
            yield db.session
            if commit:
                db.session.commit()
            else:
                db.session.rollback()


@contextlib.contextmanager
def maintenance(app):
    from core import context
    from core.extensions import db

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        yield db.session
        db.session.commit()


@dataclass
class World:
    county: int
    towns: dict  # name -> unit id
    accounts: dict  # username -> account id
    zone1: int
    zone2: int
    petition: int
    petition_number: str
    case: int
    case_number: str


TOWNS = {"东镇": "001", "西镇": "002", "北镇": "003", "南湖镇": "004", "中山乡": "005"}


def _build_world(app, factory, day: date) -> World:
    """甲县 with five townships: 第一协作区 东镇, 西镇, 北镇; 第二协作区 南湖镇, 中山乡. 东镇 has a petition
    (with an informant) and a clearing case at 申请, about people of its own villages."""
    from core.clearing import operations as clearing_ops
    from core.petitions import operations as petition_ops
    from core.zones import operations as zops
    from tenants.models import Unit

    tree = factory.tree()
    towns = {"东镇": tree.town, "西镇": tree.town2}
    for name, code in TOWNS.items():
        if name not in towns:
            towns[name] = factory.unit(name, "township", f"980121{code}", tree.county)
    accounts = {"k-boss": factory.account("k-boss", [(tree.county, "leader")])}
    for name, prefix in (("东镇", "e"), ("西镇", "w"), ("北镇", "n"), ("南湖镇", "s"), ("中山乡", "z")):
        accounts[f"{prefix}-leader"] = factory.account(f"{prefix}-leader", [(towns[name], "leader")])
        accounts[f"{prefix}-officer"] = factory.account(f"{prefix}-officer", [(towns[name], "officer")])
    with maintenance(app) as session:
        east = session.get(Unit, towns["东镇"])
        petition = petition_ops.register_petition(east, dict(
            channel="letter", received_on=day - timedelta(days=10), anonymous=False,
            informant={"name": "赵举报", "phone": "13912345678", "id_number": ""}, accused_name="钱某某",
            accused_position="村党支部书记", accused_work_unit="东镇前进村", summary="反映征地补偿款发放中优亲厚友"))
        case = clearing_ops.register_application(east, {
            "person_name": "孙澄清", "person_position": "村委会主任", "person_work_unit": "东镇红旗村",
            "accusation": "反映侵占村集体“三资”", "request": "本人书面申请澄清", "applied_on": day.isoformat()})
        session.flush()
        ids = (petition.id, petition.number, case.id, case.number)
    with acting(app, accounts["k-boss"], tree.county) as session:
        county = session.get(Unit, tree.county)
        zone1 = zops.define_zone(county, name="第一协作区", lead_account_id=accounts["k-boss"], guiding_office="第一监督检查室",
                                 member_unit_ids=[towns["东镇"], towns["西镇"], towns["北镇"]])
        zone2 = zops.define_zone(county, name="第二协作区", lead_account_id=accounts["k-boss"], guiding_office="第二监督检查室",
                                 member_unit_ids=[towns["南湖镇"], towns["中山乡"]])
        session.flush()
        zone_ids = (zone1.id, zone2.id)
    return World(tree.county, towns, accounts, *zone_ids, *ids)


def _grant(app, world: World, grantee: str, accounts: list[str], kind: str, scope: str, *, ends_on: date,
           starts_on: date | None = None, transitions=None) -> int:
    from core.zones import operations as zops
    from core.calendar import today
    from tenants.models import Unit

    number = world.petition_number if kind == "petitions" else world.case_number
    with acting(app, world.accounts["k-boss"], world.county) as session:
        grant = zops.grant_cross_access(
            session.get(Unit, world.county), grantee_unit_id=world.towns[grantee], owner_unit_id=world.towns["东镇"],
            number=number, scope=scope, purpose="交叉办案：异地核查", starts_on=starts_on or today(), ends_on=ends_on,
            grantee_account_ids=[world.accounts[a] for a in accounts], transitions=transitions)
        session.flush()
        return grant.id


def _revoke(app, world: World, grant_id: int) -> None:
    from core.zones import operations as zops
    from core.zones.models import CrossGrant

    with acting(app, world.accounts["k-boss"], world.county) as session:
        zops.revoke_grant(session.get(CrossGrant, grant_id), "县纪委监委撤销授权")


def _stats(app, unit_id: int) -> dict:
    from tenants.models import UnitStat

    with maintenance(app) as session:
        return {(m, p): v for m, p, v in session.execute(
            select(UnitStat.metric, UnitStat.period, UnitStat.value).where(UnitStat.unit_id == unit_id)) if v}


def _urls(world: World, unit_id: int) -> dict[str, str]:
    """Every URL of 东镇's two records as another unit would call it."""
    return {
        "petition page": f"/u/{unit_id}/petitions/{world.petition}",
        "petition api": f"/api/v1/u/{unit_id}/petitions/{world.petition}",
        "case page": f"/u/{unit_id}/clearing/cases/{world.case}",
        "case api": f"/api/v1/u/{unit_id}/clearing-cases/{world.case}",
        "case notice": f"/u/{unit_id}/clearing/cases/{world.case}/notice.docx",
        "case person file": f"/u/{unit_id}/clearing/cases/{world.case}/file",
    }


ASSESS = {"verified_fully": True, "conclusion_clear": True, "handling_done": True, "opinion": "异地联审：反映失实"}


def _transition(app, headers, unit_id, kind, record_id, step, data=None):
    path = "petitions" if kind == "petitions" else "clearing-cases"
    return app.test_client().post(f"/api/v1/u/{unit_id}/{path}/{record_id}/transitions", headers=headers,
                                  json={"transition": step, "data": data or {}})


# ---------------------------------------------------------------- cross-handling through the real pages and API


def test_a_cross_handler_reads_and_takes_only_the_granted_steps_and_the_owner_sees_every_look(app, factory):
    day = _tomorrow()
    with time_machine.travel(_at(day), tick=False):
        world = _build_world(app, factory, day)
        west, east = world.towns["西镇"], world.towns["东镇"]
        handler = Browser(app, factory)
        handler.login("w-officer")
        headers = bearer(app, "w-officer")
        urls = _urls(world, west)
        for name, url in urls.items():  # nothing before the grant
            response = handler.get(url) if "api" not in name else app.test_client().get(url, headers=headers)
            assert response.status_code == 404, name
        owner_before = _stats(app, east)

        grant_petition = _grant(app, world, "西镇", ["w-officer"], "petitions", "handle", ends_on=day + timedelta(days=5))
        grant_case = _grant(app, world, "西镇", ["w-officer"], "clearing_cases", "handle",
                            ends_on=day + timedelta(days=5))

        # The petition: readable, the informant nowhere (not even masked), only 开始核查 offered.
        page = handler.get(urls["petition page"]).get_data(as_text=True)
        assert "钱某某" in page and "反映征地补偿款发放中优亲厚友" in page
        assert "赵举报" not in page and "赵*" not in page and "139" not in page and "data-cross-note" in page
        assert 'data-step="start"' in page and 'data-step="feedback"' not in page
        assert "data-route-form" not in page and "/reveal" not in page and "data-share-accesses" not in page
        api = app.test_client().get(urls["petition api"], headers=headers).get_json()
        assert api["accused_name"] == "钱某某" and "informant" not in str(api)
        assert handler.post(f"{urls['petition page']}/reveal", {"reason": "核查需要"},
                            form_page=urls["petition page"]).status_code == 404
        assert handler.post(f"{urls['petition page']}/route", {"mode": "assign", "to_unit_id": east},
                            form_page=urls["petition page"]).status_code == 404
        assert _transition(app, headers, west, "petitions", world.petition, "conclude",
                           {"outcome": "unfounded", "findings": "x"}).status_code == 409  # granted, not yet
        started = handler.post(f"{urls['petition page']}/steps/start", {}, form_page=urls["petition page"])
        assert started.status_code == 302
        concluded = _transition(app, headers, west, "petitions", world.petition, "conclude",
                                {"outcome": "unfounded", "findings": "经异地核查，反映问题不属实"})
        assert concluded.status_code == 200 and concluded.get_json()["state"] == "concluded"
        assert _transition(app, headers, west, "petitions", world.petition, "feedback",
                           {"given_on": day.isoformat(), "way": "in_person", "content": "已反馈",
                            "satisfied": "yes"}).status_code == 404  # contact with the informant stays the owner's

        # The handler's own ledgers (xlsx) list its own township's records only, never one it handles for another.
        for ledger, number in ((f"/u/{west}/petitions/ledger.xlsx", world.petition_number),
                               (f"/u/{west}/clearing/ledger.xlsx", world.case_number)):
            response = handler.ledger(ledger)
            assert response.status_code == 200
            cells = {str(c) for row in load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True)
                     for c in row}
            assert number not in cells and "钱某某" not in cells and "孙澄清" not in cells

        # The clearing case: the handler assesses, plans, clears and feeds back; the owner's leader decides.
        case_page = handler.get(urls["case page"]).get_data(as_text=True)
        assert "孙澄清" in case_page and 'data-step="assess"' in case_page and "交叉办案" in case_page
        assert _transition(app, headers, west, "clearing_cases", world.case, "decline",
                           {"reason": "x"}).status_code == 404
        assessed = _transition(app, headers, west, "clearing_cases", world.case, "assess", ASSESS)
        assert assessed.status_code == 200 and assessed.get_json()["state"] == "assessed"
        assert assessed.get_json()["allowed_transitions"] == []  # the review is the owner's
        assert _transition(app, headers, west, "clearing_cases", world.case, "review",
                           {"opinion": "同意"}).status_code == 404
        owner_headers = bearer(app, "e-leader")
        assert _transition(app, owner_headers, east, "clearing_cases", world.case, "review",
                           {"opinion": "同意澄清"}).status_code == 200
        assert _transition(app, headers, west, "clearing_cases", world.case, "submit_plan",
                           {"method": "notice", "scope": "本人及所在党组织", "planned_on": day.isoformat()}).status_code == 200
        assert _transition(app, headers, west, "clearing_cases", world.case, "approve_plan").status_code == 404
        assert _transition(app, owner_headers, east, "clearing_cases", world.case, "approve_plan").status_code == 200
        cleared = _transition(app, headers, west, "clearing_cases", world.case, "clear",
                              {"held_on": day.isoformat(), "attendance": "村两委成员", "presided_by": "东镇纪委书记"})
        assert cleared.status_code == 200 and cleared.get_json()["state"] == "cleared"
        assert _transition(app, headers, west, "clearing_cases", world.case, "feedback", {
            "person_on": day.isoformat(), "party_org": "红旗村党支部", "org_head": "李书记", "org_on": day.isoformat(),
            "personnel_dept": "镇党委组织办", "personnel_on": day.isoformat()}).status_code == 200
        assert _transition(app, headers, west, "clearing_cases", world.case, "file",
                           {"filed_on": day.isoformat()}).status_code == 404
        assert handler.get(urls["case notice"]).status_code == 404
        assert handler.get(urls["case person file"]).status_code == 404

        # Figures: the record's counts moved at the owner (and agree with a recount); the handler counts its
        # six steps as cross-handled work and nothing else; the owner has no cross-handling figure.
        from core.clearing import operations as clearing_ops
        from tenants.models import Unit

        owner_after, handler_after = _stats(app, east), _stats(app, west)
        assert owner_after[("clearing.state.fed_back", "")] == 1 and owner_after[("clearing.visits_due", "")] == 4
        assert owner_after[("clearing.candidates", "")] == 1  # the unfounded petition's accused, in 东镇's pool
        assert owner_after[("petitions.concluded.unfounded", "")] == 1
        assert not any(m.startswith("zones.") for m, _p in owner_after)
        changed = {m for (m, p), v in owner_after.items() if owner_before.get((m, p)) != v}
        assert changed <= {"clearing.state.applied", "clearing.state.fed_back", "clearing.cleared_persons",
                           "clearing.cleared_on_time", "clearing.visits_due", "clearing.candidates",
                           "petitions.open", "petitions.concluded.unfounded"}, changed
        assert {m for m, _p in handler_after} == {"zones.cross_handled_steps"}
        assert handler_after[("zones.cross_handled_steps", "")] == 6
        assert handler_after[("zones.cross_handled_steps", day.isoformat())] == 6
        with maintenance(app) as session:
            assert clearing_ops.reconcile(session.get(Unit, east)) == {}
            from core.clearing.models import ClearingCandidate, ClearingVisit

            assert {v.unit_id for v in session.scalars(select(ClearingVisit))} == {east}  # the owner's visits
            assert session.scalar(select(ClearingCandidate.unit_id)) == east

        # The owner's pages list each look and step with who, which unit, what and under which purpose.
        owner = Browser(app, factory)
        owner.login("e-leader")
        owner_case = owner.get(f"/u/{east}/clearing/cases/{world.case}").get_data(as_text=True)
        assert "共享查阅与办理记录" in owner_case and 'data-share-access="assess"' in owner_case
        for text_ in ("办理：质效评估", "办理：实施澄清", "办理：反馈", "查阅", "交叉办案", "w-officer 姓名", "西镇"):
            assert text_ in owner_case, text_
        assert 'data-share-access="review"' not in owner_case and "data-visits" in owner_case
        owner_petition = owner.get(f"/u/{east}/petitions/{world.petition}").get_data(as_text=True)
        assert "办理：开始核查" in owner_petition and "办理：办结" in owner_petition
        assert owner_petition.count('data-share-access="read"') >= 2

        # Revoked: every URL of both records answers 404 at once.
        _revoke(app, world, grant_petition)
        _revoke(app, world, grant_case)
        for name, url in urls.items():
            response = handler.get(url) if "api" not in name else app.test_client().get(url, headers=headers)
            assert response.status_code == 404, name
        assert _transition(app, headers, west, "petitions", world.petition, "start").status_code == 404
        assert _transition(app, headers, west, "clearing_cases", world.case, "feedback").status_code == 404


def test_an_inspection_grant_reads_but_never_acts_and_ends_with_its_last_day(app, factory):
    day = _tomorrow()
    with time_machine.travel(_at(day), tick=False) as clock:
        world = _build_world(app, factory, day)
        north = world.towns["北镇"]
        _grant(app, world, "北镇", ["n-officer"], "clearing_cases", "inspect", ends_on=day + timedelta(days=1))
        inspector = Browser(app, factory)
        inspector.login("n-officer")
        headers = bearer(app, "n-officer")
        urls = _urls(world, north)
        page = inspector.get(urls["case page"]).get_data(as_text=True)
        assert "孙澄清" in page and "data-steps" not in page and "交叉检查" in page
        assert app.test_client().get(urls["case api"], headers=headers).get_json()["allowed_transitions"] == []
        assert _transition(app, headers, north, "clearing_cases", world.case, "assess", ASSESS).status_code == 404
        assert inspector.get(urls["petition page"]).status_code == 404  # another record: not granted
        clock.move_to(_at(day + timedelta(days=1), 23))  # still its last day
        inspector.login("n-officer")
        assert inspector.get(urls["case page"]).status_code == 200
        clock.move_to(_at(day + timedelta(days=2), 0) + timedelta(minutes=1))  # the day after: over at once
        inspector.login("n-officer")
        for name, url in urls.items():
            response = inspector.get(url) if "api" not in name else app.test_client().get(url, headers=headers)
            assert response.status_code == 404, name


def test_leaving_a_zone_ends_the_grants_held_there_and_those_opening_the_leavers_records(app, factory):
    """石桥乡 left 第一协作区 and its officer still read 城关镇's case: a member leaving a zone (moved to another
    zone, or taken off the zone's list) loses every grant of that zone it holds, pending ones too, and every
    grant opening its own records to the others, in the same change, each revocation audited."""
    import json

    from core.audit.models import AuditEvent
    from core.zones.models import CrossGrant

    day = _tomorrow()
    with time_machine.travel(_at(day), tick=False):
        world = _build_world(app, factory, day)
        held = _grant(app, world, "西镇", ["w-officer"], "petitions", "handle", ends_on=day + timedelta(days=5))
        pending = _grant(app, world, "北镇", ["n-officer"], "clearing_cases", "inspect",
                         starts_on=day + timedelta(days=1), ends_on=day + timedelta(days=5))
        west, north = Browser(app, factory), Browser(app, factory)
        west.login("w-officer")
        north.login("n-officer")
        assert west.get(_urls(world, world.towns["西镇"])["petition page"]).status_code == 200

        # The county takes 西镇 off 第一协作区's list: 西镇's grant ends at once; 北镇's stays.
        headers = bearer(app, "k-boss")
        zone = app.test_client().get(f"/api/v1/zones/{world.zone1}", headers=headers).get_json()
        changed = app.test_client().patch(f"/api/v1/zones/{world.zone1}", headers=headers, json={
            "member_unit_ids": [world.towns["东镇"], world.towns["北镇"]], "version": zone["version"]})
        assert changed.status_code == 200, changed.get_json()
        for name, url in _urls(world, world.towns["西镇"]).items():
            response = west.get(url) if "api" not in name else \
                app.test_client().get(url, headers=bearer(app, "w-officer"))
            assert response.status_code == 404, name
        county = Browser(app, factory)
        county.login("k-boss")
        zone1_page = county.get(f"/u/{world.county}/zones/{world.zone1}").get_data(as_text=True)
        assert f'data-grant="{held}" data-grant-state="revoked"' in zone1_page and "西镇 已退出协作区" in zone1_page
        assert f'data-grant="{pending}" data-grant-state="pending"' in zone1_page

        # The county moves 东镇 (the records' owner) to 第二协作区 on that zone's page: 北镇's pending grant ends.
        zone2_page = f"/u/{world.county}/zones/{world.zone2}"
        moved = county.post(f"{zone2_page}/members", {"unit_id": world.towns["东镇"]}, form_page=zone2_page)
        assert moved.status_code == 302, moved.get_data(as_text=True)
        with maintenance(app) as session:
            grants = {g.id: g for g in session.scalars(select(CrossGrant))}
            assert grants[held].revoke_reason == "西镇 已退出协作区" and grants[held].share_ids
            assert grants[pending].revoked_at is not None and grants[pending].revoke_reason == "东镇 已退出协作区"
            events = session.scalars(select(AuditEvent).where(AuditEvent.unit_id == world.county)
                                     .order_by(AuditEvent.id)).all()
            revocations = [json.loads(e.detail)["reason"] for e in events if e.action == "zone.grant_revoke"]
            assert revocations == ["西镇 已退出协作区", "东镇 已退出协作区"]
            moves = [json.loads(e.detail) for e in events if e.action in ("zone.move_member", "zone.update")]
            assert moves[-2]["revoked_grants"] == [held] and moves[-1]["revoked_grants"] == [pending]
        with time_machine.travel(_at(day + timedelta(days=1)), tick=False):
            north.login("n-officer")
            assert north.get(_urls(world, world.towns["北镇"])["case page"]).status_code == 404


# ---------------------------------------------------------------- the county's rules for a grant


def test_grant_rules(app, factory):
    from core.errors import InvalidInput
    from core.petitions import operations as petition_ops
    from core.zones import operations as zops
    from tenants.models import Unit

    day = _tomorrow()
    with time_machine.travel(_at(day), tick=False):
        world = _build_world(app, factory, day)
        end = day + timedelta(days=3)

        def refused(grantee, accounts, **kw):
            with pytest.raises(InvalidInput) as exc:
                _grant(app, world, grantee, accounts, kw.pop("kind", "petitions"), kw.pop("scope", "handle"),
                       ends_on=kw.pop("ends_on", end), **kw)
            return exc.value.errors

        # Another zone's township, an account of another township, an end before the start, a step beyond
        # the cross-handling steps, a start in the past.
        assert "同属一个协作区" in str(refused("南湖镇", ["s-officer"])["grantee_unit_id"])
        assert "grantee_account_ids" in refused("西镇", ["n-officer"])
        assert "ends_on" in refused("西镇", ["w-officer"], starts_on=day + timedelta(days=2),
                                    ends_on=day + timedelta(days=1))
        assert "transitions" in refused("西镇", ["w-officer"], transitions=["start", "feedback"])
        assert "starts_on" in refused("西镇", ["w-officer"], starts_on=day - timedelta(days=1))
        # Never a case about the grantee township's own officials (熟人社会).
        with maintenance(app) as session:
            own = petition_ops.register_petition(session.get(Unit, world.towns["东镇"]), dict(
                channel="visit", received_on=day, anonymous=True, informant={}, accused_name="周某",
                accused_position="副镇长", accused_work_unit="西镇人民政府", summary="反映西镇干部问题"))
            session.flush()
            own_number = own.number
        with pytest.raises(InvalidInput) as exc, acting(app, world.accounts["k-boss"], world.county) as session:
            zops.grant_cross_access(session.get(Unit, world.county), grantee_unit_id=world.towns["西镇"],
                                    owner_unit_id=world.towns["东镇"], number=own_number, scope="inspect",
                                    purpose="交叉检查", starts_on=day, ends_on=end,
                                    grantee_account_ids=[world.accounts["w-officer"]])
        assert "涉及本乡镇干部" in str(exc.value.errors["grantee_unit_id"])
        # A grant by the rules works; the grantee must be in the zone at the time of the grant: after 西镇
        # moves to the second zone a new grant is refused, and the earlier one ended with the move.
        _grant(app, world, "西镇", ["w-officer"], "petitions", "inspect", ends_on=end)
        headers = bearer(app, "w-officer")
        url = f"/api/v1/u/{world.towns['西镇']}/petitions/{world.petition}"
        assert app.test_client().get(url, headers=headers).status_code == 200
        with acting(app, world.accounts["k-boss"], world.county) as session:
            from core.zones.models import Zone

            zops.move_member(session.get(Unit, world.towns["西镇"]), session.get(Zone, world.zone2))
        assert "同属一个协作区" in str(refused("西镇", ["w-officer"])["grantee_unit_id"])
        assert app.test_client().get(url, headers=headers).status_code == 404
        # Only the county's leaders grant (the access module).
        from core.identity.models import Account
        from tenants.access import Action, can

        with maintenance(app) as session:
            county = session.get(Unit, world.county)
            assert can(session.get(Account, world.accounts["k-boss"]), Action.ZONES_GRANT, county)
            assert not can(session.get(Account, world.accounts["e-leader"]), Action.ZONES_GRANT,
                           session.get(Unit, world.towns["东镇"]))


# ---------------------------------------------------------------- the convener rota


def test_the_rota_advances_at_quarter_end_and_asks_for_the_term_report_once(app, factory):
    from core.errors import InvalidInput
    from core.inbox.models import InboxItem
    from core.zones import jobs as zone_jobs
    from core.zones import operations as zops
    from core.zones.models import ConvenerTerm, Zone
    from tenants.models import Unit

    first_day = date(2026, 12, 21)
    with time_machine.travel(_at(first_day), tick=False) as clock:
        world = _build_world(app, factory, first_day)

        def terms():
            with maintenance(app) as session:
                return [(t.unit_id, t.starts_on, t.ends_on, t.closed_on, t.assigned_by, t.report_requested_on)
                        for t in session.scalars(select(ConvenerTerm).where(ConvenerTerm.zone_id == world.zone1)
                                                 .order_by(ConvenerTerm.id))]

        def run_job():
            with app.app_context():
                zone_jobs.advance_zone_rotas()

        def report_requests():
            with maintenance(app) as session:
                return session.scalars(select(InboxItem.title).where(InboxItem.key.like("zone_term:%:report"))).all()

        assert terms() == [(world.towns["东镇"], first_day, date(2026, 12, 31), None, "rota", None)]
        clock.move_to(_at(date(2026, 12, 31), 23))
        run_job()
        assert len(terms()) == 1 and report_requests() == []  # the term's last day: nothing moves
        clock.move_to(_at(date(2027, 1, 1), 0) + timedelta(minutes=5))
        run_job()
        after = terms()
        assert after[0][3] == date(2026, 12, 31) and after[0][5] == date(2027, 1, 1)
        assert after[1] == (world.towns["西镇"], date(2027, 1, 1), date(2027, 3, 31), None, "rota", None)
        requests = report_requests()
        assert len(requests) == 2  # one per zone
        assert any("第一协作区" in t and "2026-12-21 至 2026-12-31" in t for t in requests)
        run_job()  # again the same night, and the next day: nothing changes
        clock.move_to(_at(date(2027, 1, 2)))
        run_job()
        assert terms() == after and len(report_requests()) == 2

        # The outgoing convener's secretary finds the request in the inbox and reports; the county receives it.
        east_leader = Browser(app, factory)
        east_leader.login("e-leader")
        assert "召集人任期工作报告" in east_leader.get(f"/u/{world.towns['东镇']}/inbox").get_data(as_text=True)
        with acting(app, world.accounts["e-leader"], world.towns["东镇"]) as session:
            term = session.scalar(select(ConvenerTerm).where(ConvenerTerm.zone_id == world.zone1)
                                  .order_by(ConvenerTerm.id).limit(1))
            zops.submit_term_report(term, "本季度召集联席会议一次，交叉办案两件。")
        county = Browser(app, factory)
        county.login("k-boss")
        assert "报送了“第一协作区”召集人任期工作报告" in county.get(f"/u/{world.county}/inbox").get_data(as_text=True)

        # The county overrides the rota: a reason is required, the convener must be a member; the replaced
        # convener is asked for its (short) term's report.
        with acting(app, world.accounts["k-boss"], world.county) as session:
            zone = session.get(Zone, world.zone1)
            for member, reason in ((world.towns["北镇"], ""), (world.towns["南湖镇"], "调整")):
                with pytest.raises(InvalidInput):
                    zops.override_convener(zone, session.get(Unit, member), reason)
            zops.override_convener(zone, session.get(Unit, world.towns["北镇"]), "西镇书记外出学习")
        final = terms()
        assert final[1][3] == date(2027, 1, 1) and final[1][5] == date(2027, 1, 2)
        assert final[2][0] == world.towns["北镇"] and final[2][4] == "override" and final[2][2] == date(2027, 3, 31)
        assert len(report_requests()) == 3


# ---------------------------------------------------------------- joint meetings and their tasks


def test_only_the_convener_schedules_and_decisions_become_tasks_for_named_members(app, factory):
    from core.errors import InvalidInput
    from core.supervision.models import SupervisionItem
    from core.zones import operations as zops
    from core.zones.models import JointMeeting, MeetingDecision, Zone
    from tenants.models import Unit

    day = _tomorrow()
    with time_machine.travel(_at(day), tick=False) as clock:
        world = _build_world(app, factory, day)
        east, west, north = (world.towns[n] for n in ("东镇", "西镇", "北镇"))
        meeting_args = dict(title="第一协作区第一季度联席会议", held_on=day + timedelta(days=2), place="东镇会议室",
                            agenda="一、通报交叉办案进展；二、研究疑难信访件")
        with pytest.raises(InvalidInput) as exc, acting(app, world.accounts["w-leader"], west) as session:
            zops.schedule_meeting(session.get(Zone, world.zone1), session.get(Unit, west), **meeting_args)
        assert "召集人" in str(exc.value.errors)
        with acting(app, world.accounts["e-leader"], east) as session:
            meeting = zops.schedule_meeting(session.get(Zone, world.zone1), session.get(Unit, east), **meeting_args)
            session.flush()
            meeting_id = meeting.id
            assert {a["unit_id"] for a in meeting.attendees} == {east, west, north, world.county}
        decisions = [{"text": "西镇、北镇于月底前完成澄清正名案件自查", "unit_ids": [west, north],
                      "due_on": (day + timedelta(days=20)).isoformat()},
                     {"text": "下季度由西镇召集", "unit_ids": []}]
        with pytest.raises(InvalidInput), acting(app, world.accounts["e-leader"], east) as session:
            zops.record_minutes(session.get(JointMeeting, meeting_id), minutes="会议纪要", decisions=decisions)
        clock.move_to(_at(day + timedelta(days=2), 16))
        with pytest.raises(InvalidInput), acting(app, world.accounts["e-leader"], east) as session:
            zops.record_minutes(session.get(JointMeeting, meeting_id), minutes="会议纪要",
                                decisions=[{"text": "交叉检查", "unit_ids": [world.towns["南湖镇"]],
                                            "due_on": (day + timedelta(days=9)).isoformat()}])
        with acting(app, world.accounts["e-leader"], east) as session:
            zops.record_minutes(session.get(JointMeeting, meeting_id), minutes="会议由东镇纪委书记主持，形成决定两项。",
                                decisions=decisions)
        with acting(app, world.accounts["k-boss"], world.county) as session:
            decision = session.scalar(select(MeetingDecision).where(MeetingDecision.meeting_id == meeting_id,
                                                                    MeetingDecision.seq == 1))
            items = zops.issue_decision_tasks(decision)
            session.flush()
            assert sorted(i.recipient_unit_id for i in items) == sorted([west, north])
            assert {i.kind for i in items} == {"task"}
            with pytest.raises(InvalidInput):
                zops.issue_decision_tasks(decision)  # already given
        for username, unit_id in (("w-leader", west), ("n-officer", north)):
            member = Browser(app, factory)
            member.login(username)
            page = member.get(f"/u/{unit_id}/supervision").get_data(as_text=True)
            assert "西镇、北镇于月底前完成澄清正名案件自查" in page, username
        outsider = Browser(app, factory)
        outsider.login("e-officer")
        assert "完成澄清正名案件自查" not in outsider.get(f"/u/{east}/supervision").get_data(as_text=True)
        with maintenance(app) as session:
            assert session.scalar(select(SupervisionItem.due_on).where(SupervisionItem.recipient_unit_id == west)) \
                == day + timedelta(days=20)


# ---------------------------------------------------------------- cross-inspection rounds


def test_a_round_pairs_members_in_a_ring_and_ends_with_its_grants(app, factory):
    from core.clearing import operations as clearing_ops
    from core.zones import operations as zops
    from core.zones.models import CrossGrant, InspectionPair, InspectionRound, Zone
    from tenants.models import Unit

    day = _tomorrow()
    with time_machine.travel(_at(day), tick=False):
        world = _build_world(app, factory, day)
        east, west, north = (world.towns[n] for n in ("东镇", "西镇", "北镇"))
        with maintenance(app) as session:  # 西镇 has an open case too; 东镇 one about an official of 北镇
            for unit_id, person, work_unit in ((west, "吴明", "西镇财政所"), (east, "郑亮", "北镇人民政府")):
                clearing_ops.register_application(session.get(Unit, unit_id), {
                    "person_name": person, "person_position": "所长", "person_work_unit": work_unit,
                    "accusation": "反映违规拨付资金", "request": "申请澄清", "applied_on": day.isoformat()})
        with acting(app, world.accounts["k-boss"], world.county) as session:
            round_ = zops.open_round(session.get(Zone, world.zone1), title="第一协作区澄清正名交叉检查",
                                     starts_on=day, ends_on=day + timedelta(days=7))
            session.flush()
            round_id = round_.id
            pairs = {p.unit_id: p.inspected_unit_id for p in round_.pairs}
            assert pairs == {east: west, west: north, north: east}
        with maintenance(app) as session:
            grants = session.scalars(select(CrossGrant).where(CrossGrant.round_id == round_id)).all()
            by_inspector = {}
            from core.clearing.models import ClearingCase

            for g in grants:
                case = session.get(ClearingCase, g.object_id)
                assert g.object_label == case.number  # a grant's label names the record, never the person
                by_inspector.setdefault(g.grantee_unit_id, []).append(case.person_name)
            assert {g.scope for g in grants} == {"inspect"}
            # 北镇 inspects 东镇's open cases but the one about its own official; 东镇 inspects 西镇's; 北镇
            # (inspected by 西镇) has none open.
            assert by_inspector[north] == ["孙澄清"]
            assert by_inspector[east] == ["吴明"] and west not in by_inspector
            east_case = session.scalar(select(CrossGrant.object_id).where(CrossGrant.round_id == round_id,
                                                                           CrossGrant.grantee_unit_id == north))
        inspector = Browser(app, factory)
        inspector.login("n-officer")
        case_url = f"/u/{north}/clearing/cases/{east_case}"
        assert "孙澄清" in inspector.get(case_url).get_data(as_text=True)
        headers = bearer(app, "n-officer")
        assert _transition(app, headers, north, "clearing_cases", east_case, "assess", ASSESS).status_code == 404
        with acting(app, world.accounts["n-officer"], north) as session:
            pair = session.scalar(select(InspectionPair).where(InspectionPair.round_id == round_id,
                                                               InspectionPair.unit_id == north))
            checklist = session.get(InspectionRound, round_id).checklist
            answers = {item: item != "回访是否落实" for item in checklist}
            zops.file_findings(pair, summary="检查东镇澄清件一件，发现回访未落实。", findings=[
                {"clearing_case_id": east_case, "answers": answers, "problem": "未制定回访计划"}])
            pair_id = pair.id
        with acting(app, world.accounts["k-boss"], world.county) as session:
            item = zops.issue_rectification(session.get(InspectionPair, pair_id), due_on=day + timedelta(days=15))
            session.flush()
            assert item.kind == "rectification" and item.recipient_unit_id == east
            assert "回访是否落实" in item.problems[0].description and "未制定回访计划" in item.problems[0].description
        owner = Browser(app, factory)
        owner.login("e-leader")
        assert "交叉检查发现" in owner.get(f"/u/{east}/supervision").get_data(as_text=True)
        assert "交叉检查" in owner.get(f"/u/{east}/clearing/cases/{east_case}").get_data(as_text=True)
        assert _stats(app, north)[("zones.cases_inspected", "")] == 1
        with acting(app, world.accounts["k-boss"], world.county) as session:
            zops.close_round(session.get(InspectionRound, round_id))
        assert inspector.get(case_url).status_code == 404
        with maintenance(app) as session:
            assert all(g.revoked_at is not None for g in session.scalars(
                select(CrossGrant).where(CrossGrant.round_id == round_id)))


# ---------------------------------------------------------------- the stateful property


class CrossAccessMachine(RuleBasedStateMachine):
    """Grant, revoke, expire (frozen time past the end day), move a township to the other zone, read and act.

    Invariant: the staff of 西镇/北镇/南湖镇 read 东镇's petition and clearing case exactly while a grant covering
    them (their account, that record) is active, and act exactly while a handle grant is; a grant across zones
    is refused; after revocation, expiry or either township leaving the grant's zone every URL answers 404 at once.
    """

    GRANTEES = {"西镇": "w-officer", "北镇": "n-officer", "南湖镇": "s-officer"}
    KINDS = ("petitions", "clearing_cases")
    counter = itertools.count()
    seen: Counter = Counter()  # what the examples went through, for the test's check that they explored

    def __init__(self, app, factory, owner_engine):
        super().__init__()
        self.app, self.factory = app, factory
        if next(self.counter):  # a fresh world per example (the test's own cleanup runs once, at its end)
            _empty_everything(owner_engine)
        self.day = _tomorrow()
        self.clock = time_machine.travel(_at(self.day), tick=False)
        self.traveller = self.clock.start()
        self.world = _build_world(app, factory, self.day)
        self.zone_of = {"东镇": 1, "西镇": 1, "北镇": 1, "南湖镇": 2}
        self.grants: dict[int, dict] = {}  # id -> {grantee, kind, scope, ends_on, revoked}
        self._log_in()
        self.petition_state, self.case_state = "registered", "applied"

    def _log_in(self):
        """API tokens (30 days) and browser sessions (the test keeps them alive over the days it travels)."""
        self.headers = {name: bearer(self.app, username) for name, username in self.GRANTEES.items()}
        self.county_headers = bearer(self.app, "k-boss")
        self.browsers = {}
        for name, username in self.GRANTEES.items():
            self.browsers[name] = Browser(self.app, self.factory)
            self.browsers[name].login(username)

    def teardown(self):
        self.clock.stop()

    # -- the model

    def _active(self, grantee: str, kind: str, *, handle: bool = False) -> bool:
        return any(g["grantee"] == grantee and g["kind"] == kind and not g["revoked"] and self.day <= g["ends_on"]
                   and (g["scope"] == "handle" or not handle) for g in self.grants.values())

    # -- rules

    @initialize(kind=st.sampled_from(KINDS), days=st.integers(0, 2))
    def first_grant(self, kind, days):
        """Every example starts with 西镇 handling one of the records (the rules then grant more or revoke)."""
        self.grant("西镇", kind, "handle", days)

    @rule(grantee=st.sampled_from(sorted(GRANTEES)), kind=st.sampled_from(KINDS),
          scope=st.sampled_from(["inspect", "handle"]), days=st.integers(0, 3))
    def grant(self, grantee, kind, scope, days):
        """The county grants through the API (/api/v1/cross-handling): 201 within the zone, 422 across zones."""
        ends_on = self.day + timedelta(days=days)
        same_zone = self.zone_of[grantee] == self.zone_of["东镇"]
        response = self.app.test_client().post("/api/v1/cross-handling", headers=self.county_headers, json={
            "grantee_unit_id": self.world.towns[grantee], "owner_unit_id": self.world.towns["东镇"],
            "number": self.world.petition_number if kind == "petitions" else self.world.case_number,
            "scope": scope, "purpose": "交叉办案", "starts_on": self.day.isoformat(), "ends_on": ends_on.isoformat(),
            "grantee_account_ids": [self.world.accounts[self.GRANTEES[grantee]]]})
        if not same_zone:
            assert response.status_code == 422, (grantee, response.status_code, response.get_json())
            assert "同属一个协作区" in str(response.get_json()["errors"]["grantee_unit_id"])
            self.seen["grant refused across zones"] += 1
            return
        assert response.status_code == 201, (grantee, response.get_json())
        self.seen[f"grant {scope}"] += 1
        self.grants[response.get_json()["id"]] = {"grantee": grantee, "kind": kind, "scope": scope,
                                                  "ends_on": ends_on, "revoked": False,
                                                  "zone": self.zone_of[grantee]}
        self._check_read(grantee, kind)  # at once

    @precondition(lambda self: any(not g["revoked"] for g in self.grants.values()))
    @rule(data=st.data())
    def revoke(self, data):
        grant_id = data.draw(st.sampled_from(sorted(i for i, g in self.grants.items() if not g["revoked"])))
        response = self.app.test_client().post(f"/api/v1/cross-handling/{grant_id}/revoke", headers=self.county_headers,
                                               json={"reason": "县纪委监委撤销授权"})
        assert response.status_code == 200 and response.get_json()["state"] == "revoked", response.get_json()
        self.grants[grant_id]["revoked"] = True
        self.seen["revoked"] += 1
        self._check_everything(self.grants[grant_id]["grantee"])  # at once

    @rule()
    def expire(self):
        """A day passes: the grants whose last day it was end at midnight, for every URL at once."""
        ending = {g["grantee"] for g in self.grants.values() if not g["revoked"] and g["ends_on"] == self.day}
        self.day += timedelta(days=1)
        self.traveller.move_to(_at(self.day, 0) + timedelta(minutes=1))  # just past the end of the previous day
        self._check_everything(*sorted(ending))
        self.seen["expired"] += len(ending)

    @rule(township=st.sampled_from(["东镇", "西镇", "北镇", "南湖镇"]))
    def move(self, township):
        from core.zones import operations as zops
        from core.zones.models import Zone
        from tenants.models import Unit

        left = self.zone_of[township]
        target = 2 if left == 1 else 1
        with acting(self.app, self.world.accounts["k-boss"], self.world.county) as session:
            zops.move_member(session.get(Unit, self.world.towns[township]),
                             session.get(Zone, self.world.zone1 if target == 1 else self.world.zone2))
        self.zone_of[township] = target
        # Leaving a zone ends its grants the township holds, and those opening its records (东镇 owns them all).
        ending = [g for g in self.grants.values() if not g["revoked"] and self.day <= g["ends_on"]
                  and g["zone"] == left and township in (g["grantee"], "东镇")]
        for g in ending:
            g["revoked"] = True
        self.seen["revoked by leaving"] += len(ending)
        self._check_everything(*sorted({g["grantee"] for g in ending}))  # at once

    @rule(grantee=st.sampled_from(sorted(GRANTEES)))
    def read_and_act(self, grantee):
        """The grantee reads both records (API) and tries the next handling step on each."""
        for kind in self.KINDS:
            self._check_read(grantee, kind)
            self._act(grantee, kind)

    def _act(self, grantee, kind):
        unit_id = self.world.towns[grantee]
        record = self.world.petition if kind == "petitions" else self.world.case
        step, data, possible = self._next_step(kind)
        response = _transition(self.app, self.headers[grantee], unit_id, kind, record, step, data)
        self.seen[f"act {response.status_code}"] += 1
        if not self._active(grantee, kind, handle=True):
            assert response.status_code == 404, (grantee, kind, step, response.status_code)
        elif not possible:
            assert response.status_code == 409, (grantee, kind, step, response.status_code)
        else:
            assert response.status_code == 200, (grantee, kind, step, response.get_json())
            self._advance(kind, response.get_json()["state"])

    @precondition(lambda self: self.case_state in ("assessed", "plan_submitted"))
    @rule()
    def owner_decides(self):
        """东镇's leader takes the decisions a cross-handler never takes, so the handling can go on."""
        step = "review" if self.case_state == "assessed" else "approve_plan"
        response = _transition(self.app, bearer(self.app, "e-leader"), self.world.towns["东镇"], "clearing_cases",
                               self.world.case, step, {"opinion": "同意澄清"})
        assert response.status_code == 200, response.get_json()
        self.case_state = response.get_json()["state"]

    def _next_step(self, kind) -> tuple[str, dict, bool]:
        """The cross-handler's next step on the record, its data, and whether the record's state allows it."""
        day = self.day.isoformat()
        if kind == "petitions":
            return {"registered": ("start", {}, True),
                    "handling": ("conclude", {"outcome": "unfounded", "findings": "经异地核查，反映问题不属实"}, True),
                    }.get(self.petition_state, ("start", {}, False))
        return {"applied": ("assess", ASSESS, True),
                "assessed": ("assess", ASSESS, False),
                "reviewed": ("submit_plan", {"method": "notice", "scope": "本人", "planned_on": day}, True),
                "plan_submitted": ("submit_plan", {}, False),
                "plan_approved": ("clear", {"held_on": day, "attendance": "村两委", "presided_by": "镇纪委书记"}, True),
                "cleared": ("feedback", {"person_on": day, "party_org": "村党支部", "org_head": "李书记", "org_on": day,
                                         "personnel_dept": "镇组织办", "personnel_on": day}, True),
                }.get(self.case_state, ("feedback", {}, False))

    def _advance(self, kind, state):
        if kind == "petitions":
            self.petition_state = state
        else:
            self.case_state = state

    # -- checks

    def _check_read(self, grantee, kind):
        unit_id = self.world.towns[grantee]
        record = self.world.petition if kind == "petitions" else self.world.case
        path = "petitions" if kind == "petitions" else "clearing-cases"
        expected = 200 if self._active(grantee, kind) else 404
        api = self.app.test_client().get(f"/api/v1/u/{unit_id}/{path}/{record}", headers=self.headers[grantee])
        assert api.status_code == expected, (grantee, kind, api.status_code, self.grants)
        self.seen[f"read {api.status_code}"] += 1
        if expected == 200:
            assert "13912345678" not in api.get_data(as_text=True)

    def _check_everything(self, *grantees):
        """Every URL of both records, for those grantees: page and API readable exactly while a grant is
        active; the documents and the person's file never; the steps 404 without a handle grant."""
        for grantee in grantees:
            browser = self.browsers[grantee]
            unit_id = self.world.towns[grantee]
            for name, url in _urls(self.world, unit_id).items():
                kind = "petitions" if name.startswith("petition") else "clearing_cases"
                expected = 200 if self._active(grantee, kind) and ("page" in name or "api" in name) else 404
                response = self.app.test_client().get(url, headers=self.headers[grantee]) if "api" in name \
                    else browser.get(url)
                assert response.status_code == expected, (grantee, name, response.status_code)
            for kind in self.KINDS:
                if not self._active(grantee, kind, handle=True):
                    record = self.world.petition if kind == "petitions" else self.world.case
                    step, data, _possible = self._next_step(kind)
                    assert _transition(self.app, self.headers[grantee], unit_id, kind, record, step,
                                       data).status_code == 404, (grantee, kind, step)

    @invariant()
    def stats_stay_with_their_owners(self):
        if not self.grants:
            return
        for grantee in self.GRANTEES:
            metrics = {m for m, _p in _stats(self.app, self.world.towns[grantee])}
            assert metrics <= {"zones.cross_handled_steps"}, (grantee, metrics)


def test_cross_access_exactly_while_a_grant_is_active(app, factory, owner_engine, monkeypatch):
    # The examples travel days ahead: sessions are kept alive meanwhile (their timeouts have tests of their own).
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 60 * 24 * 60)
    monkeypatch.setitem(app.config, "SESSION_ABSOLUTE_HOURS", 24 * 60)
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", timedelta(days=60))
    CrossAccessMachine.counter, CrossAccessMachine.seen = itertools.count(), Counter()
    run_state_machine_as_test(
        lambda: CrossAccessMachine(app, factory, owner_engine),
        settings=settings(max_examples=5, stateful_step_count=20, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck)))
    seen = CrossAccessMachine.seen
    # The examples did go through the interesting paths, not only refusals.
    assert seen["act 200"] and seen["act 404"] and seen["read 200"] and seen["read 404"], seen
    assert seen["grant handle"] and seen["grant inspect"] and seen["grant refused across zones"], seen
    assert seen["expired"] and seen["revoked"] and seen["revoked by leaving"], seen
