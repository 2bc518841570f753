"""Bulletins (通报): frozen weekly and monthly snapshots built for every unit above township, with the
children ranked, late returns and overdue items named, published to the unit and its parent, as a page,
a Word document and a workbook, and through the API."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.areas import installed
from core import context
from core.calendar import CHINA
from core.extensions import db
from tests.conftest import bearer

DIRECTIVE = "每周报送信访数据"
ITEM = "整改信访积压问题"


def _raw(n: int, received_on: date) -> dict:
    return dict(channel="letter", anonymous=False, accused_name=f"测试人{n}", accused_position="村委委员",
                accused_work_unit="某村", accused_level="village", summary=f"反映测试人{n}问题",
                received_on=received_on, informant={"name": "举报人甲", "phone": "13800000000"})


def _clear(town, day: date) -> None:
    """One clearing (澄清正名) at the township, planned and held on ``day`` (travelling there: no plan is
    made for a past day)."""
    from datetime import datetime, time

    import time_machine

    with time_machine.travel(datetime.combine(day, time(10), tzinfo=CHINA)):
        _clear_today(town, day)


def _clear_today(town, day: date) -> None:
    from core import calendar
    from core.clearing import operations as clearing_ops

    today = calendar.today()
    candidate = clearing_ops.record_candidate(town, {
        "reference": f"测纪信〔{today.year}〕{town.id}号", "concluded_on": (day - timedelta(days=30)).isoformat(),
        "person_name": "钱清白", "person_work_unit": town.name, "accusation": "反映钱清白问题"})
    clearing_ops.plan_batch(town, {"year": today.year, "quarter": (today.month - 1) // 3 + 1,
                                   "target_on": (today + timedelta(days=30)).isoformat()}, [candidate.id])
    case = clearing_ops.screen_candidate(candidate, accept=True)
    for step, data in (("assess", {"verified_fully": 1, "conclusion_clear": 1, "handling_done": 1, "opinion": "可"}),
                       ("review", {"opinion": "同意"}),
                       ("submit_plan", {"method": "notice", "scope": "本人", "planned_on": day.isoformat()}),
                       ("approve_plan", {}),
                       ("clear", {"held_on": day.isoformat(), "attendance": "本人", "presided_by": "书记"})):
        clearing_ops.take_step(case, step, data, acting_unit=town)


@pytest.fixture
def world(app, factory):
    """甲县 (two townships) last week: 东镇 received 3 petitions and cleared a name, 西镇 received 1 and has 2
    overdue petitions, an overdue rectification order from 甲县 and has not filed 甲县's weekly return."""
    from core import calendar
    from core.directives import operations as directive_ops
    from core.directives.models import DirectiveReceipt
    from core.petitions import operations as petition_ops
    from core.supervision import operations as supervision_ops
    from reporting.bulletins import operations as ops
    from reporting.operations import refresh_changed_units
    from tenants.models import Unit

    tree = factory.tree()
    sibling = factory.unit("丙县", "county", "980122", tree.city)
    accounts = {"county-leader": (tree.county, "leader"), "county-analyst": (tree.county, "analyst"),
                "county-officer": (tree.county, "officer"), "city-leader": (tree.city, "leader"),
                "city-analyst": (tree.city, "analyst"), "prov-leader": (tree.province, "leader"),
                "sibling-leader": (sibling, "leader"), "town-leader": (tree.town, "leader")}
    for username, membership in accounts.items():
        factory.account(username, [membership])
    last_week = ops.period_of("weekly")
    wednesday = last_week.since + timedelta(days=2)
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        county, east, west = (db.session.get(Unit, i) for i in (tree.county, tree.town, tree.town2))
        today = calendar.today()
        for n in range(3):
            petition_ops.register_petition(east, _raw(n, wednesday), categories=None)
        petition_ops.register_petition(west, _raw(10, wednesday), categories=None)
        for n in (11, 12):  # long past their handling deadline
            petition_ops.register_petition(west, _raw(n, today - timedelta(days=200)), categories=None)
        _clear(east, wednesday)

        directive = directive_ops.send_directive(
            county, title=DIRECTIVE, audience={"mode": "units", "unit_ids": [east.id, west.id]},
            return_fields=[{"label": "受理件数", "type": "number", "required": True}], return_cadence="weekly:1")
        # Sent the Friday before last week (no operation sends in the past): the return was due last Monday.
        directive.sent_on = directive.return_starts_on = last_week.since - timedelta(days=3)
        db.session.flush()
        receipt = db.session.scalar(select(DirectiveReceipt).where(DirectiveReceipt.unit_id == east.id))
        filed = directive_ops.submit_return(receipt, last_week.since.isoformat(), {"f1": 3})
        filed.submitted_at = filed.submitted_at - (today - last_week.since)  # filed on time, last Monday

        item = supervision_ops.issue_item(county, west, kind="rectification", title=ITEM,
                                          due_on=today + timedelta(days=10), problems=[{"description": "问题一"}])
        item.issued_on, item.due_on = last_week.since - timedelta(days=10), last_week.since + timedelta(days=1)
        db.session.flush()
        refresh_changed_units(today)  # the overdue figures, as the minute's refresh job leaves them
        db.session.commit()
    return {"tree": tree, "sibling": sibling, "week": last_week, "wednesday": wednesday}


def _build(app, unit_id, kind="weekly", period=None):
    from reporting.bulletins import operations as ops
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        chosen = ops.period_of(kind, period)
        bulletin, built = ops.build(db.session.get(Unit, unit_id), kind, chosen)
        db.session.commit()
        return bulletin.id, built, bulletin.snapshot


def _line(snapshot, name):
    return next(line for line in snapshot["children"] if line["name"] == name)


def test_a_bulletin_ranks_the_children_and_names_late_returns_and_overdue_items(app, world, browser):
    tree, week = world["tree"], world["week"]
    bulletin_id, built, s = _build(app, tree.county)
    assert built
    assert s["period"]["key"] == week.key and s["unit"]["name"] == "甲县" and s["parent"]["name"] == "甲市"
    assert s["values"]["petitions.received"] == 4
    assert s["values"]["clearing.cleared"] == 1
    assert s["values"]["petitions.overdue"] == 2
    assert s["values"]["supervision.issued"] == 0  # issued today, after the week

    east, west, own = _line(s, "东镇"), _line(s, "西镇"), _line(s, "甲县本级")
    assert [line["name"] for line in s["children"]] == ["东镇", "西镇", "甲县本级"] and own["own_level"]
    # Best first: more clearings rank higher, more overdue petitions rank lower; 本级 is not ranked.
    assert east["ranks"] == {"clearing.cleared": 1, "petitions.overdue": 1, "zeroing.closed_out": 0}
    assert west["ranks"] == {"clearing.cleared": 2, "petitions.overdue": 2, "zeroing.closed_out": 0}
    assert own["ranks"] == {"clearing.cleared": 0, "petitions.overdue": 0, "zeroing.closed_out": 0}
    assert (east["values"]["petitions.received"], west["values"]["petitions.received"]) == (3, 1)
    assert west["values"]["petitions.overdue"] == 2 and west["values"]["supervision.overdue"] == 1
    assert east["values"]["supervision.overdue"] == 0
    assert s["coverage"] == {"share": 33.3, "covered": ["东镇"], "uncovered": ["西镇", "甲县本级"]}
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from reporting import rollups
        from tenants.models import Unit

        cover = rollups.coverage(db.session.get(Unit, tree.county), week)  # the roll-ups' own answer
        assert s["coverage"] == {"share": cover.share, "covered": cover.covered, "uncovered": cover.uncovered}
        assert s["values"]["clearing.coverage"] == cover.share

    # 东镇 filed last Monday's return in time; 西镇 had not filed it when the week ended.
    assert [(r["directive"], r["unit"], r["due_on"], r["days_late"]) for r in s["late_returns"]] == [
        (DIRECTIVE, "西镇", week.since.isoformat(), 7)]
    assert s["late_returns_total"] == 1
    [overdue] = s["overdue_items"]
    assert (overdue["title"], overdue["recipient"], overdue["days_over"]) == (ITEM, "西镇", 6)
    assert overdue["number"]

    browser.login("county-leader")
    page = browser.get(f"/u/{tree.county}/bulletins/{bulletin_id}").get_data(as_text=True)
    for text in ("甲县", week.label, DIRECTIVE, ITEM, overdue["number"], "西镇", "东镇", "甲县本级"):
        assert text in page, text
    assert "举报人甲" not in page and "13800000000" not in page
    # The parent's bulletin ranks 甲县 and 丙县 by numbers, naming none of 甲县's own items.
    _pid, _built, city = _build(app, tree.city)
    assert [line["name"] for line in city["children"]] == ["甲县", "丙县", "甲市本级"]
    assert _line(city, "甲县")["values"]["supervision.overdue"] == 1
    assert city["late_returns"] == [] and city["overdue_items"] == []


def test_a_bulletin_is_frozen_figures_do_not_change_after_later_transitions(app, world, browser):
    from core import calendar
    from core.petitions import operations as petition_ops
    from core.petitions.models import Petition
    from reporting import rollups
    from reporting.bulletins import operations as ops
    from reporting.bulletins.jobs import build_weekly_bulletins
    from reporting.bulletins.models import Bulletin
    from tenants.models import Unit

    tree, week = world["tree"], world["week"]
    bulletin_id, built, before = _build(app, tree.county)
    assert built and before["values"]["petitions.received"] == 4 and before["values"]["petitions.open"] == 6
    browser.login("county-leader")
    page_before = browser.get(f"/u/{tree.county}/bulletins/{bulletin_id}").get_data(as_text=True)

    # Later: two more petitions entered late for last week at 东镇, and one concluded.
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        east = db.session.get(Unit, tree.town)
        for n in (20, 21):
            petition_ops.register_petition(east, _raw(n, world["wednesday"]), categories=None)
        petition = db.session.scalars(select(Petition).where(Petition.unit_id == east.id)).first()
        petition_ops.take_step(petition, "start", {})
        petition_ops.take_step(petition, "conclude", {"outcome": "unfounded", "findings": "经核查不属实",
                                                      "concluded_on": calendar.today().isoformat()})
        db.session.commit()
        live = rollups.rollup(db.session.get(Unit, tree.county), week, ["petitions.received", "petitions.open"])
        assert live.values == {"petitions.received": 6, "petitions.open": 7}  # the live figures did move

    # A second build, the scheduler's run and a leader's request all leave the published bulletin alone.
    assert _build(app, tree.county)[:2] == (bulletin_id, False)
    with app.app_context():
        result = build_weekly_bulletins()
    assert result["weekly"]["skipped"] == 1 and result["weekly"]["period"] == week.key
    response = browser.post(f"/u/{tree.county}/bulletins/new", {"kind": "weekly", "period": week.key},
                            form_page=f"/u/{tree.county}/bulletins/new")
    assert response.status_code == 302 and response.location.endswith(f"/bulletins/{bulletin_id}")
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert db.session.scalar(select(db.func.count(Bulletin.id)).where(Bulletin.unit_id == tree.county)) == 1
        assert db.session.get(Bulletin, bulletin_id).snapshot == before
        assert ops.latest_published(db.session.get(Unit, tree.county), "weekly").id == bulletin_id

    page = browser.get(f"/u/{tree.county}/bulletins/{bulletin_id}").get_data(as_text=True)
    assert "该期通报已发布" in page
    for key in ("petitions.received", "petitions.open", "clearing.cleared", "petitions.overdue"):
        assert _figure_cell(page, key) == _figure_cell(page_before, key)
    assert _figure_cell(page, "petitions.received") == "4" and _figure_cell(page, "petitions.open") == "6"

    document = _docx_rows(browser.get(f"/u/{tree.county}/bulletins/{bulletin_id}?format=docx"))
    assert document["受理信访举报"][2] == "4" and document["在办"][2] == "6"
    sheet = _xlsx(browser.get(f"/u/{tree.county}/bulletins/{bulletin_id}?format=xlsx"))["总体情况"]
    assert sheet["受理信访举报"][3] == 4 and sheet["在办"][3] == 6


def _figure_cell(page: str, key: str) -> str:
    import re

    match = re.search(rf'data-figure="{re.escape(key)}">.*?<td data-value>([^<]*)</td>', page, re.S)
    assert match, key
    return match.group(1).strip()


def _docx_rows(response) -> dict[str, list[str]]:
    """The Word document's table rows by their second cell (the figure's label) or first (a unit)."""
    from docx import Document

    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    document = Document(io.BytesIO(response.data))
    rows = {}
    for i, table in enumerate(document.tables):
        for row in table.rows:
            cells = [c.text for c in row.cells]
            rows.setdefault(cells[1] if i == 0 else cells[0], cells)
    rows["_text"] = ["\n".join(p.text for p in document.paragraphs)]
    return rows


def _xlsx(response) -> dict[str, dict]:
    """Each sheet's rows by the label in their first text cell."""
    from openpyxl import load_workbook

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    sheets = {}
    for sheet in workbook.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        key = 1 if sheet.title == "总体情况" else 0
        sheets[sheet.title] = {r[key]: r for r in rows if len(r) > key and r[key] is not None}
    return sheets


def test_word_and_excel_downloads_open_and_hold_the_figures_and_names(app, world, browser):
    tree, week = world["tree"], world["week"]
    bulletin_id, _built, s = _build(app, tree.county)
    browser.login("county-analyst")
    document = _docx_rows(browser.get(f"/u/{tree.county}/bulletins/{bulletin_id}?format=docx"))
    text = document.pop("_text")[0]
    assert f"甲县{week.label}通报" in text and "数据截至" in text
    assert "已覆盖：东镇。未覆盖：西镇、甲县本级。" in text
    # No bulletin of the week before: its flows counted again, its stocks unknown.
    assert document["受理信访举报"][2:5] == ["4", "0", "+4"] and document["在办"][2:5] == ["6", "—", "—"]
    assert document["东镇"][1:3] == ["1（1）", "0（1）"] and document["西镇"][1:3] == ["0（2）", "2（2）"]
    assert document[DIRECTIVE][2:] == ["西镇", "7"]
    assert document[s["overdue_items"][0]["number"]][1:3] == [ITEM, "西镇"]

    sheets = _xlsx(browser.get(f"/u/{tree.county}/bulletins/{bulletin_id}?format=xlsx"))
    assert set(sheets) == {"总体情况", "各单位", "澄清覆盖", "逾期未报", "督办逾期"}
    assert sheets["总体情况"]["受理信访举报"][3] == 4 and sheets["总体情况"]["信访超期"][3] == 2
    header = list(next(iter(sheets["各单位"].values())))
    west = sheets["各单位"]["西镇"]
    assert west[header.index("信访超期")] == 2 and west[header.index("信访超期名次")] == 2
    assert west[header.index("督办逾期")] == 1
    assert sheets["逾期未报"][DIRECTIVE][3:] == ("西镇", 7)
    assert sheets["督办逾期"][s["overdue_items"][0]["number"]][2:4] == (ITEM, "西镇")


def test_a_bulletin_is_published_to_its_unit_and_parent_only(app, world, browser):
    tree, sibling = world["tree"], world["sibling"]
    bulletin_id, _built, _s = _build(app, tree.county)
    own_city_id = _build(app, tree.city)[0]
    province_id = _build(app, tree.province)[0]
    path = f"/bulletins/{bulletin_id}"

    for username, unit_id, status in (("county-leader", tree.county, 200), ("county-analyst", tree.county, 200),
                                      ("city-leader", tree.city, 200), ("city-analyst", tree.city, 200),
                                      ("county-officer", tree.county, 404), ("sibling-leader", sibling, 404),
                                      ("prov-leader", tree.province, 404), ("town-leader", tree.town, 404),
                                      ("city-leader", tree.county, 404)):
        client = app.test_client()
        browser.client = client
        browser.login(username)
        response = browser.get(f"/u/{unit_id}{path}")
        assert response.status_code == status, (username, unit_id, response.status_code)
        assert browser.get(f"/u/{unit_id}{path}?format=docx").status_code == status
        if status == 404:
            assert "西镇" not in response.get_data(as_text=True)

    # The lists: the city's shows its own bulletin and 甲县's, published when; the province's not 甲县's.
    browser.client = app.test_client()
    browser.login("city-leader")
    listing = browser.get(f"/u/{tree.city}/bulletins").get_data(as_text=True)
    assert f'data-bulletin-row="{bulletin_id}"' in listing and f'data-bulletin-row="{own_city_id}"' in listing
    assert f'data-bulletin-row="{province_id}"' not in listing
    assert f'data-bulletin-row="{bulletin_id}"' not in browser.get(
        f"/u/{tree.city}/bulletins?kind=monthly").get_data(as_text=True)
    browser.client = app.test_client()
    browser.login("prov-leader")
    listing = browser.get(f"/u/{tree.province}/bulletins").get_data(as_text=True)
    assert f'data-bulletin-row="{own_city_id}"' in listing and f'data-bulletin-row="{bulletin_id}"' not in listing
    browser.client = app.test_client()
    browser.login("county-officer")
    listing = browser.get(f"/u/{tree.county}/bulletins").get_data(as_text=True)
    assert "data-not-reader" in listing and "data-bulletin-row" not in listing

    client = app.test_client()
    answer = client.get(f"/api/v1/bulletins/{bulletin_id}", headers=bearer(app, "city-leader"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["page_url"] == f"/u/{tree.city}{path}" and body["values"]["petitions.received"] == 4
    assert [line["name"] for line in body["children"]] == ["东镇", "西镇", "甲县本级"]
    assert body["late_returns"][0]["unit"] == "西镇" and body["overdue_items"][0]["title"] == ITEM
    for username in ("prov-leader", "sibling-leader", "county-officer", "town-leader"):
        assert client.get(f"/api/v1/bulletins/{bulletin_id}", headers=bearer(app, username)).status_code == 404
    listing = client.get(f"/api/v1/bulletins?unit={tree.city}&kind=weekly",
                         headers=bearer(app, "city-analyst")).get_json()
    assert {b["id"] for b in listing["items"]} == {bulletin_id, own_city_id}
    assert client.get(f"/api/v1/bulletins?unit={tree.county}", headers=bearer(app, "city-leader")).status_code == 404
    prov = client.get("/api/v1/bulletins", headers=bearer(app, "prov-leader")).get_json()
    assert bulletin_id not in {b["id"] for b in prov["items"]} and own_city_id in {b["id"] for b in prov["items"]}


def test_the_unit_scoped_api_answers_as_the_older_form_and_another_units_bulletin_is_404(app, world, factory):
    """/api/v1/u/<unit>/bulletins (issue 18) answers as /api/v1/bulletins did, which still answers; under a unit
    the bulletin is not published to, 404, even for a reader of it at another of its units."""
    tree, sibling = world["tree"], world["sibling"]
    bulletin_id, own_city_id, sibling_id = (_build(app, unit)[0] for unit in (tree.county, tree.city, sibling))
    factory.account("two-county-leader", [(tree.county, "leader"), (sibling, "leader")])
    client = app.test_client()
    city_leader, city_analyst = bearer(app, "city-leader"), bearer(app, "city-analyst")
    scoped = f"/api/v1/u/{tree.city}/bulletins"

    answer = client.get(f"{scoped}/{bulletin_id}", headers=city_leader)
    older = client.get(f"/api/v1/bulletins/{bulletin_id}", headers=city_leader)
    assert answer.status_code == older.status_code == 200
    body = answer.get_json()
    assert body["page_url"] == f"/u/{tree.city}/bulletins/{bulletin_id}" and body["values"]["petitions.received"] == 4
    assert body["url"] == f"{scoped}/{bulletin_id}" and older.get_json()["url"] == f"/api/v1/bulletins/{bulletin_id}"
    assert {**body, "url": None} == {**older.get_json(), "url": None}

    listing = client.get(f"{scoped}?kind=weekly", headers=city_analyst).get_json()
    older_listing = client.get(f"/api/v1/bulletins?unit={tree.city}&kind=weekly", headers=city_analyst).get_json()
    assert {b["id"] for b in listing["items"]} == {bulletin_id, own_city_id, sibling_id}
    assert [{**b, "url": None} for b in listing["items"]] == [{**b, "url": None} for b in older_listing["items"]]
    assert (listing["total"], listing["page"]) == (older_listing["total"], older_listing["page"]) == (3, 1)
    # Not a reader there: an empty list, as before.
    assert client.get(f"/api/v1/u/{tree.county}/bulletins", headers=bearer(app, "county-officer")
                      ).get_json()["items"] == []

    # A leader of both counties reads each county's bulletin at that county only.
    both = bearer(app, "two-county-leader")
    assert client.get(f"/api/v1/u/{sibling}/bulletins/{sibling_id}", headers=both).status_code == 200
    assert client.get(f"/api/v1/u/{tree.county}/bulletins/{sibling_id}", headers=both).status_code == 404
    assert client.get(f"/api/v1/u/{sibling}/bulletins/{bulletin_id}", headers=both).status_code == 404
    assert client.get(f"/api/v1/bulletins/{sibling_id}", headers=both).status_code == 200
    # The city's own bulletin is published to the city and the province, not to its counties; a unit the
    # account does not belong to answers nothing.
    assert client.get(f"/api/v1/u/{tree.county}/bulletins/{own_city_id}", headers=both).status_code == 404
    for username, unit_id in (("prov-leader", tree.province), ("town-leader", tree.town),
                              ("city-leader", tree.county), ("county-officer", tree.county)):
        assert client.get(f"/api/v1/u/{unit_id}/bulletins/{bulletin_id}", headers=bearer(app, username)
                          ).status_code == 404, username
    assert client.get(f"/api/v1/u/{tree.county}/bulletins", headers=city_leader).status_code == 404


def test_the_scheduler_builds_every_unit_above_township_once(app, world):
    from reporting.bulletins import jobs
    from reporting.bulletins.models import Bulletin
    from tenants.models import Unit

    periodic = {p.func.spec.name: p.cron for p in installed(app).periodic}
    assert periodic["reporting.bulletins.jobs.build_weekly_bulletins"] == "0 1 * * 1"
    assert periodic["reporting.bulletins.jobs.build_monthly_bulletins"] == "30 1 1 * *"
    with app.app_context():
        first = jobs.build_weekly_bulletins()
        again = jobs.build_weekly_bulletins()
        monthly = jobs.build_monthly_bulletins()
    # 测试省, 甲市, 乙市, 甲县, 乙县, 丙县: never the townships.
    assert (first["weekly"]["built"], again["weekly"]["built"], again["weekly"]["skipped"]) == (6, 0, 6)
    assert monthly["monthly"]["built"] == 6
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        levels = db.session.execute(select(Unit.level, db.func.count(Bulletin.id)).join(
            Unit, Unit.id == Bulletin.unit_id).group_by(Unit.level)).all()
        assert dict(levels) == {"province": 2, "city": 4, "county": 6}


def test_a_leader_builds_a_past_period_on_demand(app, world, browser):
    from core import calendar
    from reporting.bulletins import operations as ops

    tree = world["tree"]
    month = ops.period_of("monthly")
    form = f"/u/{tree.county}/bulletins/new"
    browser.login("county-leader")
    assert browser.get(form).status_code == 200
    this_week = ops.week_of(calendar.today()).key
    refused = browser.post(form, {"kind": "weekly", "period": this_week})
    assert refused.status_code == 422 and "只能通报已经结束的周或月" in refused.get_data(as_text=True)
    assert browser.post(form, {"kind": "monthly", "period": "2026-W01"}).status_code == 422
    assert browser.client.post(form, data={"kind": "monthly", "period": month.key}).status_code == 400  # no CSRF
    built = browser.post(form, {"kind": "monthly", "period": month.key})
    assert built.status_code == 302
    page = browser.get(built.location).get_data(as_text=True)
    assert f"甲县{month.label}通报" in page

    for username, unit_id in (("county-analyst", tree.county), ("town-leader", tree.town)):
        browser.client = app.test_client()
        browser.login(username)
        assert browser.client.get(f"/u/{unit_id}/bulletins/new").status_code == 404


def test_a_bulletin_built_after_its_cut_off_states_the_campaign_as_it_stood_then(app, world):
    """Built later (a leader's bulletin of a past week, or the scheduler's an hour after midnight), a
    bulletin takes the dated moves since the cut-off back out of the campaign's stock and totals."""
    from core import calendar
    from core.directives import operations as directive_ops
    from core.petitions import operations as petition_ops
    from core.petitions.models import Petition
    from core.zeroing import operations as zeroing_ops
    from core.zeroing.models import PURPOSE
    from reporting import rollups
    from tenants.models import Unit

    tree, week = world["tree"], world["week"]
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        county, east, west = (db.session.get(Unit, i) for i in (tree.county, tree.town, tree.town2))
        today = calendar.today()
        campaign = directive_ops.send_directive(
            county, title="甲县积案动态清零", kind="campaign", audience={"mode": "units", "unit_ids": [east.id, west.id]},
            phases=[{"name": "动态清零", "starts_on": today, "ends_on": today + timedelta(days=60)}], purpose=PURPOSE)
        petition = db.session.scalars(select(Petition).where(Petition.unit_id == west.id)
                                      .order_by(Petition.received_on)).first()
        case = zeroing_ops.add_case(campaign, west, petition.number)
        zeroing_ops.adopt(case, {"owner_name": "西镇书记", "owner_position": "书记", "task_force": "专班", "plan": "方案",
                                 "adopted_on": world["wednesday"].isoformat(),
                                 "target_on": (today + timedelta(days=30)).isoformat()})
        petition_ops.take_step(petition, "start", {})
        petition_ops.take_step(petition, "conclude", {"outcome": "unfounded", "findings": "经核查不属实",
                                                      "concluded_on": today.isoformat()})
        zeroing_ops.close_out(case, {"basis": "concluded", "note": "依法终结"})  # today, after the week
        db.session.commit()
        live = rollups.rollup(county, week, ["zeroing.stock", "zeroing.added", "zeroing.closed_out_total"])
        assert live.values == {"zeroing.stock": 0, "zeroing.added": 1, "zeroing.closed_out_total": 1}

    _id, _built, s = _build(app, tree.county)
    assert s["campaign"]["title"] == "甲县积案动态清零"
    assert (s["values"]["zeroing.stock"], s["values"]["zeroing.added"], s["values"]["zeroing.closed_out"]) == (1, 1, 0)
    assert s["values"]["zeroing.closed_out_total"] == 0 and s["values"]["zeroing.progress"] == 0.0
    assert _line(s, "西镇")["values"]["zeroing.stock"] == 1 and _line(s, "东镇")["values"]["zeroing.stock"] == 0
    assert _line(s, "西镇")["values"]["zeroing.closed_out"] == 0
