"""The figures of remote evidence (远程取证) roll up like every figure: after random interviews planned on leads at
every level of a tree (township, county, city, province), the staff's confirmations, the procedure's steps taken in
order or out of it (refused, nothing moved), the recording and the transcript attached and files archived (both
refused once finalised), the staff changed before the procedure starts, interviews finalised (refused while a piece
is missing) and checked by the case-management office, each unit's stats rows equal a recount from its records (the
nightly reconcile finds nothing), every level's figure equals the sum of its children's and of its subtree's stats
rows, and the province's figures equal a count over every interview."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core import context
from core.extensions import db
from tests.test_rollups import ADDITIVE_KINDS, assert_rollups_agree, subtree_total, _units, period_text

STEPS = ("consent", "show_id", "inform_rights", "verify_identity", "question", "check_transcript", "sign")
RECORDING = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 512
TRANSCRIPT = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
action = st.one_of(
    st.tuples(st.just("plan"), st.integers(0, 7), st.integers(0, 10_000)),
    st.tuples(st.just("confirm"), st.integers(0, 10_000), st.integers(0, 1)),
    st.tuples(st.just("step"), st.integers(0, 10_000), st.integers(0, 9)),
    st.tuples(st.just("step"), st.integers(0, 10_000), st.integers(0, 9)),
    st.tuples(st.just("walk"), st.integers(0, 10_000), st.integers(0, 1)),
    st.tuples(st.just("upload"), st.integers(0, 10_000), st.integers(0, 1)),
    st.tuples(st.just("finalise"), st.integers(0, 10_000), st.integers(0, 1)),
    st.tuples(st.just("check"), st.integers(0, 10_000), st.just(0)),
    st.tuples(st.just("complete"), st.integers(0, 10_000), st.integers(0, 3)),
    st.tuples(st.just("archive"), st.integers(0, 10_000), st.just(0)),
    st.tuples(st.just("update"), st.integers(0, 10_000), st.integers(0, 1)),
)


@pytest.fixture
def world(app, factory):
    """The test tree; two officers and a case admin who are members of every unit of it."""
    tree = factory.tree()
    ids = [tree.province, tree.city, tree.county, tree.town, tree.town2, tree.other_city, tree.other_county,
           tree.other_town]
    return {"units": ids,
            "staff": [factory.account(f"er-staff{n}", [(u, "officer") for u in ids]) for n in (1, 2)],
            "caseadmin": factory.account("er-caseadmin", [(u, "case_admin") for u in ids])}


def _pick(model, a):
    rows = db.session.scalars(select(model).order_by(model.id)).all()
    return rows[a % len(rows)] if rows else None


def _plan(unit, staff, b: int):
    from core import calendar
    from core.evidence import operations as ops
    from core.leads import operations as lead_ops
    from core.leads.models import Lead

    lead = db.session.scalar(select(Lead).where(Lead.unit_id == unit.id).order_by(Lead.id))
    if lead is None or b % 3 == 0:
        lead = lead_ops.register_lead(unit, {"source": "assigned", "summary": "反映村干部优亲厚友",
                                             "received_on": calendar.today().isoformat(),
                                             "persons": [{"name": "孙被查", "level": "village"}]})
    first, second = staff if b % 2 else staff[::-1]
    return ops.plan_interview(unit, {
        "subject_type": "leads", "subject_id": lead.id, "witness_name": "马证人", "witness_position": "村民",
        "staff1_id": first.id, "staff2_id": second.id,
        "planned_at": (calendar.today() + timedelta(days=b % 5)).isoformat() + "T09:30",
        "mode": "wechat_video", "place": "纪委谈话室"}, first)


def _take(interview, step: str, staff, b: int) -> None:
    from core.evidence import operations as ops

    data = {"consent": True, "consent_note": "电话征得本人同意"} if step == "consent" else {"note": "已完成"}
    ops.take_step(interview, step, data, staff[b % 2])


def _upload(interview, kind: int, staff) -> None:
    from core.attachments import operations as attachment_ops
    from tenants.models import Unit

    content, filename = (RECORDING, "全程录像.mp4") if kind == 0 else (TRANSCRIPT, "询问笔录.pdf")
    attachment_ops.upload(interview, io.BytesIO(content), filename,
                          acting_unit=db.session.get(Unit, interview.unit_id), account=staff[0])


def _apply(step, units, people) -> None:
    from core.attachments import operations as attachment_ops
    from core.attachments.models import Attachment
    from core.errors import Conflict, InvalidInput
    from core.evidence import operations as ops
    from core.evidence import queries
    from core.evidence.models import RemoteInterview
    from core.evidence.workflow import due_step

    name, a, b = step
    staff, caseadmin = people
    try:
        if name == "plan":
            _plan(units[a], staff, b)
        elif name == "archive":  # a file taken off an interview (refused once it is finalised)
            files = db.session.scalars(select(Attachment).where(Attachment.object_type == "remote_interviews",
                                                                Attachment.archived_at.is_(None))
                                       .order_by(Attachment.id)).all()
            if files:
                attachment_ops.archive(files[a % len(files)], "上传错了文件", account=staff[0])
        elif (interview := _pick(RemoteInterview, a)) is None:
            return
        elif name == "update":  # the staff (swapped or kept) and the place, before the procedure starts
            first, second = (interview.staff2, interview.staff1) if b else (interview.staff1, interview.staff2)
            ops.update_interview(interview, {**ops.current_fields(interview), "staff1_id": first.id,
                                             "staff2_id": second.id, "place": "县纪委远程取证室"})
        elif name == "confirm":
            ops.confirm_participation(interview, staff[b])
        elif name == "step":  # any step: the one due moves on, any other is refused and moves nothing
            _take(interview, (*STEPS, "finalise", "check", "other")[b] if b < 7 else STEPS[b - 7], staff, b)
        elif name == "walk":  # the steps still due, in order (a whole interview in one go)
            while (due := due_step(interview.state)) is not None and interview.state not in ("finalised", "checked"):
                _take(interview, due, staff, b)
        elif name == "upload":
            _upload(interview, b, staff)
        elif name == "finalise":
            ops.finalise(interview, {}, staff[b])
        elif name == "complete":  # everything still missing, then 完成 (b == 3: the transcript left out)
            for account, at in zip(staff, (interview.staff1_confirmed_at, interview.staff2_confirmed_at)
                                   if interview.staff1_id == staff[0].id else
                                   (interview.staff2_confirmed_at, interview.staff1_confirmed_at)):
                if at is None and interview.state not in ("finalised", "checked"):
                    ops.confirm_participation(interview, account)
            while (due := due_step(interview.state)) is not None and interview.state not in ("finalised", "checked"):
                _take(interview, due, staff, b)
            recordings, transcripts = queries.candidates(interview)
            for kind, present in ((0, recordings), (1, transcripts)):
                if not present and not (kind == 1 and b == 3):
                    _upload(interview, kind, staff)
            ops.finalise(interview, {}, staff[b % 2])
        elif name == "check":
            ops.check(interview, {"note": "程序完整，录像和笔录一致"}, caseadmin)
    except (InvalidInput, Conflict):
        db.session.rollback()  # a step the state does not allow now: nothing moved
        return
    db.session.commit()


@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(action, min_size=5, max_size=50), period=period_text)
def test_evidence_figures_equal_a_recount_and_the_sum_of_the_children_at_every_level(app, world, steps, period):
    from core import calendar
    from core.attachments.kinds import KINDS
    from core.attachments.models import Attachment
    from core.evidence import operations as ops
    from core.evidence.models import RemoteInterview
    from core.evidence.workflow import OPEN
    from core.identity.models import Account
    from reporting import reconcile, rollups
    from reporting.figures import FIGURES
    from reporting.operations import refresh_changed_units
    from reporting.periods import parse_period
    from tenants.models import Unit, UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        units = _units(app, world["units"])
        people = ([db.session.get(Account, i) for i in world["staff"]], db.session.get(Account, world["caseadmin"]))
        for step in steps:
            _apply(step, units, people)
        today = calendar.today()
        refresh_changed_units(today)
        db.session.commit()

        for unit in units:
            assert reconcile.reconcile_unit(unit, today) == [], unit.name
            stored = {(row.metric, row.period): row.value for row in db.session.scalars(select(UnitStat).where(
                UnitStat.unit_id == unit.id, UnitStat.metric.like("evidence.%"))) if row.value}
            assert stored == {k: v for k, v in ops.recount(unit, today).items() if v}, unit.name

        metrics = ("evidence.interviews.open", "evidence.interviews.held", "evidence.interviews.finalised",
                   "evidence.interviews.checked")
        for unit in units:
            children = db.session.scalars(select(Unit).where(Unit.parent_id == unit.id)).all()
            for metric in metrics:
                own = ops.recount(unit, today).get((metric, ""), 0)
                assert subtree_total(unit, metric) == own + sum(subtree_total(ch, metric) for ch in children), (unit.name, metric)

        asked = parse_period(period)
        keys = [k for k, f in FIGURES.items() if f.area == "evidence" and f.kind in ADDITIVE_KINDS]
        assert set(keys) == set(metrics)
        assert_rollups_agree(units, asked, keys, today, period)

        # The province's figures are a count over every interview of the tree; each state's rules held.
        interviews = db.session.scalars(select(RemoteInterview)).all()
        province = rollups.rollup(units[0], asked, keys)
        assert province["evidence.interviews.open"] == sum(1 for i in interviews if i.state in OPEN)
        for metric, day in (("held", "held_on"), ("finalised", "finalised_on"), ("checked", "checked_on")):
            assert province[f"evidence.interviews.{metric}"] == sum(
                1 for i in interviews if getattr(i, day) is not None and asked.contains(getattr(i, day))), metric
        for interview in interviews:
            if interview.state in ("finalised", "checked"):  # its evidence stays on it, unarchived
                for file_id, classes in ((interview.recording_file_id, ("video", "audio")),
                                         (interview.transcript_file_id, ("pdf", "office", "image"))):
                    attachment = db.session.get(Attachment, file_id)
                    assert attachment.object_type == "remote_interviews" and attachment.object_id == interview.id
                    assert attachment.archived_at is None and KINDS[attachment.kind].size_class in classes
                assert interview.staff1_confirmed_at and interview.staff2_confirmed_at and interview.held_on
            assert (interview.checked_on is not None) == (interview.state == "checked")
