"""Remote evidence (远程取证): the procedure is enforced in order (every skip refused naming the step due, saving
nothing); finalising needs every step, both staff (each with their own account), the recording and the signed
transcript, each missing piece refused with its own message; a finalised interview cannot change (fields, steps,
files) and waits for the case admin's check; the figures move and the recount agrees; strangers get 404."""
from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import func, select

from core import calendar, context
from core.extensions import db
from tests.conftest import bearer

CJK = re.compile(r"[\u4e00-\u9fff]")
STEPS = ("consent", "show_id", "inform_rights", "verify_identity", "question", "check_transcript", "sign")
RECORDING = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 4096
TRANSCRIPT = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _people(factory, tree) -> dict:
    return {"leader": factory.account("e-leader", [(tree.town, "leader")]),
            "officer": factory.account("e-officer", [(tree.town, "officer")]),
            "second": factory.account("e-second", [(tree.town, "officer")]),
            "caseadmin": factory.account("e-caseadmin", [(tree.town, "case_admin")]),
            "intake": factory.account("e-intake", [(tree.town, "intake")]),
            "stranger": factory.account("e-west", [(tree.town2, "officer")]),
            "county": factory.account("e-county", [(tree.county, "leader")]),
            "analyst": factory.account("e-analyst", [(tree.province, "analyst")])}


def _lead(app, unit_id: int, account_id: int) -> int:
    from core.leads import operations as lead_ops
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(account_id=account_id), db.session):
        lead = lead_ops.register_lead(db.session.get(Unit, unit_id), dict(
            source="assigned", source_note="县纪委交办", received_on=calendar.today().isoformat(),
            summary="反映村干部优亲厚友", persons=[{"name": "孙被查", "level": "village"}]))
        db.session.commit()
        return lead.id


def _body(people, lead_id: int, **extra) -> dict:
    planned = (calendar.today() + timedelta(days=1)).isoformat() + "T09:30"
    return {"subject_type": "leads", "subject_id": lead_id, "witness_name": "马证人", "witness_position": "村民",
            "witness_work_unit": "新疆务工", "witness_id_number": "620722198503150011",
            "staff1_id": people["officer"], "staff2_id": people["second"], "planned_at": planned,
            "mode": "wechat_video", "place": "镇纪委谈话室", **extra}


class Walk:
    """One interview driven through the API as its people would."""

    def __init__(self, app, tree, people):
        self.app, self.tree, self.people = app, tree, people
        self.client = app.test_client()
        self.h = {name: bearer(app, f"e-{name}") for name in ("officer", "second", "leader", "caseadmin")}
        self.lead_id = _lead(app, tree.town, people["officer"])
        response = self.client.post(self.url(), json=_body(people, self.lead_id), headers=self.h["officer"])
        assert response.status_code == 201, response.get_json()
        self.id = response.get_json()["id"]

    def url(self, tail: str | None = None) -> str:
        base = f"/api/v1/u/{self.tree.town}/remote-interviews"
        return base if tail is None else f"{base}/{self.id}{tail}"

    def step(self, step: str, who: str = "officer", **data):
        return self.client.post(self.url("/steps"), json={"step": step, "data": data}, headers=self.h[who])

    def procedure(self) -> dict:
        return self.client.get(self.url("/steps"), headers=self.h["officer"]).get_json()

    def get(self) -> dict:
        return self.client.get(self.url(""), headers=self.h["officer"]).get_json()

    def upload(self, content: bytes, name: str, who: str = "officer"):
        return self.client.post(f"/api/v1/u/{self.tree.town}/attachments", headers=self.h[who],
                                data={"record_type": "remote_interviews", "record_id": str(self.id),
                                      "file": (io.BytesIO(content), name)}, content_type="multipart/form-data")

    def walk_steps(self) -> None:
        for i, step in enumerate(STEPS):
            data = {"consent": True, "consent_note": "电话征得本人同意"} if step == "consent" else {}
            response = self.step(step, "officer" if i % 2 == 0 else "second", **data)
            assert response.status_code == 200, (step, response.get_json())


def _stats(app, unit_id: int) -> dict:
    from tenants.models import UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return {row.metric: row.value for row in db.session.scalars(select(UnitStat).where(
            UnitStat.unit_id == unit_id, UnitStat.period == "", UnitStat.metric.like("evidence.%")))}


def _history(app, interview_id: int) -> list[str]:
    from core.workflow import history

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return [h.transition for h in history("remote_interviews", interview_id)]


def _files(app, interview_id: int) -> int:
    from core.attachments.models import Attachment

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return db.session.scalar(select(func.count(Attachment.id)).where(
            Attachment.object_type == "remote_interviews", Attachment.object_id == interview_id,
            Attachment.archived_at.is_(None)))


def test_every_step_is_confirmed_in_order_and_a_skip_is_refused_naming_the_step_due(app, factory):
    tree = factory.tree()
    people = _people(factory, tree)
    walk = Walk(app, tree, people)
    assert walk.procedure()["due_step"] == "consent"
    # Before the witness's consent, no other step: each refused with the step due, by name; nothing saved.
    for step in STEPS[1:]:
        response = walk.step(step)
        assert response.status_code == 409, step
        body = response.get_json()
        assert "程序不能跳过" in body["message"] and "记录证人同意视频询问" in body["message"], body
        assert body["due_step"] == "consent"
    # The consent itself must be given and say how.
    response = walk.step("consent")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"consent", "consent_note"}
    assert all(CJK.search(m) for ms in response.get_json()["errors"].values() for m in ms)
    assert _history(app, walk.id) == ["create"]
    # A leader of the unit who is not one of the two staff confirms no step.
    response = walk.step("consent", "leader", consent=True, consent_note="电话征得本人同意")
    assert response.status_code == 422 and "两名办案人员" in response.get_json()["message"]
    assert walk.step("consent", consent=True, consent_note="电话征得本人同意").status_code == 200
    # From 出示工作证件 on: skipping 告知权利义务, 核实身份 … each refused naming the step due.
    for position, due in enumerate(STEPS[1:], start=1):
        for later in STEPS[position + 1:]:
            response = walk.step(later)
            assert response.status_code == 409, (due, later)
            assert walk.procedure()["due_step"] == due
            assert f"“{walk.procedure()['steps'][position]['label']}”" in response.get_json()["message"]
        response = walk.step(STEPS[position - 1])  # and none is confirmed twice
        assert response.status_code == 409 and "已经确认" in response.get_json()["message"]
        assert walk.step(due, "second" if position % 2 else "officer").status_code == 200
    # Each step names who confirmed it and when.
    procedure = walk.procedure()
    steps = {s["step"]: s for s in procedure["steps"]}
    assert all(steps[s]["done"] and steps[s]["at"] for s in STEPS)
    assert steps["consent"]["by_id"] == people["officer"] and steps["show_id"]["by_id"] == people["second"]
    assert procedure["state"] == "signed" and procedure["due_step"] is None
    assert _history(app, walk.id) == ["create", *STEPS]
    assert walk.get()["held_on"] == calendar.today().isoformat()


def test_finalising_refuses_each_missing_piece_with_its_own_message_and_saves_nothing(app, factory):
    tree = factory.tree()
    people = _people(factory, tree)
    walk = Walk(app, tree, people)
    for step in STEPS[:3]:
        walk.step(step, consent=True, consent_note="电话征得本人同意")
    response = walk.step("finalise")
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"steps", "staff", "recording_file_id", "transcript_file_id"}
    assert "核实身份" in errors["steps"][0]
    for step in STEPS[3:]:
        walk.step(step)
    before = _stats(app, tree.town)

    assert walk.step("confirm_participation").status_code == 200  # the first staff member, own account
    response = walk.step("finalise")
    errors = response.get_json()["errors"]
    assert response.status_code == 422 and set(errors) == {"staff", "recording_file_id", "transcript_file_id"}
    assert errors["staff"] == ["办案人员e-second 姓名尚未用本人账号确认参与本次取证"]
    assert errors["recording_file_id"] == ["尚未上传全程录像（视频或音频文件）"]
    assert "签字确认的询问笔录" in errors["transcript_file_id"][0]
    # Nobody confirms for another: the first staff member cannot confirm twice, a leader not at all.
    assert walk.step("confirm_participation").status_code == 409
    assert walk.step("confirm_participation", "leader").status_code == 422

    assert walk.upload(RECORDING, "录像.mp4").status_code == 201
    errors = walk.step("finalise").get_json()["errors"]
    assert set(errors) == {"staff", "transcript_file_id"}

    assert walk.step("confirm_participation", "second").status_code == 200
    errors = walk.step("finalise").get_json()["errors"]
    assert set(errors) == {"transcript_file_id"}
    assert walk.get()["state"] == "signed" and _stats(app, tree.town) == before

    assert walk.upload(TRANSCRIPT, "笔录.pdf").status_code == 201
    response = walk.step("finalise", "second")
    assert response.status_code == 200, response.get_json()
    interview = walk.get()
    assert interview["state"] == "finalised" and interview["recording_file_id"] and interview["transcript_file_id"]
    assert _history(app, walk.id)[-1] == "finalise"


def _finalised(app, factory) -> tuple[Walk, object, dict]:
    tree = factory.tree()
    people = _people(factory, tree)
    walk = Walk(app, tree, people)
    walk.walk_steps()
    walk.step("confirm_participation")
    walk.step("confirm_participation", "second")
    walk.upload(RECORDING, "录像.mp4")
    walk.upload(TRANSCRIPT, "笔录.pdf")
    assert walk.step("finalise").status_code == 200
    return walk, tree, people


def test_a_finalised_interview_cannot_change_and_the_case_admin_records_the_check(app, factory):
    walk, tree, people = _finalised(app, factory)
    version = walk.get()["version"]
    history = _history(app, walk.id)
    files = _files(app, walk.id)
    # Fields, steps, participation: refused, read-only.
    response = walk.client.patch(walk.url(""), json={**_body(people, walk.lead_id), "place": "改地点"},
                                 headers=walk.h["officer"])
    assert response.status_code == 409 and "只读" in response.get_json()["message"]
    for step in (*STEPS, "confirm_participation", "finalise"):
        response = walk.step(step, consent=True, consent_note="再次同意")
        assert response.status_code == 409, step
        assert CJK.search(response.get_json()["message"])
    # Files: no new one (nothing stored), none archived.
    response = walk.upload(RECORDING, "补充录像.mp4")
    assert response.status_code == 422 and "只读" in response.get_json()["message"]
    file_id = walk.get()["recording_file_id"]
    response = walk.client.post(f"/api/v1/u/{tree.town}/attachments/{file_id}/archive", json={"reason": "误传"},
                                headers=walk.h["officer"])
    assert response.status_code == 422 and "不能归档" in response.get_json()["message"]
    interview = walk.get()
    assert (interview["version"], interview["place"], interview["state"]) == (version, "镇纪委谈话室", "finalised")
    assert _history(app, walk.id) == history and _files(app, walk.id) == files
    # The files stay readable, their digest checked.
    download = walk.client.get(f"/api/v1/u/{tree.town}/attachments/{file_id}/content", headers=walk.h["officer"])
    assert download.status_code == 200 and download.data == RECORDING

    # 案管核查: the case admin only, with a note.
    assert walk.step("check", "officer", note="已核查").status_code == 404
    response = walk.step("check", "caseadmin")
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"note"}
    assert walk.step("check", "caseadmin", note="程序完整，录像与笔录一致").status_code == 200
    interview = walk.get()
    assert interview["state"] == "checked" and interview["check_note"] == "程序完整，录像与笔录一致"
    assert walk.step("check", "caseadmin", note="再核").status_code == 409


def _inbox(app, unit_id: int) -> list[tuple]:
    from core.inbox.models import InboxItem

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return sorted((i.account_id or 0, i.roles or "", i.title[:6], i.done_at is None) for i in db.session.scalars(
            select(InboxItem).where(InboxItem.unit_id == unit_id, InboxItem.object_type == "remote_interviews")))


def test_before_the_consent_the_plan_changes_and_the_inbox_asks_each_staff_member_then_the_case_admin(app, factory):
    tree = factory.tree()
    people = _people(factory, tree)
    walk = Walk(app, tree, people)
    assert _inbox(app, tree.town) == [(people["officer"], "", "请确认参与远", True),
                                      (people["second"], "", "请确认参与远", True)]
    # A partial change keeps the other fields; the planned time stays where it was.
    planned = walk.get()["planned_at"]
    response = walk.client.patch(walk.url(""), json={"place": "县纪委远程询问室", "version": walk.get()["version"]},
                                 headers=walk.h["officer"])
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["place"], response.get_json()["planned_at"]) == ("县纪委远程询问室", planned)
    response = walk.client.patch(walk.url(""), json={"staff2_id": people["officer"]}, headers=walk.h["officer"])
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"staff2_id"}
    walk.step("confirm_participation")
    walk.step("consent", consent=True, consent_note="电话征得本人同意")
    response = walk.client.patch(walk.url(""), json={"place": "别处"}, headers=walk.h["officer"])
    assert response.status_code == 409 and "已开始" in response.get_json()["message"]
    still_open = [account for account, _r, _t, open_ in _inbox(app, tree.town) if open_]
    assert still_open == [people["second"]]  # the officer confirmed; the second staff member is still asked
    for step in STEPS[1:]:
        walk.step(step)
    walk.step("confirm_participation", "second")
    walk.upload(RECORDING, "录像.mp4")
    walk.upload(TRANSCRIPT, "笔录.pdf")
    assert walk.step("finalise").status_code == 200
    assert [(r, open_) for account, r, _t, open_ in _inbox(app, tree.town) if not account] == [(",case_admin,", True)]
    walk.step("check", "caseadmin", note="已核查")
    assert not [item for item in _inbox(app, tree.town) if item[3]]


def test_planning_refuses_bad_input_in_chinese_and_saves_nothing(app, factory):
    tree = factory.tree()
    people = _people(factory, tree)
    client = app.test_client()
    officer = bearer(app, "e-officer")
    lead_id = _lead(app, tree.town, people["officer"])
    url = f"/api/v1/u/{tree.town}/remote-interviews"
    response = client.post(url, json={}, headers=officer)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"subject_type", "subject_id", "witness_name", "staff1_id", "staff2_id", "planned_at",
                           "mode", "place"}
    assert all(CJK.search(m) for ms in errors.values() for m in ms)
    # The same person twice; a member of another unit; an intake clerk (no record-handling role).
    for staff2, field in ((people["officer"], "staff2_id"), (people["stranger"], "staff2_id"),
                          (people["intake"], "staff2_id")):
        response = client.post(url, json=_body(people, lead_id, staff2_id=staff2), headers=officer)
        assert response.status_code == 422 and set(response.get_json()["errors"]) == {field}, staff2
    # A lead of the sibling township: as if it did not exist.
    other_lead = _lead(app, tree.town2, people["stranger"])
    assert client.post(url, json=_body(people, other_lead), headers=officer).status_code == 404
    assert client.get(url, headers=officer).get_json()["total"] == 0
    assert _stats(app, tree.town) == {}


def test_the_figures_move_with_each_write_and_the_recount_agrees(app, factory):
    from core.evidence import operations as ops
    from reporting import reconcile
    from tenants.models import Unit

    walk, tree, people = _finalised(app, factory)
    second = Walk(app, tree, people)
    second.step("consent", consent=True, consent_note="电话同意")
    today = calendar.today().isoformat()
    assert {k: v for k, v in _stats(app, tree.town).items() if v} == {
        "evidence.interviews.open": 1, "evidence.interviews.held": 1, "evidence.interviews.finalised": 1}
    walk.step("check", "caseadmin", note="已核查")
    assert _stats(app, tree.town)["evidence.interviews.checked"] == 1
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        town = db.session.get(Unit, tree.town)
        assert [d for d in reconcile.reconcile_unit(town, calendar.today()) if d.metric.startswith("evidence.")] == []
        counted = ops.recount(town, calendar.today())
        assert counted[("evidence.interviews.held", today)] == 1
        assert counted[("evidence.interviews.finalised", today)] == 1
        assert counted[("evidence.interviews.checked", today)] == 1
        assert counted[("evidence.interviews.open", "")] == 1
        from core.evidence import queries

        rows = list(queries.ledger_rows(town, queries.InterviewFilter()))
        assert len(rows) == 2 and len(rows[0]) == len(queries.ledger_header())
        assert {row[2] for row in rows} == {"马证人"} and {row[6] for row in rows} == {"案管已核查", "证人已同意视频询问"}


def test_a_sibling_township_the_county_and_an_analyst_get_404_on_every_interview(app, factory, browser):
    walk, tree, people = _finalised(app, factory)
    client = app.test_client()
    for who, unit_id in (("e-west", tree.town), ("e-west", tree.town2), ("e-county", tree.county),
                         ("e-county", tree.town), ("e-analyst", tree.province)):
        headers = bearer(app, who)
        base = f"/api/v1/u/{unit_id}/remote-interviews/{walk.id}"
        for path in (base, f"{base}/steps"):
            assert client.get(path, headers=headers).status_code == 404, (who, path)
        assert client.post(f"{base}/steps", json={"step": "check", "data": {"note": "x"}},
                           headers=headers).status_code == 404
        assert client.patch(base, json={"place": "x"}, headers=headers).status_code == 404
        file_id = walk.get()["recording_file_id"]
        assert client.get(f"/api/v1/u/{unit_id}/attachments/{file_id}/content", headers=headers).status_code == 404
    listing = client.get(f"/api/v1/u/{tree.town2}/remote-interviews", headers=bearer(app, "e-west"))
    assert listing.status_code == 200 and listing.get_json()["items"] == []
    browser.login("e-west")
    for path in (f"/u/{tree.town}/evidence/{walk.id}", f"/u/{tree.town2}/evidence/{walk.id}",
                 f"/u/{tree.town}/evidence"):
        response = browser.get(path)
        assert response.status_code == 404 and "马证人" not in response.get_data(as_text=True)


def test_the_pages_walk_the_procedure_one_button_at_a_time(app, factory, browser):
    tree = factory.tree()
    people = _people(factory, tree)
    lead_id = _lead(app, tree.town, people["officer"])
    browser.login("e-officer")
    home = browser.get(f"/u/{tree.town}/evidence").get_data(as_text=True)
    assert "远程取证" in home and "data-plan-interview" in home
    new = f"/u/{tree.town}/evidence/new?subject_type=leads&subject_id={lead_id}"
    assert f'value="leads:{lead_id}" selected' in browser.get(new).get_data(as_text=True)
    response = browser.post(f"/u/{tree.town}/evidence/new", {"subject": f"leads:{lead_id}"}, form_page=new)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("请填写证人姓名", "请选择第二名办案人员", "请填写计划取证时间", "请选择取证方式", "请填写取证地点"):
        assert message in page
    body = _body(people, lead_id)
    body["subject"] = f"leads:{lead_id}"
    response = browser.post(f"/u/{tree.town}/evidence/new", body, form_page=new)
    assert response.status_code == 302
    url = response.location
    page = browser.get(url).get_data(as_text=True)
    assert "马证人" in page and 'data-step-form="consent"' in page and 'data-step-form="show_id"' not in page
    # A forged skip: refused on the page with the step due.
    response = browser.post(f"{url}/steps/question", {"note": ""}, form_page=url)
    assert response.status_code == 409 and "程序不能跳过" in response.get_data(as_text=True)
    response = browser.post(f"{url}/steps/consent", {"consent": "1", "consent_note": "电话征得本人同意"}, form_page=url)
    assert response.status_code == 302
    page = browser.get(url).get_data(as_text=True)
    assert 'data-step-form="show_id"' in page and "电话征得本人同意" in page
    assert "e-officer 姓名" in page and "None" not in page


def test_a_lead_page_shows_its_interviews_and_the_link_planning_one(app, factory, browser):
    """The lead's page (a lower area's) shows the interviews through the record panels that evidence registers:
    the officer gets the link planning another, the case admin reads them only, intake reads no interviews."""
    tree = factory.tree()
    people = _people(factory, tree)
    walk = Walk(app, tree, people)
    lead_page = f"/u/{tree.town}/leads/{walk.lead_id}"
    for who, shows_panel, shows_link in (("e-officer", True, True), ("e-caseadmin", True, False),
                                         ("e-intake", False, False)):
        browser.login(who)
        html = browser.get(lead_page).get_data(as_text=True)
        assert ("data-remote-interviews" in html) is shows_panel, who
        assert (walk.get()["number"] in html) is shows_panel and "证人已同意" not in html, who
        assert ("data-plan-remote-interview" in html) is shows_link, who
        assert f"subject_type=leads&amp;subject_id={walk.lead_id}" in html or not shows_link
        browser.logout()



def test_the_witness_id_number_is_whole_for_the_two_staff_and_masked_for_other_readers(app, factory, browser):
    """The witness of a petition's verification is often its informant: the two staff who verify the identity see
    the whole ID number; the unit's leader and case admin read the interview with the number masked."""
    tree = factory.tree()
    people = _people(factory, tree)
    walk = Walk(app, tree, people)
    for who, shown in (("officer", "620722198503150011"), ("second", "620722198503150011"),
                       ("leader", "620***********0011"), ("caseadmin", "620***********0011")):
        answer = walk.client.get(walk.url(""), headers=walk.h[who]).get_json()
        assert answer["witness_id_number"] == shown, who
    browser.login("e-caseadmin")
    page = browser.get(f"/u/{tree.town}/evidence/{walk.id}").get_data(as_text=True)
    assert "620***********0011" in page and "620722198503150011" not in page
