"""Leads (问题线索): a petition converted to a lead (linked both ways, its informant left behind) and verified with
建议立案; each of the four ways refuses its missing fields in Chinese and saves nothing; an overdue lead warns in
the inbox; the figures move with each write and the nightly recount agrees; strangers get 404."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from core import calendar, context
from core.extensions import db
from tests.conftest import bearer

CJK = re.compile(r"[\u4e00-\u9fff]")
INFORMANT = {"name": "线索举报人", "phone": "13912345678", "id_number": "110101199001011234"}


def _people(factory, tree) -> dict:
    return {"leader": factory.account("l-leader", [(tree.town, "leader")]),
            "officer": factory.account("l-officer", [(tree.town, "officer")]),
            "stranger": factory.account("l-west", [(tree.town2, "officer")]),
            "analyst": factory.account("l-analyst", [(tree.province, "analyst")])}


def _petition(app, unit_id: int, account_id: int) -> int:
    from core.petitions import operations as petition_ops
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(account_id=account_id), db.session):
        petition = petition_ops.register_petition(db.session.get(Unit, unit_id), dict(
            channel="letter", received_on=calendar.today().isoformat(), anonymous=False, informant=INFORMANT,
            accused_name="钱线索", accused_position="村委会主任", accused_level="village", accused_party_member=True,
            summary="反映钱线索截留低保金"))
        db.session.commit()
        return petition.id


def _lead(app, unit_id: int, account_id: int | None, *, days_ago: int = 0, **extra) -> int:
    from core.leads import operations as lead_ops
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(account_id=account_id), db.session):
        lead = lead_ops.register_lead(db.session.get(Unit, unit_id), dict(dict(
            source="inspection_tour", source_note="县委巡察组移交",
            received_on=(calendar.today() - timedelta(days=days_ago)).isoformat(), summary="巡察发现账目不清",
            persons=[{"name": "李账目", "position": "村会计", "level": "village", "party_member": False},
                     {"name": "王支书", "position": "村党支部书记", "level": "village", "party_member": True}]),
            **extra))
        db.session.commit()
        return lead.id


def _stats(app, unit_id: int) -> dict:
    from tenants.models import UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return {row.metric: row.value for row in db.session.scalars(select(UnitStat).where(
            UnitStat.unit_id == unit_id, UnitStat.period == "", UnitStat.metric.like("leads.%")))}


def test_a_petition_becomes_a_lead_linked_both_ways_and_is_verified_for_filing(app, factory, browser):
    tree = factory.tree()
    people = _people(factory, tree)
    petition_id = _petition(app, tree.town, people["officer"])
    browser.login("l-officer")
    page = browser.get(f"/u/{tree.town}/petitions/{petition_id}").get_data(as_text=True)
    assert "data-convert" in page and "转为问题线索" in page

    response = browser.post(f"/u/{tree.town}/leads/from-petition/{petition_id}",
                            form_page=f"/u/{tree.town}/petitions/{petition_id}")
    assert response.status_code == 302
    lead_url = response.location
    lead_page = browser.get(lead_url).get_data(as_text=True)
    assert "data-petition-link" in lead_page and "钱线索" in lead_page and "信访举报" in lead_page
    # The informant never travels: not on the lead's page, not in its API answer, no column of it on the model.
    for value in INFORMANT.values():
        assert value not in lead_page
    from core.leads.models import Lead, LeadPerson

    assert not [c.name for model in (Lead, LeadPerson) for c in model.__table__.columns if "informant" in c.name]
    lead_id = int(lead_url.rstrip("/").rsplit("/", 1)[1])
    api = app.test_client().get(f"/api/v1/u/{tree.town}/leads/{lead_id}", headers=bearer(app, "l-officer"))
    assert api.status_code == 200 and api.get_json()["petition_id"] == petition_id
    assert not [v for v in INFORMANT.values() if v in api.get_data(as_text=True)]
    assert api.get_json()["persons"][0]["name"] == "钱线索" and api.get_json()["handler_id"] == people["officer"]

    # The petition's page links to its lead now, and offers no second conversion (a second POST is refused).
    page = browser.get(f"/u/{tree.town}/petitions/{petition_id}").get_data(as_text=True)
    assert "data-converted-link" in page and "data-convert>" not in page
    again = browser.post(f"/u/{tree.town}/leads/from-petition/{petition_id}",
                         form_page=f"/u/{tree.town}/petitions/{petition_id}")
    assert again.status_code == 302 and "/petitions/" in again.location

    step = browser.post(f"{lead_url}/steps/verify", {"report": "经初步核实，截留低保金问题基本属实",
                                                     "recommendation": "file", "form": "fourth"},
                        form_page=lead_url)
    assert step.status_code == 302
    lead = app.test_client().get(f"/api/v1/u/{tree.town}/leads/{lead_id}", headers=bearer(app, "l-officer")).get_json()
    assert (lead["state"], lead["way"], lead["form"], lead["disposal"]["recommendation"]) == (
        "verified", "verify", "fourth", "file")
    assert "建议立案" in browser.get(lead_url).get_data(as_text=True)


def test_each_way_refuses_its_missing_fields_in_chinese_and_saves_nothing(app, factory):
    from core.workflow import history

    tree = factory.tree()
    people = _people(factory, tree)
    lead_id = _lead(app, tree.town, people["officer"])
    before = _stats(app, tree.town)
    client = app.test_client()
    officer, leader = bearer(app, "l-officer"), bearer(app, "l-leader")
    url = f"/api/v1/u/{tree.town}/leads/{lead_id}/transitions"
    version = client.get(f"/api/v1/u/{tree.town}/leads/{lead_id}", headers=officer).get_json()["version"]
    expected = {"talk": {"kind", "content", "reply", "assessment"}, "verify": {"report", "recommendation"},
                "shelve": {"reason", "review_on"}, "close": {"reason"}}
    for way, fields in expected.items():
        response = client.post(url, json={"transition": way, "data": {}}, headers=leader if way == "close" else officer)
        assert response.status_code == 422, (way, response.get_json())
        errors = response.get_json()["errors"]
        assert set(errors) == fields, (way, errors)
        assert all(CJK.search(message) for messages in errors.values() for message in messages)
    # A wrong choice is named too: a form that is none of the four, a review date not ahead.
    response = client.post(url, json={"transition": "shelve", "data": {"reason": "待审计", "review_on":
                                      calendar.today().isoformat()}}, headers=officer)
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"review_on"}
    response = client.post(url, json={"transition": "verify", "data": {"report": "报告", "recommendation": "file",
                                                                       "form": "fifth"}}, headers=officer)
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"form"}
    # 予以了结 is a leader's decision: an officer finds no such door.
    response = client.post(url, json={"transition": "close", "data": {"reason": "不成立"}}, headers=officer)
    assert response.status_code == 404
    # Nothing was saved: the lead as registered, one step of history, the figures as they were.
    lead = client.get(f"/api/v1/u/{tree.town}/leads/{lead_id}", headers=officer).get_json()
    assert (lead["state"], lead["way"], lead["disposal"], lead["version"]) == ("registered", None, None, version)
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert [h.transition for h in history("leads", lead_id)] == ["create"]
    assert _stats(app, tree.town) == before


def test_the_registration_form_refuses_in_chinese(app, factory, browser):
    tree = factory.tree()
    _people(factory, tree)
    browser.login("l-officer")
    response = browser.post(f"/u/{tree.town}/leads/new", {"source": "", "received_on": "", "summary": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("请选择线索来源", "请填写收到日期", "请至少填写一位被反映人", "请填写问题线索摘要"):
        assert message in page
    response = browser.post(f"/u/{tree.town}/leads/new", {
        "source": "audit", "received_on": calendar.today().isoformat(), "summary": "审计发现违规发放补贴",
        "persons-0-name": "赵审计", "persons-0-level": "staff", "persons-0-party_member": "1"})
    assert response.status_code == 302
    assert "赵审计" in browser.get(response.location).get_data(as_text=True)


def test_an_overdue_lead_warns_in_the_inbox_until_it_is_disposed_of(app, factory):
    from core.inbox.models import InboxItem
    from core.leads import operations as lead_ops
    from core.leads.models import Lead

    tree = factory.tree()
    people = _people(factory, tree)
    late = _lead(app, tree.town, people["officer"], days_ago=90)
    _lead(app, tree.town, people["officer"])  # in time
    today = calendar.today()
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert lead_ops.scan_overdue(today)["warned"] == 1
        assert lead_ops.scan_overdue(today)["warned"] == 0  # once per deadline
        db.session.commit()
        items = db.session.scalars(select(InboxItem).where(InboxItem.object_type == "leads")).all()
        assert [(i.object_id, i.kind, i.account_id, i.done_at) for i in items] == [
            (late, "overdue", people["officer"], None)]
        assert "逾期未处置" in items[0].title
    assert _stats(app, tree.town)["leads.overdue"] == 1
    inbox = app.test_client().get(f"/api/v1/u/{tree.town}/inbox", headers=bearer(app, "l-officer"))
    assert inbox.status_code == 200
    assert [(i["object_type"], i["url"]) for i in inbox.get_json()] == [("leads", f"/u/{tree.town}/leads/{late}")]

    with app.app_context(), context.acting(context.maintenance_context(account_id=people["officer"]), db.session):
        lead_ops.dispose(db.session.get(Lead, late), "talk", {
            "kind": "letter", "content": "发出函询通知书", "reply": "书面说明情况", "assessment": "reminded"})
        db.session.commit()
        assert db.session.scalar(select(InboxItem.done_at).where(InboxItem.object_id == late,
                                                                  InboxItem.object_type == "leads")) is not None
    figures = _stats(app, tree.town)
    assert figures.get("leads.overdue", 0) == 0 and figures["leads.form.first"] == 1  # 谈话提醒: 第一种形态


def test_the_figures_move_with_each_write_and_the_recount_agrees(app, factory):
    from core.leads import operations as lead_ops
    from core.leads.models import Lead
    from reporting import reconcile
    from tenants.models import Unit

    tree = factory.tree()
    people = _people(factory, tree)
    shelved, closed, fresh = (_lead(app, tree.town, people["officer"], days_ago=d) for d in (20, 10, 0))
    petition_id = _petition(app, tree.town, people["officer"])
    today = calendar.today()
    with app.app_context(), context.acting(context.maintenance_context(account_id=people["leader"]), db.session):
        from core.petitions.models import Petition

        town = db.session.get(Unit, tree.town)
        converted = lead_ops.convert_petition(db.session.get(Petition, petition_id), town)
        lead_ops.dispose(db.session.get(Lead, shelved), "shelve", {
            "reason": "待审计结果", "review_on": (today + timedelta(days=30)).isoformat()})
        lead_ops.dispose(db.session.get(Lead, closed), "close", {"reason": "经了解问题不成立"})
        db.session.commit()
        assert {k: v for k, v in _stats(app, tree.town).items() if v} == {
            "leads.received": 4, "leads.open": 3, "leads.source.inspection_tour": 3,
            "leads.source.petition": 1, "leads.disposed.shelve": 1, "leads.disposed.close": 1,
            "leads.track.township": 4}
        # The shelved lead taken up again: the disposal in force is what counts.
        lead_ops.dispose(db.session.get(Lead, shelved), "verify", {"report": "经核实属实", "recommendation": "file",
                                                                    "form": "second"})
        lead_ops.dispose(converted, "talk", {"kind": "talk", "content": "谈话", "reply": "说明",
                                             "assessment": "accepted"})
        db.session.commit()
        figures = _stats(app, tree.town)
        assert (figures["leads.open"], figures["leads.disposed.shelve"], figures["leads.disposed.verify"],
                figures["leads.disposed.talk"], figures["leads.form.second"]) == (1, 0, 1, 1, 1)
        assert fresh in db.session.scalars(select(Lead.id).where(Lead.state == "registered")).all()
        drifts = [d for d in reconcile.reconcile_unit(db.session.get(Unit, tree.town), today)
                  if d.metric.startswith("leads.")]
        assert drifts == []
        counted = lead_ops.recount(db.session.get(Unit, tree.town), today)
        assert counted[("leads.received", today.isoformat())] == 2  # by the day received, and its week …
        assert counted[("leads.disposed.verify", today.isoformat())] == 1


def test_a_sibling_township_and_the_province_analyst_get_404(app, factory):
    tree = factory.tree()
    people = _people(factory, tree)
    lead_id = _lead(app, tree.town, people["officer"])
    client = app.test_client()
    stranger, analyst = bearer(app, "l-west"), bearer(app, "l-analyst")
    for headers, unit_id in ((stranger, tree.town), (stranger, tree.town2), (analyst, tree.province),
                             (analyst, tree.town)):
        for path in (f"/api/v1/u/{unit_id}/leads/{lead_id}",):
            response = client.get(path, headers=headers)
            assert response.status_code == 404, (path, response.status_code)
        response = client.post(f"/api/v1/u/{unit_id}/leads/{lead_id}/transitions", headers=headers,
                               json={"transition": "talk", "data": {}})
        assert response.status_code == 404
    listing = client.get(f"/api/v1/u/{tree.town2}/leads", headers=stranger)
    assert listing.status_code == 200 and listing.get_json()["items"] == []
    assert client.get(f"/api/v1/u/{tree.province}/leads", headers=analyst).status_code == 404


def test_the_lead_ledger_exports_the_lists_rows_with_persons_and_disposals(app, factory, browser):
    """问题线索处置台账: the list's export button answers with the file at once, one row per lead of the list's filter,
    its persons, track, disposal and form; a lead has no informant to leave out."""
    from tests.test_exports import sheet_rows, xlsx_text

    tree = factory.tree()
    people = _people(factory, tree)
    first = _lead(app, tree.town, people["officer"], days_ago=3)
    _lead(app, tree.town, people["officer"], days_ago=60)  # past its 30 working days: overdue
    from core.leads import operations as lead_ops
    from core.leads.models import Lead

    with app.app_context(), context.acting(context.maintenance_context(account_id=people["officer"]), db.session):
        lead_ops.dispose(db.session.get(Lead, first), "talk", {"kind": "letter", "content": "函询本人",
                                                                 "reply": "已书面说明", "assessment": "reminded"})
        db.session.commit()
    browser.login("l-officer")
    list_page = f"/u/{tree.town}/leads"
    assert 'data-export="leads"' in browser.get(list_page).get_data(as_text=True)
    response = browser.post(f"/u/{tree.town}/exports/new", {"kind": "leads"}, form_page=list_page)
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet"), response.status_code
    rows = sheet_rows(response.data)
    assert rows[0][:5] == ["线索编号", "线索来源", "来源说明", "收到日期", "被反映人"]
    listed = re.findall(r'data-lead="([^"]+)"', browser.get(list_page).get_data(as_text=True))
    assert [r[0] for r in rows[1:]] == listed and len(listed) == 2
    overdue, talked = rows[1], rows[2]  # newest first
    assert talked[4] == "李账目、王支书" and talked[9] == "镇案镇办" and talked[11] == "谈话函询"
    assert talked[13] == "第一种形态" and len(talked) < 16  # no deadline, not overdue: trailing cells empty
    assert overdue[10] == "待处置" and overdue[15] == "是"
    assert INFORMANT["phone"] not in xlsx_text(response.data)


def test_only_a_townships_lead_has_a_track_in_the_funnel(app, factory, browser):
    """一个漏斗 sorts the townships' leads: a county's own lead is not counted 镇案镇办 anywhere (page, API, figures)."""
    tree = factory.tree()
    people = _people(factory, tree)
    county_officer = factory.account("l-county-officer", [(tree.county, "officer")])
    town_lead = _lead(app, tree.town, people["officer"])
    county_lead = _lead(app, tree.county, county_officer)
    client = app.test_client()
    assert client.get(f"/api/v1/u/{tree.town}/leads/{town_lead}",
                      headers=bearer(app, "l-officer")).get_json()["track"] == "township"
    assert client.get(f"/api/v1/u/{tree.county}/leads/{county_lead}",
                      headers=bearer(app, "l-county-officer")).get_json()["track"] == ""
    assert _stats(app, tree.town)["leads.track.township"] == 1
    assert not any(metric.startswith("leads.track.") for metric in _stats(app, tree.county))
    browser.login("l-county-officer")
    page = browser.get(f"/u/{tree.county}/leads/{county_lead}").get_data(as_text=True)
    assert "镇案镇办" not in page and "data-track" not in page
