"""Exports of the lists to xlsx: a small list comes back at once, a big one runs as a job with progress and a
download; the file has the list's rows for the same filters; no informant anywhere; another unit's or another
account's export is out of reach on the pages and the API; expired files are dropped."""
from __future__ import annotations

import io
import json
import re
import zipfile
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from tests.conftest import bearer, run_queued_jobs
from tests.test_browser import _log_in, chromium, live_server, page  # noqa: F401  (fixtures)

INFORMANT_NAME, INFORMANT_PHONE = "钱秘密", "13912340000"


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    factory.account("east-intake", [(tree.town, "intake")])
    factory.account("east-leader", [(tree.town, "leader")])
    factory.account("east-analyst", [(tree.town, "analyst")])
    factory.account("east-admin", [(tree.town, "unit_admin")])
    factory.account("west-intake", [(tree.town2, "intake")])
    return tree


@contextmanager
def config(app, **values):
    saved = {key: app.config[key] for key in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(saved)


def register(app, unit_id: int, accused: list[str]) -> None:
    """Petitions of the unit, every one with an informant (name and phone)."""
    from core import calendar, context
    from core.extensions import db
    from core.petitions import operations as petition_ops
    from tenants.models import Unit

    with app.app_context():
        with context.acting(context.maintenance_context(), db.session):
            unit = db.session.get(Unit, unit_id)
            for i, name in enumerate(accused):
                petition_ops.register_petition(unit, dict(
                    channel="letter", received_on=calendar.today() - timedelta(days=i), anonymous=False,
                    informant={"name": f"{INFORMANT_NAME}{i}", "phone": INFORMANT_PHONE},
                    accused_name=name, accused_position="村主任", summary=f"反映{name}违规问题"))
            db.session.commit()


def sheet_rows(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    for row in rows:  # trailing empty cells: a file may state them (openpyxl pads to the <dimension>) or not
        while row and row[-1] in (None, ""):
            row.pop()
    return rows


def xlsx_text(data: bytes) -> str:
    """Every part of the xlsx (it is a zip), as text: where an informant would show if anywhere."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def export_row(owner_engine, export_id: int) -> dict:
    """The stored export, read behind the app's back (the table's types: dates and JSON as Python values)."""
    from reporting.exports.models import Export

    table = Export.__table__
    with owner_engine.connect() as conn:
        return dict(conn.execute(select(table).where(table.c.id == export_id)).mappings().one())


def start(browser, unit_id: int, list_page: str, kind: str, **filters):
    """What the list page's 导出 Excel button does."""
    return browser.post(f"/u/{unit_id}/exports/new", {"kind": kind, **filters}, form_page=list_page)


def test_a_big_export_runs_as_a_job_and_its_file_has_the_lists_rows(app, world, browser, owner_engine):
    tree = world
    register(app, tree.town, ["张某"] * 12 + ["李某", "王某"])  # the list finds a full name
    browser.login("east-intake")
    list_page = f"/u/{tree.town}/petitions?q=张某"
    assert 'data-export="petitions"' in browser.get(list_page).get_data(as_text=True)

    with config(app, EXPORT_INLINE_ROWS=5, EXPORT_PROGRESS_EVERY=4):
        response = start(browser, tree.town, list_page, "petitions", q="张某")
        assert response.status_code == 302 and re.search(r"/exports/\d+$", response.location)
        export_id = int(response.location.rsplit("/", 1)[1])
        run_queued_jobs(app)

    status = browser.get(f"/u/{tree.town}/exports/{export_id}/status").get_json()
    assert status["state"] == "done" and status["percent"] == 100
    assert status["processed_rows"] == status["total_rows"] == 12
    shown = browser.get(f"/u/{tree.town}/exports/{export_id}").get_data(as_text=True)
    assert "已完成" in shown and f"/u/{tree.town}/exports/{export_id}/download" in shown
    assert f"/u/{tree.town}/exports/{export_id}" in browser.get(f"/u/{tree.town}/exports").get_data(as_text=True)

    download = browser.get(f"/u/{tree.town}/exports/{export_id}/download")
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    rows = sheet_rows(download.data)
    assert rows[0][:4] == ["受理编号", "受理方式", "受理日期", "被反映人"]
    # The list page's rows for the same filter, in the same order; and the page's own ledger agrees.
    listed = re.findall(r'data-petition="([^"]+)"', browser.get(list_page).get_data(as_text=True))
    assert [r[0] for r in rows[1:]] == listed and len(listed) == 12
    assert {r[3] for r in rows[1:]} == {"张某"}
    assert sheet_rows(browser.ledger(f"/u/{tree.town}/petitions/ledger.xlsx?q=张某").data) == rows
    text_of_file = xlsx_text(download.data)
    assert INFORMANT_NAME not in text_of_file and INFORMANT_PHONE not in text_of_file

    stored = export_row(owner_engine, export_id)
    assert stored["state"] == "done" and stored["total_rows"] == 12 and stored["filters"] == {"q": "张某"}
    assert b"xl/worksheets" not in bytes(stored["content"]) and b"PK" != bytes(stored["content"])[:2]  # sealed


def test_the_job_reports_progress_every_n_rows(app, world):
    """What the progress bar shows while a worker writes: the count moves every EXPORT_PROGRESS_EVERY rows."""
    from core import context
    from core.extensions import db
    from reporting.exports import operations as ops
    from reporting.exports.registry import EXPORTERS
    from tenants.models import Unit

    register(app, world.town, [f"赵某{i}" for i in range(10)])
    with app.app_context():
        unit = db.session.get(Unit, world.town)
        context.activate(context.ActingContext(unit_id=unit.id, unit_path=unit.path), db.session)
        seen: list[int] = []
        rows = ops.write(EXPORTERS["petitions"], unit, {}, io.BytesIO(), progress=seen.append, every=3)
        assert rows == 10 and seen == [3, 6, 9]


def test_a_small_export_streams_at_once_and_is_audited(app, world, browser, owner_engine):
    tree = world
    register(app, tree.town, ["张一", "张一", "李三"])
    browser.login("east-intake")
    response = start(browser, tree.town, f"/u/{tree.town}/petitions", "petitions", q="张一", page="3", kind_extra="x")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert [r[3] for r in sheet_rows(response.data)[1:]] == ["张一", "张一"]
    from core.audit.models import AuditEvent

    events = AuditEvent.__table__
    with owner_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM exports")).scalar() == 0  # no job, no record
        detail = conn.execute(select(events.c.detail).where(events.c.action == "exports.create")).scalar_one()
    detail = json.loads(detail)  # the audit trail keeps it as text (hash-chained)
    assert detail["kind"] == "petitions" and detail["rows"] == 2 and detail["filters"] == {"q": "张一"}

    # The confirmation page of a link says how many rows and how it will come.
    confirm = browser.get(f"/u/{tree.town}/exports/new?kind=petitions&q=张一").get_data(as_text=True)
    assert 'data-export-total="2"' in confirm and "直接下载" in confirm


def test_no_informant_in_any_export_of_any_list(app, factory, browser, owner_engine):
    """Every exporter, inline and as a job, over a township holding a petition (with its informant), a
    clearing case, a zeroing case with a visit, supervision items and directives."""
    from core import context
    from core.extensions import db
    from reporting.exports.registry import EXPORTERS
    from tests.test_isolation_sweep import _victim_casework, _victim_evidence, _victim_reception, _victim_villages

    tree = factory.tree()
    factory.account("west-leader", [(tree.town2, "leader")])
    factory.account("victim-officer", [(tree.town2, "officer")])
    with app.app_context():
        with context.acting(context.maintenance_context(), db.session):
            objects = _victim_casework(tree)
            objects |= _victim_villages(tree)
            objects |= _victim_evidence(tree, objects)
            objects |= _victim_reception(tree)  # a 接访 whose person became the informant of a third petition
            db.session.commit()
    browser.login("west-leader")
    ledger = f"/u/{tree.town2}/zeroing/{objects['campaign_id']}"
    pages = {"petitions": f"/u/{tree.town2}/petitions", "clearing": f"/u/{tree.town2}/clearing",
             "zeroing": ledger, "supervision": f"/u/{tree.town2}/supervision",
             "directives_received": f"/u/{tree.town2}/directives", "directives_sent": f"/u/{tree.town2}/directives",
             "cases": f"/u/{tree.town2}/cases", "leads": f"/u/{tree.town2}/leads", "villages": f"/u/{tree.town2}/villages",
             "village_plan_items": f"/u/{tree.town2}/villages", "remote_interviews": f"/u/{tree.town2}/evidence",
             "reception": f"/u/{tree.town2}/reception", "ledger_kept": f"/u/{tree.town2}/ledgers/lianzheng"}
    # The county's 现场办公会问题台账 (its villagers' names) is tested with its area (tests/test_meetings.py).
    assert set(pages) | {"meeting_issues"} == set(EXPORTERS)
    expected_rows = {"petitions": 3, "clearing": 1, "zeroing": 1, "supervision": 2, "directives_received": 2,
                     "directives_sent": 0, "cases": 1, "leads": 4, "villages": 1, "village_plan_items": 1, "remote_interviews": 1,
                     "reception": 1, "ledger_kept": 0}
    for kind, list_page in pages.items():
        shown = browser.get(list_page).get_data(as_text=True)
        assert f'data-export="{kind}"' in shown or expected_rows[kind] == 0, kind
        filters = {"zeroing": {"campaign_id": objects["campaign_id"]}, "ledger_kept": {"code": "lianzheng"}}.get(kind, {})
        inline = start(browser, tree.town2, list_page, kind, **filters)
        assert inline.status_code == 200, (kind, inline.status_code)
        with config(app, EXPORT_INLINE_ROWS=-1):
            queued = start(browser, tree.town2, list_page, kind, **filters)
            assert queued.status_code == 302, kind
            run_queued_jobs(app)
        job_file = browser.get(queued.location + "/download")
        assert job_file.status_code == 200, kind
        for data in (inline.data, job_file.data):
            assert len(sheet_rows(data)) == 1 + expected_rows[kind], kind
            found = [secret for secret in ("王秘密", "13800001111", "138****1111", "西镇接访群众", "13900002222")
                     if secret in xlsx_text(data)]
            assert not found, (kind, found)
    with owner_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM exports WHERE state = 'done'")).scalar() == len(pages)


def test_another_units_or_another_accounts_export_is_404_on_pages_and_api(app, world, browser):
    tree = world
    register(app, tree.town, ["张一", "张二"])
    browser.login("east-intake")
    with config(app, EXPORT_INLINE_ROWS=0):
        export_id = int(start(browser, tree.town, f"/u/{tree.town}/petitions", "petitions").location.rsplit("/", 1)[1])
        run_queued_jobs(app)
    assert browser.get(f"/u/{tree.town}/exports/{export_id}/download").status_code == 200
    owner_api = app.test_client().get(f"/api/v1/exports/{export_id}", headers=bearer(app, "east-intake"))
    assert owner_api.status_code == 200 and owner_api.get_json()["state"] == "done"

    paths = [f"/exports/{export_id}", f"/exports/{export_id}/status", f"/exports/{export_id}/download"]
    # Another township's intake, at its own unit (the id put into its own URLs) and at the owner's.
    browser.logout()
    browser.login("west-intake")
    for path in paths:
        assert browser.get(f"/u/{tree.town2}{path}").status_code == 404, path
        assert browser.get(f"/u/{tree.town}{path}").status_code == 404, path
    assert "张" not in browser.get(f"/u/{tree.town2}/exports").get_data(as_text=True)
    # The same unit's leader: the file was made for the intake officer, not for the unit at large.
    browser.logout()
    browser.login("east-leader")
    for path in paths:
        assert browser.get(f"/u/{tree.town}{path}").status_code == 404, path
    # The API, by token.
    client = app.test_client()
    for username in ("west-intake", "east-leader"):
        headers = bearer(app, username)
        assert client.get(f"/api/v1/exports/{export_id}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/exports/{export_id}/download", headers=headers).status_code == 404
        assert client.get("/api/v1/exports", headers=headers).get_json()["items"] == []
    # An analyst reads figures only: no petition, no directive its unit sent; a unit admin exports nothing.
    browser.logout()
    browser.login("east-analyst")
    assert start(browser, tree.town, f"/u/{tree.town}/", "petitions").status_code == 404
    assert start(browser, tree.town, f"/u/{tree.town}/", "directives_sent").status_code == 404
    browser.logout()
    browser.login("east-admin")
    assert browser.get(f"/u/{tree.town}/exports").status_code == 404
    assert start(browser, tree.town, f"/u/{tree.town}/", "directives_sent").status_code == 404


def test_the_api_asks_follows_and_downloads_an_export(app, world, owner_engine):
    tree = world
    register(app, tree.town, ["张一", "张一", "李三"])
    client, headers = app.test_client(), bearer(app, "east-intake")
    asked = client.post("/api/v1/exports", json={"kind": "petitions", "unit": tree.town, "filters": {"q": "张一"}},
                        headers=headers)
    assert asked.status_code == 202, asked.get_json()
    export = asked.get_json()
    assert export["total_rows"] == 2 and export["filters"] == {"q": "张一"} and export["title"] == "信访举报登记台账"
    run_queued_jobs(app)
    done = client.get(f"/api/v1/exports/{export['id']}", headers=headers).get_json()
    assert done["state"] == "done" and done["processed_rows"] == 2
    assert done["download_url"] == f"/api/v1/exports/{export['id']}/download"
    file = client.get(done["download_url"], headers=headers)
    assert file.status_code == 200 and [r[3] for r in sheet_rows(file.data)[1:]] == ["张一", "张一"]
    listed = client.get(f"/api/v1/exports?unit={tree.town}", headers=headers).get_json()["items"]
    assert [e["id"] for e in listed] == [export["id"]]
    assert [e["id"] for e in client.get("/api/v1/exports", headers=headers).get_json()["items"]] == [export["id"]]

    # Another unit's list, a list the account may not read, a kind that does not exist.
    assert client.post("/api/v1/exports", json={"kind": "petitions", "unit": tree.town2}, headers=headers
                       ).status_code == 404
    assert client.post("/api/v1/exports", json={"kind": "supervision", "unit": tree.town}, headers=headers
                       ).status_code == 404
    assert client.get(f"/api/v1/exports?unit={tree.town2}", headers=headers).status_code == 404
    bad = client.post("/api/v1/exports", json={"kind": "informants", "unit": tree.town}, headers=headers)
    assert bad.status_code == 422 and "kind" in bad.get_json()["errors"]
    with owner_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM exports")).scalar() == 1


def test_a_zeroing_export_of_a_campaign_the_unit_cannot_see_is_404(app, factory, browser):
    from core import context
    from core.extensions import db
    from tests.test_isolation_sweep import _victim_zeroing

    tree = factory.tree()
    factory.account("east-leader", [(tree.town, "leader")])
    with app.app_context():
        from core.petitions import operations as petition_ops
        from tenants.models import Unit

        with context.acting(context.maintenance_context(), db.session):
            town2, county = db.session.get(Unit, tree.town2), db.session.get(Unit, tree.county)
            from core import calendar

            petition = petition_ops.register_petition(town2, dict(
                channel="letter", received_on=calendar.today(), anonymous=True, accused_name="李某", summary="反映问题"))
            campaign_id = _victim_zeroing(town2, county, petition, calendar.today())["campaign_id"]
            db.session.commit()
    browser.login("east-leader")
    for campaign in (campaign_id, "x", ""):
        assert start(browser, tree.town, f"/u/{tree.town}/", "zeroing", campaign_id=campaign).status_code == 404
    assert browser.get(f"/u/{tree.town}/exports/new?kind=zeroing&campaign_id={campaign_id}").status_code == 404
    assert browser.get(f"/u/{tree.town}/exports/new?kind=nothing").status_code == 404


def test_expired_files_are_dropped_and_lost_jobs_fail(app, world, browser, owner_engine):
    from core.jobs import sweep_stalled
    from reporting.exports import jobs

    tree = world
    register(app, tree.town, ["张一", "张二"])
    browser.login("east-intake")
    with config(app, EXPORT_INLINE_ROWS=0):
        done_id = int(start(browser, tree.town, f"/u/{tree.town}/petitions", "petitions").location.rsplit("/", 1)[1])
        run_queued_jobs(app)
    stored = export_row(owner_engine, done_id)
    assert stored["content"] is not None and stored["expires_at"] is not None
    from reporting.exports.models import Export

    table = Export.__table__
    with owner_engine.begin() as conn:  # a week later; and an export whose job was lost three hours ago
        conn.execute(table.update().where(table.c.id == done_id).values(expires_at=stored["expires_at"]
                                                                             - timedelta(days=8)))
        conn.execute(table.insert().values(
            kind="petitions", filters={}, requested_by_id=stored["requested_by_id"], state="running", total_rows=9000,
            processed_rows=10, filename="lost.xlsx", unit_id=stored["unit_id"], unit_path=stored["unit_path"],
            created_at=stored["created_at"] - timedelta(hours=3), updated_at=stored["created_at"] - timedelta(hours=3)))
    with app.app_context():
        assert jobs.purge_exports() == {"expired": 1}
        assert sweep_stalled() == {"resumed": 0, "failed": 1}  # never started: core.jobs' sweep fails it
    stored = export_row(owner_engine, done_id)
    assert stored["state"] == "expired" and stored["content"] is None
    assert "已过期" in browser.get(f"/u/{tree.town}/exports/{done_id}").get_data(as_text=True)
    assert browser.get(f"/u/{tree.town}/exports/{done_id}/download").status_code == 302
    api = app.test_client().get(f"/api/v1/exports/{done_id}/download", headers=bearer(app, "east-intake"))
    assert api.status_code == 409
    with owner_engine.connect() as conn:
        lost = conn.execute(text("SELECT state, failure FROM exports WHERE filename = 'lost.xlsx'")).one()
    assert lost.state == "failed" and lost.failure.startswith("后台任务长时间未开始执行")


@pytest.mark.browser
def test_the_page_follows_a_running_export_and_offers_its_file(app, factory, page, live_server, owner_engine,
                                                               tmp_path):
    """In Chromium: the list's button downloads a small ledger at once; an export's page polls while its job
    runs (app.js) and shows the download link when it is done, without a reload by hand."""
    from playwright.sync_api import expect

    from core import context
    from core.extensions import db
    from reporting.exports import operations as ops
    from reporting.exports.models import Export
    from reporting.exports.registry import EXPORTERS
    from tenants.models import Unit

    tree = factory.tree()
    account = factory.account("east-intake", [(tree.town, "intake")])
    register(app, tree.town, ["张一", "张一", "李三"])
    _log_in(page, "east-intake")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.goto(f"/u/{tree.town}/petitions?q=张一")
    button = page.locator('form[data-export="petitions"] button')
    expect(button).to_have_text("导出信访举报登记台账（Excel）")
    page.screenshot(path=str(tmp_path / "list.png"), full_page=True)
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert [r[3] for r in sheet_rows(open(download.value.path(), "rb").read())[1:]] == ["张一", "张一"]

    table = Export.__table__
    with owner_engine.begin() as conn:  # an export a worker has begun
        export_id = conn.execute(table.insert().values(
            kind="petitions", filters={"q": "张一"}, requested_by_id=account, state="running", total_rows=2,
            processed_rows=1, filename="东镇信访举报登记台账.xlsx", unit_id=tree.town, unit_path=f"{tree.province}."
            f"{tree.city}.{tree.county}.{tree.town}.", created_at=datetime.now(timezone.utc),
            updated_at=datetime.now(timezone.utc))).inserted_primary_key[0]
    page.goto(f"/u/{tree.town}/exports/{export_id}")
    expect(page.locator("[data-job-progress] progress")).to_have_attribute("value", "50")
    expect(page.locator("[data-download]")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "export-running.png"), full_page=True)

    with app.app_context():  # the worker finishes
        unit = db.session.get(Unit, tree.town)
        context.activate(context.ActingContext(account_id=account, unit_id=unit.id, unit_path=unit.path), db.session)
        ops.build(db.session.get(Export, export_id), EXPORTERS["petitions"], unit, lambda rows: None, 0)
        db.session.commit()
    expect(page.locator("[data-download]")).to_be_visible()
    expect(page.locator("span.tag[data-state]")).to_have_text("已完成")
    page.screenshot(path=str(tmp_path / "export-done.png"), full_page=True)
    with page.expect_download() as download:
        page.locator("[data-download]").click()
    assert [r[3] for r in sheet_rows(open(download.value.path(), "rb").read())[1:]] == ["张一", "张一"]
