"""Print-ready documents (issue 19): the Word documents in the GB/T 9704 layout (the red 版头, the page number
field, the 版记), and their PDF converted by LibreOffice in a job, cached by the document's digest, with a clear
message where the machine has no converter, and 404 for another unit. On SQLite the job runs inline after the
request's commit; with TEST_REDIS_URL it waits in RQ until a worker takes it."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import text

from core.documents import letterhead, render_docx
from tests.conftest import Browser, bearer, run_queued_jobs

needs_converter = pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                                     reason="LibreOffice (libreoffice-writer-nogui) and poppler-utils: ops/test.sh")
NUMBER = "东纪澄〔2026〕1号"


@pytest.fixture(autouse=True)
def no_renditions_left(owner_engine):
    """The renditions of a test go with it (before the shared clean-up empties the units they belong to)."""
    yield
    with owner_engine.begin() as conn:
        conn.execute(text("DELETE FROM document_renditions"))


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    factory.account("east-officer", [(tree.town, "officer")])
    factory.account("west-officer", [(tree.town2, "officer")])
    return {"tree": tree, "case": _cleared_case(app, tree.town, "李澄清"), "west_case": _cleared_case(app, tree.town2,
                                                                                                     "赵受屈")}


def _cleared_case(app, unit_id: int, person: str) -> int:
    """A clearing case of ``unit_id`` taken through to 实施澄清 by the real operations."""
    from datetime import timedelta

    from core import calendar, context
    from core.clearing import operations as clearing_ops
    from core.extensions import db
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        unit, today = db.session.get(Unit, unit_id), calendar.today()
        candidate = clearing_ops.record_candidate(unit, {
            "reference": "纪信〔2026〕1号", "concluded_on": today.isoformat(), "person_name": person,
            "person_work_unit": "镇农业服务中心", "person_position": "主任", "accusation": "违规收受礼金"})
        clearing_ops.plan_batch(unit, {"year": today.year, "quarter": (today.month - 1) // 3 + 1,
                                       "target_on": (today + timedelta(days=30)).isoformat()}, [candidate.id])
        case = clearing_ops.screen_candidate(candidate, accept=True)
        for step, data in (("assess", {"verified_fully": 1, "conclusion_clear": 1, "handling_done": 1,
                                       "opinion": "可"}),
                           ("review", {"opinion": "同意"}),
                           ("submit_plan", {"method": "notice", "scope": "本人", "planned_on": today.isoformat()}),
                           ("approve_plan", {}),
                           ("clear", {"held_on": today.isoformat(), "attendance": "本人", "presided_by": "书记"})):
            clearing_ops.take_step(case, step, data, acting_unit=unit)
        db.session.commit()
        return case.id


def _pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def _pdf_pages(data: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def _rendition_rows(owner_engine) -> list[dict]:
    with owner_engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(
            "SELECT id, unit_id, kind, object_id, state, content, source, failure FROM document_renditions ORDER BY id"))]


def _follow(browser, app, url: str):
    """What a person's click on "下载 PDF" leads to: the rendition's page while the job runs (a worker takes it
    here on Redis), then the PDF."""
    response = browser.get(url)
    if response.status_code == 200:
        return response, None
    assert response.status_code == 302 and re.search(r"/renditions/\d+\?fetch=1$", response.location), \
        (response.status_code, response.location)
    run_queued_jobs(app)
    page = browser.get(response.location)
    assert page.status_code == 200
    return page, int(re.search(r"/renditions/(\d+)", response.location).group(1))


# ---------------------------------------------------------------- the Word documents


def test_the_word_notice_has_the_red_masthead_the_page_number_field_and_the_colophon():
    head = letterhead("松林县", "county", date(2026, 5, 6), copies_to="城关镇党委")
    data = render_docx("clearing_notice", {
        "number": "松纪澄〔2026〕1号", "person": "张伟", "position": "党委书记", "unit": "城关镇",
        "accusation": "违规收受礼金", "finding": "不属实", "issuer": "松林县纪委", "issued_on": "2026年5月6日"},
        letterhead=head)
    document = Document(io.BytesIO(data))
    first, number = document.paragraphs[0], document.paragraphs[1]
    # The 版头: the issuing authority (纪委 and 监委, one line each) in red, the number, the red separator line.
    assert first.text == "中共松林县纪律检查委员会\n松林县监察委员会"
    assert {str(run.font.color.rgb) for run in first.runs if run.text} == {"FF0000"}
    assert first.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    assert number.text == "松纪澄〔2026〕1号"
    rule = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "FF0000" and rule.get(qn("w:val")) == "single"
    assert document.paragraphs[2].text == "澄清通知书"
    # The title's font is declared with its fallback, for a machine without it.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        fonts = archive.read("word/fontTable.xml").decode()
    assert re.search(r'<w:font w:name="方正小标宋简体"><w:altName w:val="宋体"/>', fonts)
    # Page numbers "— 1 —" at the outer bottom: a PAGE field on the right of odd pages, on the left of even ones.
    section = document.sections[0]
    assert document.settings.odd_and_even_pages_header_footer
    for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
        xml = footer._element.xml
        assert "<w:instrText" in xml and " PAGE " in xml and 'w:fldCharType="begin"' in xml, xml
        assert footer.paragraphs[0].text == "— 1 —"
        assert footer.paragraphs[0].alignment == (2 if align == "right" else 0)
    # The 版记: 抄送, the printing office and date.
    colophon = [cell.text for row in document.tables[-1].rows for cell in row.cells]
    assert "抄送：城关镇党委。" in colophon and "松林县纪委监委办公室" in colophon and "2026年5月6日印发" in colophon


def test_a_township_issues_alone_and_a_document_copied_to_nobody_has_no_copies_line():
    data = render_docx("clearing_notice", {
        "number": NUMBER, "person": "李澄清", "position": "主任", "unit": "东镇", "accusation": "违规",
        "finding": "不属实", "issuer": "东镇", "issued_on": "2026年5月6日"},
        letterhead=letterhead("东镇", "township", date(2026, 5, 6)))
    document = Document(io.BytesIO(data))
    assert document.paragraphs[0].text == "中共东镇纪律检查委员会"
    rows = [[cell.text for cell in row.cells] for row in document.tables[-1].rows]
    assert rows == [["中共东镇纪律检查委员会", "2026年5月6日印发"]]
    assert render_docx("clearing_notice", {"number": NUMBER, "person": "李澄清", "position": "主任", "unit": "东镇",
                                           "accusation": "违规", "finding": "不属实", "issuer": "东镇",
                                           "issued_on": "2026年5月6日"}) == render_docx(
        "clearing_notice", {"number": NUMBER, "person": "李澄清", "position": "主任", "unit": "东镇",
                            "accusation": "违规", "finding": "不属实", "issuer": "东镇", "issued_on": "2026年5月6日"})


def test_the_notice_downloaded_from_the_case_carries_the_units_masthead(app, factory, world):
    browser = Browser(app, factory)
    browser.login("east-officer")
    tree = world["tree"]
    response = browser.get(f"/u/{tree.town}/clearing/cases/{world['case']}/notice.docx")
    document = Document(io.BytesIO(response.data))
    assert document.paragraphs[0].text == "中共东镇纪律检查委员会"
    assert document.paragraphs[1].text == NUMBER
    page = browser.get(f"/u/{tree.town}/clearing/cases/{world['case']}").get_data(as_text=True)
    assert f"/u/{tree.town}/clearing/cases/{world['case']}/notice.pdf" in page and "下载 PDF" in page


# ---------------------------------------------------------------- the PDF


@needs_converter
def test_the_notice_converts_to_a_one_page_pdf_once_and_again_when_it_changes(app, factory, world, owner_engine):
    browser = Browser(app, factory)
    browser.login("east-officer")
    tree, case_id = world["tree"], world["case"]
    url = f"/u/{tree.town}/clearing/cases/{case_id}/notice.pdf"
    page, rendition_id = _follow(browser, app, url)
    shown = page.get_data(as_text=True)
    assert "已生成" in shown and "data-auto-download" in shown, shown
    download = browser.get(f"/u/{tree.town}/renditions/{rendition_id}/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF") and "filename*=UTF-8''" in download.headers["Content-Disposition"]
    assert _pdf_pages(download.data) == 1
    words = _pdf_text(download.data).replace(" ", "")
    assert NUMBER in words and "李澄清" in words and "中共东镇纪律检查委员会" in words, words

    stored = _rendition_rows(owner_engine)
    assert len(stored) == 1 and stored[0]["state"] == "done" and stored[0]["source"] is None
    assert not bytes(stored[0]["content"]).startswith(b"%PDF") and b"%PDF" not in bytes(stored[0]["content"])[:64]

    # The same document again: the cached PDF at once, no second conversion.
    again = browser.get(url)
    assert again.status_code == 200 and again.data == download.data
    assert len(_rendition_rows(owner_engine)) == 1

    # The case's finding changes: a new Word document, converted again.
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE clearing_cases SET finding = :f WHERE id = :id"),
                     {"f": "经查所涉款项系正常往来", "id": case_id})
    page, second = _follow(browser, app, url)
    assert second != rendition_id and "已生成" in page.get_data(as_text=True)
    assert [r["state"] for r in _rendition_rows(owner_engine)] == ["done", "done"]
    with app.app_context():
        from core import context
        from core.audit.models import AuditEvent
        from core.extensions import db

        context.activate(context.ActingContext(platform_role="audit"), db.session)
        actions = db.session.scalars(db.select(AuditEvent.action).where(
            AuditEvent.object_type == "document_renditions", AuditEvent.action.like("renditions.%")))
        assert sorted(actions) == ["renditions.create", "renditions.create", "renditions.download",
                                   "renditions.download"]


def test_without_a_converter_the_page_says_so_and_a_later_click_converts(app, factory, world, owner_engine,
                                                                             monkeypatch):
    """No soffice on the PATH of the process that converts (the inline request, or the worker run here)."""
    browser = Browser(app, factory)
    browser.login("east-officer")
    tree, case_id = world["tree"], world["case"]
    url = f"/u/{tree.town}/clearing/cases/{case_id}/notice.pdf"
    with monkeypatch.context() as patch:
        patch.setenv("PATH", "")
        page, rendition_id = _follow(browser, app, url)
    shown = page.get_data(as_text=True)
    assert page.status_code == 200 and "转换失败" in shown
    assert "服务器未安装 PDF 转换程序" in shown and "Word" in shown
    assert browser.get(f"/u/{tree.town}/renditions/{rendition_id}/status").get_json()["state"] == "failed"
    assert _rendition_rows(owner_engine)[0]["state"] == "failed"
    if not shutil.which("soffice"):
        return
    page, again = _follow(browser, app, url)  # the converter is back: the same rendition, tried again
    assert again == rendition_id and "已生成" in page.get_data(as_text=True)


def test_another_units_pdf_and_rendition_are_404(app, factory, world, owner_engine, monkeypatch):
    tree = world["tree"]
    west = Browser(app, factory)
    west.login("west-officer")
    monkeypatch.setenv("PATH", "")  # no conversion needed here: the rendition's record is what is probed
    response = west.get(f"/u/{tree.town2}/clearing/cases/{world['west_case']}/notice.pdf")
    assert response.status_code == 302
    rendition_id = int(re.search(r"/renditions/(\d+)", response.location).group(1))
    run_queued_jobs(app)

    east = Browser(app, factory)
    east.login("east-officer")
    for path in (f"/u/{tree.town2}/clearing/cases/{world['west_case']}/notice.pdf",
                 f"/u/{tree.town}/clearing/cases/{world['west_case']}/notice.pdf",
                 f"/u/{tree.town2}/renditions/{rendition_id}", f"/u/{tree.town}/renditions/{rendition_id}",
                 f"/u/{tree.town}/renditions/{rendition_id}/status",
                 f"/u/{tree.town}/renditions/{rendition_id}/download"):
        assert east.get(path).status_code == 404, path
    assert len(_rendition_rows(owner_engine)) == 1  # the probes made none


def test_the_conversion_job_is_declared_under_the_name_the_operations_queue(app):
    from core import jobs
    from core.renditions import jobs as rendition_jobs
    from core.renditions import operations as rendition_ops

    assert jobs.declared(rendition_ops.CONVERT_JOB) is rendition_jobs.convert_rendition


@needs_converter
def test_a_rectification_order_prints_under_the_issuing_countys_masthead(app, factory, world):
    from datetime import timedelta

    from core import calendar

    tree = world["tree"]
    with app.app_context():
        due_on = (calendar.today() + timedelta(days=10)).isoformat()
    factory.account("county-boss", [(tree.county, "leader")])
    item = app.test_client().post(f"/api/v1/u/{tree.county}/supervision-items", headers=bearer(app, "county-boss"),
                                  json={"kind": "rectification", "recipient_unit_id": tree.town,
                                        "title": "澄清正名工作检查", "due_on": due_on,
                                        "problems": [{"description": "回访记录不全"}]}).get_json()
    county = Browser(app, factory)
    county.login("county-boss")
    word = Document(io.BytesIO(county.get(f"/u/{tree.county}/supervision/{item['id']}/document.docx").data))
    assert word.paragraphs[0].text == "中共甲县纪律检查委员会\n甲县监察委员会"
    page, rendition_id = _follow(county, app, f"/u/{tree.county}/supervision/{item['id']}/document.pdf")
    pdf = county.get(f"/u/{tree.county}/renditions/{rendition_id}/download").data
    words = re.sub(r"\s", "", _pdf_text(pdf))
    assert "整改交办单" in words and "中共甲县纪律检查委员会" in words and "回访记录不全" in words
    assert "甲县纪委监委办公室" in words and "印发" in words
