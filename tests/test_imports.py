"""Imports of petition ledgers (大起底): mapping, a dry run with per-row errors, duplicates, the all-or-nothing
commit, informants encrypted, figures moved, and another unit's import out of reach."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import Workbook
from sqlalchemy import text

from tests.conftest import ADMIN_URL, REDIS_URL, bearer, run_queued_jobs

HEADERS = ["受理编号", "受理方式", "受理日期", "举报人姓名", "身份证号", "联系电话", "地址", "被反映人姓名", "职务",
           "被反映人单位", "级别", "是否党员", "问题类别", "反映问题摘要", "反映问题内容"]
MAPPING = {"source_ref": "受理编号", "channel": "受理方式", "received_on": "受理日期", "informant_name": "举报人姓名",
           "informant_id_number": "身份证号", "informant_phone": "联系电话", "informant_address": "地址",
           "accused_name": "被反映人姓名", "accused_position": "职务", "accused_work_unit": "被反映人单位",
           "accused_level": "级别", "accused_party_member": "是否党员", "category": "问题类别",
           "summary": "反映问题摘要", "content": "反映问题内容"}
CHANNELS = ["来信", "访", "来电", "网络举报"]
INFORMANT_NAME, INFORMANT_PHONE = "钱多多", "13912345678"


def ledger_rows(n: int, *, start: int = 1, prefix: str = "甲信", days_back: int = 400) -> list[list]:
    """``n`` good rows; every fifth anonymous (informant columns empty), the others with an informant."""
    today = date.today()
    rows = []
    for i in range(start, start + n):
        named = i % 5 != 0
        rows.append([
            f"{prefix}{i:05d}", CHANNELS[i % 4], today - timedelta(days=1 + i % days_back),
            f"{INFORMANT_NAME}{i}" if named else "", "11010119900307123X" if named and i % 3 == 0 else "",
            INFORMANT_PHONE if named else "", "东镇幸福路" if named else "",
            f"被反映人{i % 37}", "村委会主任", "东镇东村", "村干部" if i % 2 else "", "是" if i % 2 else "否",
            "", f"反映第{i}号问题：违规收受礼金", "详见来信。"])
    return rows


def xlsx(rows: list[list], headers=HEADERS) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], encoding: str, headers=HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([v.isoformat() if isinstance(v, date) else v for v in row])
    return out.getvalue().encode(encoding)


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    factory.account("east-intake", [(tree.town, "intake")])
    factory.account("east-reviewer", [(tree.town, "reviewer")])
    factory.account("west-intake", [(tree.town2, "intake")])
    return tree


def run_jobs(app) -> None:
    """With Redis the dry run and the commit wait in the queue: work it off (inline they already ran)."""
    run_queued_jobs(app)


def upload(browser, unit_id: int, data: bytes, filename: str) -> int:
    page = f"/u/{unit_id}/petitions/imports"
    response = browser.post(page, {"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rstrip("/").rsplit("/", 1)[1])


def map_and_check(app, browser, unit_id: int, import_id: int, mapping=MAPPING):
    detail = f"/u/{unit_id}/petitions/imports/{import_id}"
    response = browser.post(f"{detail}/mapping", {f"map_{k}": v for k, v in mapping.items()}, form_page=detail)
    run_jobs(app)
    return response


def commit(app, browser, unit_id: int, import_id: int):
    detail = f"/u/{unit_id}/petitions/imports/{import_id}"
    response = browser.post(f"{detail}/commit", form_page=detail)
    run_jobs(app)
    return response


def import_row(owner_engine, import_id: int) -> dict:
    with owner_engine.connect() as conn:
        return dict(conn.execute(text("SELECT * FROM import_jobs WHERE id = :id"), {"id": import_id}).mappings().one())


def count(owner_engine, sql: str, **params) -> int:
    with owner_engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def stat(owner_engine, unit_id: int, metric: str, period: str = "") -> int:
    return count(owner_engine, "SELECT COALESCE(SUM(value), 0) FROM unit_stats WHERE unit_id = :u AND metric = :m"
                 " AND period = :p", u=unit_id, m=metric, p=period)


def test_suggested_mapping_reads_the_usual_titles(app):
    from core.imports.operations import suggest_mapping

    assert suggest_mapping(HEADERS) == MAPPING
    loose = suggest_mapping(["序号", "原编号", "来源", "受理时间（年月日）", "信访人", "被举报人", "被举报人电话",
                             "工作单位", "反映问题", "内容"])
    assert loose == {"source_ref": "原编号", "channel": "来源", "received_on": "受理时间（年月日）",
                     "informant_name": "信访人", "accused_name": "被举报人", "accused_work_unit": "工作单位",
                     "summary": "反映问题", "content": "内容"}  # 被举报人电话 is not the informant's phone


def test_bad_rows_are_reported_row_by_row_and_nothing_is_written(app, world, browser, owner_engine):
    today = date.today()
    rows = ledger_rows(3)
    rows.append(["甲信90001", "传真", today, "", "", "", "", "李四", "", "", "", "", "", "反映问题", ""])
    rows.append(["甲信90002", "来信", "2024-13-45", "", "", "", "", "李四", "", "", "", "", "", "反映问题", ""])
    rows.append(["甲信90003", "来信", today + timedelta(days=3), "", "", "", "", "", "", "", "", "", "", "反映问题", ""])
    rows.append(["甲信90004", "来信", today, INFORMANT_NAME, "12345", INFORMANT_PHONE, "", "李四", "", "", "部长", "",
                 "", "反映问题", ""])
    browser.login("east-intake")
    before = count(owner_engine, "SELECT COUNT(*) FROM petitions")
    import_id = upload(browser, world.town, xlsx(rows), "台账.xlsx")
    page = browser.get(f"/u/{world.town}/petitions/imports/{import_id}").get_data(as_text=True)
    assert "各字段对应的列" in page and 'value="受理日期" selected' in page  # the suggestion is preselected

    assert map_and_check(app, browser, world.town, import_id).status_code == 302
    page = browser.get(f"/u/{world.town}/petitions/imports/{import_id}").get_data(as_text=True)
    assert "检查发现问题" in page and "正式导入" not in page
    job = import_row(owner_engine, import_id)
    assert job["state"] == "check_failed" and job["total_rows"] == 7 and job["error_count"] == 4
    problems = [(p["row"], p["column"], p["message"]) for p in (json.loads(job["errors"]) if isinstance(
        job["errors"], str) else job["errors"])]
    assert (5, "受理方式", "受理方式无法识别，应为来信、来访、来电或网络举报（或信、访、电、网）") in problems
    assert (6, "受理日期", "受理日期无法识别，请写成 2024-03-01 这样的日期") in problems
    assert (7, "受理日期", "受理日期不能晚于今天") in problems and (7, "被反映人姓名", "请填写被反映人姓名") in problems
    assert {(8, "身份证号"), (8, "级别")} <= {(r, c) for r, c, _m in problems}
    assert {r for r, _c, _m in problems} == {5, 6, 7, 8}
    for message in ("受理方式无法识别", "请填写被反映人姓名", "身份证号应为 18 位"):
        assert message in page
    assert INFORMANT_NAME not in json.dumps(problems, ensure_ascii=False)  # no cell's value is repeated

    response = commit(app, browser, world.town, import_id)
    assert response.status_code == 409
    assert count(owner_engine, "SELECT COUNT(*) FROM petitions") == before


def test_a_clean_sheet_is_imported_numbered_encrypted_and_counted(app, world, browser, owner_engine):
    rows = ledger_rows(300)
    browser.login("east-intake")
    import_id = upload(browser, world.town, xlsx(rows), "东镇信访台账.xlsx")
    sealed = import_row(owner_engine, import_id)["content"]
    assert sealed and INFORMANT_PHONE.encode() not in bytes(sealed) and b"PK" not in bytes(sealed)[:64]
    map_and_check(app, browser, world.town, import_id)
    page = browser.get(f"/u/{world.town}/petitions/imports/{import_id}").get_data(as_text=True)
    assert "检查通过" in page and "正式导入 300 件" in page
    assert count(owner_engine, "SELECT COUNT(*) FROM petitions") == 0  # the dry run writes nothing

    assert commit(app, browser, world.town, import_id).status_code == 302
    job = import_row(owner_engine, import_id)
    year = date.today().year
    assert job["state"] == "committed" and job["created_count"] == 300 and job["content"] is None
    assert (job["first_number"], job["last_number"]) == (f"东纪信〔{year}〕1号", f"东纪信〔{year}〕300号")
    page = browser.get(f"/u/{world.town}/petitions/imports/{import_id}").get_data(as_text=True)
    assert "已导入 300 件" in page

    with owner_engine.connect() as conn:
        stored = conn.execute(text("SELECT * FROM petitions ORDER BY seq")).mappings().all()
    assert [p["seq"] for p in stored] == list(range(1, 301)) and {p["state"] for p in stored} == {"registered"}
    assert [p["source_ref"] for p in stored] == [r[0] for r in rows]
    assert {p["channel"] for p in stored} == {"letter", "visit", "phone", "web"}
    assert all(p["due_on"] > p["received_on"] for p in stored)
    named = [p for p in stored if p["informant_name"]]
    assert len(named) == 240 and sum(p["anonymous"] for p in stored) == 60
    for p in named:
        assert INFORMANT_NAME not in p["informant_name"] and INFORMANT_PHONE not in p["informant_phone"]
        assert p["informant_phone_key"] and p["informant_name"].count("$") == 1
    assert count(owner_engine, "SELECT COUNT(*) FROM workflow_history WHERE object_type = 'petitions' "
                               "AND transition = 'create'") == 300
    assert stat(owner_engine, world.town, "petitions.open") == 300
    assert stat(owner_engine, world.town, "petitions.received") == 300
    first_day = stored[0]["received_on"]
    assert stat(owner_engine, world.town, "petitions.received", str(first_day)[:10]) == sum(
        1 for p in stored if p["received_on"] == first_day)
    assert count(owner_engine, "SELECT COUNT(*) FROM audit_events WHERE action = 'petition.import'") == 1
    assert count(owner_engine, "SELECT COUNT(*) FROM audit_events WHERE action = 'petition.register'") == 0

    # The informant decrypts where it is bound (masked on the page, revealed with a reason).
    pid = named[0]["id"]
    detail = f"/u/{world.town}/petitions/{pid}"
    assert f"{INFORMANT_NAME}1" not in browser.get(detail).get_data(as_text=True)
    revealed = browser.post(f"{detail}/reveal", {"reason": "核对导入的台账"}, form_page=detail).get_data(as_text=True)
    assert f"{INFORMANT_NAME}1" in revealed and INFORMANT_PHONE in revealed

    # The next registration continues the numbering.
    with app.app_context():
        from core import context
        from core.extensions import db
        from core.petitions import operations as petition_ops
        from tenants.models import Unit

        with context.acting(context.maintenance_context(), db.session):
            petition = petition_ops.register_petition(db.session.get(Unit, world.town), {
                "channel": "letter", "received_on": date.today(), "anonymous": True, "accused_name": "张某",
                "summary": "又一件"})
            db.session.commit()
            assert petition.number == f"东纪信〔{year}〕301号"


def test_a_gb18030_csv_with_written_dates_and_short_channel_words(app, world, browser, owner_engine):
    today = date.today()
    rows = [["乙信1", "信", f"{today.year - 1}年3月1日", "", "", "", "", "王五", "", "西村", "", "", "", "反映王五问题一", ""],
            ["乙信2", "访", f"{today.year - 1}/3/2", "孙六", "", "13700001111", "", "王五", "", "西村", "", "", "", "反映二", ""],
            ["乙信3", "电", str((date(today.year - 1, 3, 3) - date(1899, 12, 30)).days), "", "", "", "", "赵七", "", "",
             "", "", "", "反映三", ""],
            ["乙信4", "网", f"{today.year - 1}.03.04", "", "", "", "", "赵七", "", "", "", "", "", "反映四", ""]]
    data = csv_bytes(rows, "gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    browser.login("east-intake")
    import_id = upload(browser, world.town, data, "台账.csv")
    assert import_row(owner_engine, import_id)["encoding"] == "gb18030"
    assert "13700001111".encode() not in bytes(import_row(owner_engine, import_id)["content"])
    map_and_check(app, browser, world.town, import_id)
    assert import_row(owner_engine, import_id)["state"] == "checked"
    commit(app, browser, world.town, import_id)
    with owner_engine.connect() as conn:
        stored = conn.execute(text("SELECT channel, received_on, anonymous FROM petitions ORDER BY seq")).all()
    year = today.year - 1
    assert [(c, str(d), a) for c, d, a in stored] == [
        ("letter", f"{year}-03-01", True), ("visit", f"{year}-03-02", False), ("phone", f"{year}-03-03", True),
        ("web", f"{year}-03-04", True)]


def test_duplicates_of_existing_petitions_and_within_the_file(app, world, browser, owner_engine):
    browser.login("east-intake")
    first = upload(browser, world.town, xlsx(ledger_rows(5)), "第一批.xlsx")
    map_and_check(app, browser, world.town, first)
    commit(app, browser, world.town, first)
    assert import_row(owner_engine, first)["state"] == "committed"

    year = date.today().year
    rows = ledger_rows(3, start=10)
    rows.append(ledger_rows(1, start=2)[0])  # 甲信00002 is registered already
    rows.append(list(rows[0]))  # row 6 repeats row 2
    unnumbered = ["", "来信", date.today() - timedelta(days=9), "", "", "", "", "陈八", "", "东镇", "", "", "", "反映陈八", ""]
    rows += [unnumbered, list(unnumbered)]  # rows 7 and 8: no original number, same date, accused and summary
    second = upload(browser, world.town, xlsx(rows), "第二批.xlsx")
    map_and_check(app, browser, world.town, second)
    job = import_row(owner_engine, second)
    assert job["state"] == "check_failed" and job["error_count"] == 0 and job["duplicate_count"] == 3
    page = browser.get(f"/u/{world.town}/petitions/imports/{second}").get_data(as_text=True)
    assert f"与已登记的 东纪信〔{year}〕2号 原受理编号相同" in page
    assert "与第 2 行重复" in page and "与第 7 行重复" in page
    assert commit(app, browser, world.town, second).status_code == 409
    assert count(owner_engine, "SELECT COUNT(*) FROM petitions") == 5


def test_a_commit_that_meets_a_new_duplicate_writes_nothing(app, world, browser, owner_engine, monkeypatch):
    """Two imports checked clean side by side; the first goes in, so the second's commit finds a row that
    now duplicates it, after two batches were written: everything of the second is rolled back."""
    from core.imports import operations

    monkeypatch.setattr(operations, "BATCH", 50)
    browser.login("east-intake")
    a = upload(browser, world.town, xlsx(ledger_rows(60, prefix="A")), "a.xlsx")
    b_rows = ledger_rows(120, prefix="B")
    b_rows[110][0] = "A00030"
    b = upload(browser, world.town, xlsx(b_rows), "b.xlsx")
    for import_id in (a, b):
        map_and_check(app, browser, world.town, import_id)
        assert import_row(owner_engine, import_id)["state"] == "checked"
    commit(app, browser, world.town, a)
    commit(app, browser, world.town, b)
    job = import_row(owner_engine, b)
    assert job["state"] == "failed" and job["created_count"] == 0 and job["content"] is not None
    assert job["failure"].startswith("第 112 行：与已登记的") and "原受理编号相同" in job["failure"]
    assert count(owner_engine, "SELECT COUNT(*) FROM petitions") == 60
    assert stat(owner_engine, world.town, "petitions.open") == 60
    assert count(owner_engine, "SELECT last_value FROM number_counters WHERE unit_id = :u", u=world.town) == 60
    page = browser.get(f"/u/{world.town}/petitions/imports/{b}").get_data(as_text=True)
    assert "导入失败，未写入任何记录" in page and "第 112 行" in page


def test_an_unmapped_required_field_is_a_clear_422(app, world, browser, owner_engine):
    browser.login("east-intake")
    import_id = upload(browser, world.town, xlsx(ledger_rows(2)), "台账.xlsx")
    incomplete = {k: v for k, v in MAPPING.items() if k != "received_on"}
    response = map_and_check(app, browser, world.town, import_id, incomplete)
    assert response.status_code == 422
    assert "请为必填项“受理日期”选择对应的列" in response.get_data(as_text=True)
    assert import_row(owner_engine, import_id)["state"] == "uploaded"

    headers = bearer(app, "east-intake")
    url = f"/api/v1/u/{world.town}/imports/{import_id}"
    response = app.test_client().post(f"{url}/mapping", headers=headers, json={
        "mapping": {**incomplete, "received_on": "收件时间", "accused_name": ""}})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors["accused_name"] == ["请为必填项“被反映人姓名”选择对应的列"]
    assert errors["received_on"] == ["“受理日期”对应的列“收件时间”不在文件的标题行中"]


def test_upload_refuses_what_it_cannot_read(app, world, browser):
    browser.login("east-intake")
    page = f"/u/{world.town}/petitions/imports"
    for data, name, message in ((b"x", "ledger.xls", "请上传 .xlsx 或 .csv 文件"),
                                (b"not a zip", "ledger.xlsx", "无法读取该 Excel 文件"),
                                (b"", "ledger.csv", "文件是空的")):
        response = browser.post(page, {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
        assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_a_damaged_file_fails_its_check_with_the_place(app, world, browser, owner_engine):
    """A workbook whose sheet breaks off in its fourth row (a copy cut short): the titles read, the rows do not."""
    source, damaged = zipfile.ZipFile(io.BytesIO(xlsx(ledger_rows(5)))), io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[:content.index(b'<row r="4"')] + b'<row r="4"><c r="A4" t="inl'
                # The size Excel states up front (without it the reader would scan, and refuse, at upload).
                content = content.replace(b"</sheetPr>", b'</sheetPr><dimension ref="A1:O6"/>', 1)
            target.writestr(item, content)
    browser.login("east-intake")
    import_id = upload(browser, world.town, damaged.getvalue(), "台账.xlsx")
    map_and_check(app, browser, world.town, import_id)
    job = import_row(owner_engine, import_id)
    assert job["state"] == "failed" and "文件第 3 行之后的内容无法读取" in job["failure"]
    assert "文件第 3 行之后的内容无法读取" in browser.get(f"/u/{world.town}/petitions/imports/{import_id}").get_data(
        as_text=True)


def test_the_api_runs_an_import_end_to_end(app, world, owner_engine):
    client, headers = app.test_client(), bearer(app, "east-intake")
    base = f"/api/v1/u/{world.town}/imports"
    response = client.post(base, headers=headers, data={"file": (io.BytesIO(xlsx(ledger_rows(20))), "api.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    job = response.get_json()
    assert job["state"] == "uploaded" and job["suggested_mapping"] == MAPPING and job["headers"] == HEADERS
    url = f"{base}/{job['id']}"
    response = client.post(f"{url}/mapping", headers=headers, json={"mapping": MAPPING, "version": job["version"]})
    assert response.status_code == 200 and response.get_json()["state"] == "mapped"
    assert client.post(f"{url}/commit", headers=headers, json={}).status_code == 409  # not checked yet
    assert client.post(f"{url}/check", headers=headers, json={}).status_code == 202
    run_jobs(app)
    job = client.get(url, headers=headers).get_json()
    assert (job["state"], job["total_rows"], job["percent"]) == ("checked", 20, 100)
    assert client.post(f"{url}/commit", headers=headers, json={"version": job["version"]}).status_code == 202
    run_jobs(app)
    job = client.get(url, headers=headers).get_json()
    assert job["state"] == "committed" and job["created_count"] == 20
    assert [j["id"] for j in client.get(base, headers=headers).get_json()["items"]] == [job["id"]]


def test_the_status_endpoint_feeds_the_progress_bar(app, world, browser, owner_engine):
    browser.login("east-intake")
    import_id = upload(browser, world.town, csv_bytes(ledger_rows(3), "utf-8"), "台账.csv")
    status = browser.get(f"/u/{world.town}/petitions/imports/{import_id}/status").get_json()
    assert status == {"state": "uploaded", "state_label": "已上传，待设置列对应", "running": False, "percent": 0,
                      "processed_rows": 0, "total_rows": 3}
    map_and_check(app, browser, world.town, import_id)
    status = browser.get(f"/u/{world.town}/petitions/imports/{import_id}/status").get_json()
    assert (status["state"], status["percent"], status["processed_rows"]) == ("checked", 100, 3)
    with owner_engine.begin() as conn:  # as a worker leaves it half-way through a dry run
        conn.execute(text("UPDATE import_jobs SET state = 'checking', processed_rows = 2 WHERE id = :id"),
                     {"id": import_id})
    page = browser.get(f"/u/{world.town}/petitions/imports/{import_id}").get_data(as_text=True)
    assert "data-job-progress" in page and 'value="66"' in page and "已处理 2 / 约 3 行" in page
    assert "保存并检查" not in page and "正式导入" not in page
    script = browser.get("/static/app.js")  # the one poller of every job's progress bar
    assert script.status_code == 200 and "data-job-progress" in script.get_data(as_text=True)


def test_a_job_that_never_started_can_be_checked_again(app, world, browser, owner_engine):
    """A job lost before any worker took it (its queue emptied) leaves its import "checking" without a heartbeat;
    after twice the job timeout it may be mapped and run again (a worker's death is the sweep's, within a minute:
    tests/test_job_resume.py)."""
    browser.login("east-intake")
    import_id = upload(browser, world.town, xlsx(ledger_rows(3)), "台账.xlsx")
    detail = f"/u/{world.town}/petitions/imports/{import_id}"
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE import_jobs SET state = 'checking', mapping = :m WHERE id = :id"),
                     {"id": import_id, "m": json.dumps(MAPPING)})
    assert map_and_check(app, browser, world.town, import_id).status_code == 409  # its job may still run
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE import_jobs SET updated_at = :t WHERE id = :id"),
                     {"id": import_id, "t": datetime.now(timezone.utc) - timedelta(hours=3)})
    assert "保存并检查" in browser.get(detail).get_data(as_text=True)
    assert map_and_check(app, browser, world.town, import_id).status_code == 302
    assert import_row(owner_engine, import_id)["state"] == "checked"


@pytest.mark.skipif(not (ADMIN_URL and REDIS_URL), reason="progress is written while a worker's transaction is open: "
                                                          "PostgreSQL and RQ")
def test_progress_is_visible_while_the_commit_is_still_open(app, world, browser, owner_engine, monkeypatch):
    from core import jobs
    from core.imports import operations

    monkeypatch.setattr(operations, "BATCH", 40)
    seen = []
    write = jobs.Progress.__call__

    def watched(progress, rows_read):
        write(progress, rows_read)
        job = import_row(owner_engine, progress.record_id)  # another connection, as the page's poll
        seen.append((job["state"], job["processed_rows"], count(owner_engine, "SELECT COUNT(*) FROM petitions")))

    monkeypatch.setattr(jobs.Progress, "__call__", watched)
    browser.login("east-intake")
    import_id = upload(browser, world.town, xlsx(ledger_rows(100)), "台账.xlsx")
    map_and_check(app, browser, world.town, import_id)
    assert seen == [("checking", 40, 0), ("checking", 80, 0), ("checking", 100, 0)]
    seen.clear()
    commit(app, browser, world.town, import_id)
    # The rows written so far stay invisible until the one transaction commits; the count does not.
    assert seen == [("committing", 40, 0), ("committing", 80, 0), ("committing", 100, 0)]
    assert import_row(owner_engine, import_id)["state"] == "committed"


def test_another_units_import_is_404_everywhere(app, world, browser, factory):
    browser.login("east-intake")
    import_id = upload(browser, world.town, xlsx(ledger_rows(2)), "东镇台账.xlsx")
    browser.logout()
    browser.login("west-intake")
    for unit_id in (world.town, world.town2):
        for path in ("", "/status"):
            response = browser.get(f"/u/{unit_id}/petitions/imports/{import_id}{path}")
            assert response.status_code == 404 and "东镇台账" not in response.get_data(as_text=True)
        response = browser.post(f"/u/{unit_id}/petitions/imports/{import_id}/commit",
                                form_page=f"/u/{world.town2}/petitions/imports")
        assert response.status_code == 404
    assert "东镇台账" not in browser.get(f"/u/{world.town2}/petitions/imports").get_data(as_text=True)
    headers = bearer(app, "west-intake")
    client = app.test_client()
    for unit_id in (world.town, world.town2):
        assert client.get(f"/api/v1/u/{unit_id}/imports/{import_id}", headers=headers).status_code == 404
        assert client.post(f"/api/v1/u/{unit_id}/imports/{import_id}/check", headers=headers,
                           json={}).status_code == 404
    # At its own unit, a role that does not register petitions does not import them either.
    browser.logout()
    browser.login("east-reviewer")
    assert browser.get(f"/u/{world.town}/petitions/imports").status_code == 404
    assert browser.get(f"/u/{world.town}/petitions/imports/{import_id}").status_code == 404
