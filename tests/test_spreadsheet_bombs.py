"""Hostile spreadsheets (issue 16 item 6): a file whose parts expand far beyond its size is refused, in Chinese,
before anything reads it whole, in bounded memory, and nothing of it is stored; every upload that parses an
.xlsx (petition ledgers, unit provisioning) goes through the same guard, and an import job runs under a
memory limit."""
from __future__ import annotations

import io
import resource
import tracemalloc
import zipfile

import pytest

from tests.conftest import REDIS_URL, bearer
from tests.test_imports import (  # noqa: F401
    HEADERS, MAPPING, count, csv_bytes, import_row, ledger_rows, run_jobs, upload, world, xlsx)

SHARED_STRINGS_TYPE = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                       b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
SST = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def rebuilt(data: bytes, *, replace=None, add=None) -> bytes:
    """``data`` (an xlsx) with parts replaced or added: ``{name: bytes or a callable writing into the part}``."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            content = replace.get(item.filename, source.read(item.filename))
            if item.filename == "[Content_Types].xml" and "xl/sharedStrings.xml" in add:
                content = content.replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>")
            target.writestr(item.filename, content)
        for name, content in add.items():
            with target.open(name, "w", force_zip64=True) as part:
                content(part) if callable(content) else part.write(content)
    return out.getvalue()


def shared_strings_bomb(megabytes: int = 160) -> bytes:
    """A ledger of a few hundred KB whose shared-strings table expands to ``megabytes`` MB of one repeated
    text: what openpyxl would read whole into memory before the first row."""
    def write(part):
        part.write(SST)
        block = ("<si><t>" + "清" * 1000 + "</t></si>").encode() * 256
        for _ in range((megabytes << 20) // len(block)):
            part.write(block)
        part.write(b"</sst>")

    return rebuilt(xlsx(ledger_rows(2)), add={"xl/sharedStrings.xml": write})


class Peak:
    """The memory a block takes in this process: Python's allocations (tracemalloc) and the process's peak."""

    def __enter__(self):
        tracemalloc.start()
        self.rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return self

    def __exit__(self, *exc):
        self.traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        self.rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self.rss_before) * 1024


def test_a_shared_strings_bomb_is_refused_at_upload_in_bounded_memory_and_nothing_is_stored(
        app, world, browser, owner_engine):  # noqa: F811
    bomb = shared_strings_bomb()
    assert len(bomb) < 1 << 20
    browser.login("east-intake")
    with Peak() as peak:
        response = browser.post(f"/u/{world.town}/petitions/imports", {"file": (io.BytesIO(bomb), "台账.xlsx")},
                                content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "压缩炸弹" in page and "已拒绝" in page
    # Unguarded, openpyxl holds the 160 MB table (~220 MB of Python strings) before it reads a row.
    assert peak.traced < 16 << 20 and peak.rss_growth < 64 << 20, (peak.traced, peak.rss_growth)
    assert count(owner_engine, "SELECT COUNT(*) FROM import_jobs") == 0
    response = app.test_client().post(f"/api/v1/u/{world.town}/imports", headers=bearer(app, "east-intake"),
                                      data={"file": (io.BytesIO(bomb), "api.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 422 and "压缩炸弹" in str(response.get_json())
    assert count(owner_engine, "SELECT COUNT(*) FROM import_jobs") == 0


def test_units_import_refuses_the_same_bomb(app, app_ctx):
    from core.errors import InvalidInput
    from tenants import provisioning

    with Peak() as peak, pytest.raises(InvalidInput) as refused:
        provisioning.read_sheet("units.xlsx", shared_strings_bomb())
    assert "压缩炸弹" in refused.value.messages[0] and peak.traced < 16 << 20


def _strings(n: int):
    def write(part):
        part.write(SST + b"".join(f"<si><t>{i:07x}</t></si>".encode() for i in range(n)) + b"</sst>")
    return write


def _manifest_with(override: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(xlsx([]))) as source:
        return source.read("[Content_Types].xml").replace(b"</Types>", override + b"</Types>")


def _sheet_with(rows: bytes) -> bytes:
    return (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>\xe5\x8f\x97\xe7\x90\x86\xe6\x97\xa5\xe6\x9c\x9f'
            b'</t></is></c></row>' + rows + b"</sheetData></worksheet>")


@pytest.mark.parametrize("limits, build, message", [
    # Many distinct strings in few bytes: each one a Python object however short.
    ({"MAX_STRINGS": 1_000}, lambda: rebuilt(xlsx([]), add={"xl/sharedStrings.xml": _strings(1_001)}),
     "不同的文字超过 1,000 条"),
    ({"MAX_SHARED_STRINGS": 10_000}, lambda: rebuilt(xlsx([]), add={"xl/sharedStrings.xml": _strings(1_000)}),
     "共享字符串表解压后超过"),
    ({"MAX_EXPANDED": 20_000}, lambda: xlsx(ledger_rows(100)), "文件解压后超过"),
    ({"MAX_PARTS": 5}, lambda: xlsx([]), "部件超过 5 个"),
    # A row of a million empty cells: openpyxl builds the whole row before yielding it.
    ({"MAX_RATIO": 10_000}, lambda: rebuilt(xlsx([]), replace={"xl/worksheets/sheet1.xml": _sheet_with(
        b'<row r="2">' + b"<c/>" * 1_000_000 + b"</row>")}), "“xl/worksheets/sheet1.xml”的第 2 处内容超出 Excel 表格的上限"),
    # The table where the manifest says it is, whatever its name.
    ({"MAX_STRINGS": 1_000}, lambda: rebuilt(xlsx([]), replace={"[Content_Types].xml": _manifest_with(
        b'<Override PartName="/xl/texts.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.sharedStrings+xml"/>')}, add={"xl/texts.xml": _strings(1_001)}), "不同的文字超过 1,000 条"),
    # One string of many rich-text runs; a styles part of many formats.
    ({"MAX_ELEMENTS_PER_RECORD": 1_000}, lambda: rebuilt(xlsx([]), add={"xl/sharedStrings.xml": SST + b"<si>"
     + b"<r><t>x</t></r>" * 2_000 + b"</si></sst>"}), "“xl/sharedStrings.xml”的第 1 处内容超出"),
    ({"MAX_ELEMENTS_PER_RECORD": 1_000}, lambda: rebuilt(xlsx([]), replace={"xl/styles.xml": (
        b'<?xml version="1.0"?><styleSheet><cellXfs>' + b"<xf/>" * 2_000 + b"</cellXfs></styleSheet>")}),
     "文件中“xl/styles.xml”内容超出"),
    ({}, lambda: rebuilt(xlsx([]), replace={"xl/workbook.xml": b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY '
                                            b'lol "lol">]><workbook/>'}), "DOCTYPE"),
    ({}, lambda: rebuilt(xlsx([]), replace={"xl/worksheets/sheet1.xml": _sheet_with(
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + b"x" * 40_000 + b"</t></is></c></row>")}),
     "第 2 行第 1 列的内容超过 32,767 个字"),
])
def test_each_limit_refuses_with_its_reason(app, app_ctx, monkeypatch, limits, build, message):
    from core import spreadsheets
    from core.errors import InvalidInput

    for name, value in limits.items():
        monkeypatch.setattr(spreadsheets, name, value)
    with pytest.raises(InvalidInput) as refused:
        list(spreadsheets.rows(build()))
    assert message in refused.value.messages[0], refused.value.messages


def test_a_part_that_lies_about_its_size_is_unreadable(app, app_ctx):
    """zipfile yields at most the size a part declares, then fails its checksum: the stated sizes bind."""
    from core import spreadsheets
    from core.errors import InvalidInput

    data, name = bytearray(xlsx(ledger_rows(50))), b"xl/worksheets/sheet1.xml"
    entry = data.index(b"PK\x01\x02")  # the central directory's entries: the name at 46, the size at 24
    while data[entry + 46:entry + 46 + len(name)] != name:
        entry = data.index(b"PK\x01\x02", entry + 4)
    data[entry + 24:entry + 28] = (100).to_bytes(4, "little")
    with pytest.raises(InvalidInput) as refused:
        list(spreadsheets.rows(bytes(data)))
    assert "无法读取该 Excel 文件" in refused.value.messages[0]


def test_a_row_bomb_below_the_title_row_fails_the_dry_run_and_writes_nothing(
        app, world, browser, owner_engine, monkeypatch):  # noqa: F811
    """The upload reads the title row only; the dry run reads every row and refuses the file with the place."""
    from core import spreadsheets

    monkeypatch.setattr(spreadsheets, "MAX_ELEMENTS_PER_RECORD", 5_000)
    rows = xlsx(ledger_rows(3))
    with zipfile.ZipFile(io.BytesIO(rows)) as source:
        sheet = source.read("xl/worksheets/sheet1.xml")
    at = sheet.index(b'<row r="3"')
    bomb = rebuilt(rows, replace={"xl/worksheets/sheet1.xml": sheet[:at] + b'<row r="3">' + b"<c/>" * 6_000
                                  + b"</row>" + sheet[at:].replace(b'<row r="3"', b'<row r="30"', 1)})
    browser.login("east-intake")
    import_id = upload(browser, world.town, bomb, "台账.xlsx")
    detail = f"/u/{world.town}/petitions/imports/{import_id}"
    browser.post(f"{detail}/mapping", {f"map_{k}": v for k, v in MAPPING.items()}, form_page=detail)
    run_jobs(app)
    job = import_row(owner_engine, import_id)
    assert job["state"] == "failed" and "“xl/worksheets/sheet1.xml”的第 3 处内容超出 Excel 表格的上限" in job["failure"]
    assert count(owner_engine, "SELECT COUNT(*) FROM petitions") == 0


def test_a_legitimate_ledger_passes_the_guard(app, app_ctx):
    from core import spreadsheets

    rows = list(spreadsheets.rows(xlsx(ledger_rows(300))))
    assert rows[0] == HEADERS and len(rows) == 301


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_AS"), reason="RLIMIT_AS is Linux's")
def test_a_job_under_its_memory_limit_gets_memory_error_and_the_limit_goes_with_it(app):
    from core.jobs import memory_limit

    with memory_limit(64), pytest.raises(MemoryError):
        bytearray(512 << 20)
    assert len(bytearray(128 << 20)) == 128 << 20  # the limit is put back after the job


def test_import_jobs_declare_a_memory_limit_and_running_out_is_a_clear_refusal(
        app, world, browser, owner_engine, monkeypatch):  # noqa: F811
    """In a worker the dry run and the commit run under memory_limit; a sheet that exhausts it fails the import
    with a Chinese reason (the rest of the worker lives on) and nothing is written."""
    from core import spreadsheets
    from core.imports import jobs, operations

    assert jobs.check_import.spec.memory_mb == jobs.commit_import.spec.memory_mb == operations.MEMORY_MB
    browser.login("east-intake")
    import_id = upload(browser, world.town, xlsx(ledger_rows(3)), "台账.xlsx")

    def exhausted(data):
        raise MemoryError
        yield

    monkeypatch.setattr(spreadsheets, "rows", exhausted)
    detail = f"/u/{world.town}/petitions/imports/{import_id}"
    browser.post(f"{detail}/mapping", {f"map_{k}": v for k, v in MAPPING.items()}, form_page=detail)
    run_jobs(app)
    job = import_row(owner_engine, import_id)
    assert job["state"] == "failed" and "内存上限" in job["failure"]
    assert count(owner_engine, "SELECT COUNT(*) FROM petitions") == 0
    if REDIS_URL:
        from rq.registry import FailedJobRegistry

        from core.jobs import get_queue

        with app.app_context():  # a refused sheet, not a fault of the worker
            assert FailedJobRegistry(queue=get_queue("imports")).count == 0


def test_a_workbook_with_shared_strings_as_excel_writes_it_reads(app, app_ctx):
    from core import spreadsheets

    sheet = _sheet_with(b'<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c></row>')
    data = rebuilt(xlsx([]), replace={"xl/worksheets/sheet1.xml": sheet}, add={"xl/sharedStrings.xml": (
        SST + "<si><t>张三</t></si><si><t>李四</t></si></sst>".encode())})
    assert list(spreadsheets.rows(data)) == [["受理日期"], ["张三", "李四"]]


# ---------------------------------------------------------------- CSV: no directory to check, so read bounded

CSV_BOMB = b"ab," * (15 << 20) + b"\n"  # 45 MB (under the upload limit), one record of 15 million fields


def test_a_csv_bomb_is_refused_at_upload_in_bounded_memory_and_nothing_is_stored(
        app, world, browser, owner_engine):  # noqa: F811
    """Unguarded, csv.reader built the 15-million-field first row (the process grew by 1 GB) before it was cut
    to the columns read."""
    browser.login("east-intake")
    with Peak() as peak:
        response = browser.post(f"/u/{world.town}/petitions/imports",
                                {"file": (io.BytesIO(CSV_BOMB), "台账.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422 and "CSV 文件第 1 行超过 2,097,152 个字，不是正常的表格，已拒绝" in \
        response.get_data(as_text=True)
    assert peak.traced < 64 << 20, peak.traced  # the 45 MB upload itself and a capped record, never the row
    response = app.test_client().post(f"/api/v1/u/{world.town}/imports", headers=bearer(app, "east-intake"),
                                      data={"file": (io.BytesIO(CSV_BOMB), "api.csv")},
                                      content_type="multipart/form-data")
    assert response.status_code == 422 and "CSV 文件第 1 行超过" in str(response.get_json())
    assert count(owner_engine, "SELECT COUNT(*) FROM import_jobs") == 0


def test_units_import_refuses_a_csv_bomb_in_bounded_memory(app, app_ctx):
    from core.errors import InvalidInput
    from tenants import provisioning

    bomb = "代码,名称\n".encode() + CSV_BOMB
    with Peak() as peak, pytest.raises(InvalidInput) as refused:
        provisioning.read_sheet("units.csv", bomb)
    assert "CSV 文件第 2 行超过" in refused.value.messages[0] and peak.traced < 16 << 20, peak.traced


@pytest.mark.parametrize("text, message", [
    ("受理日期," * 16_384 + "\n", "CSV 文件第 1 行超过 16,384 列（Excel 的上限），已拒绝"),
    ('受理日期\n"' + "清" * 40_000 + '"\n', "第 2 行第 1 列的内容超过 32,767 个字"),
    # 20 quoted cells of 1,200 lines each: one record of 2.4 million characters over 24,000 lines
    ("受理日期\n" + ('"' + ("清" * 99 + "\n") * 1_200 + '",') * 20 + "\n", "CSV 文件第 2 行超过 2,097,152 个字"),
    ('受理日期\n"清"x"\n"' + "清" * 200_000 + "\n", "CSV 文件第 3 行无法读取（引号不成对或单元格过长）"),
])
def test_each_csv_limit_refuses_with_its_reason(app, app_ctx, text, message):
    from core import spreadsheets
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        list(spreadsheets.csv_rows(text.encode()))
    assert message in refused.value.messages[0]


def test_a_csv_bomb_below_the_title_row_fails_the_dry_run_and_writes_nothing(
        app, world, browser, owner_engine):  # noqa: F811
    browser.login("east-intake")
    import_id = upload(browser, world.town, csv_bytes(ledger_rows(2), "utf-8") + CSV_BOMB, "台账.csv")
    detail = f"/u/{world.town}/petitions/imports/{import_id}"
    browser.post(f"{detail}/mapping", {f"map_{k}": v for k, v in MAPPING.items()}, form_page=detail)
    run_jobs(app)
    job = import_row(owner_engine, import_id)
    assert job["state"] == "failed" and "CSV 文件第 4 行超过 2,097,152 个字" in job["failure"]
    assert count(owner_engine, "SELECT COUNT(*) FROM petitions") == 0


def test_a_legitimate_csv_reads_whole_with_quoted_lines_and_commas(app, app_ctx):
    from core import spreadsheets

    data = csv_bytes(ledger_rows(300), "gb18030")
    rows = list(spreadsheets.csv_rows(data))
    assert rows[0] == HEADERS and len(rows) == 301
    assert list(spreadsheets.csv_rows('标题,内容\r\n1,"第一行\r\n第二行，有,逗号"\r\n'.encode())) == [
        ["标题", "内容"], ["1", "第一行\r\n第二行，有,逗号"]]
