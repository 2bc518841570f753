import io
from urllib.parse import quote

import pytest
from docx import Document

from core import documents
from core.documents import DOCX_MIMETYPE, docx_response, render_docx


def all_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    for section in doc.sections:
        parts += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    return "\n".join(parts)


def rows_of(data: bytes, table: int = 0) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in Document(io.BytesIO(data)).tables[table].rows]


RECTIFICATION = {
    "number": "松纪督〔2026〕3号", "issuer": "中共松江县纪律检查委员会", "receiver": "城关镇党委",
    "subject": "2026年第一季度作风建设专项检查", "issued_on": "2026年3月2日", "due_on": "2026年4月15日",
    "requirements": "逐项对照整改，建立长效机制。",
}


def test_rectification_order():
    problems = [["1", "公务接待超标准", "退还超标部分", "", ""], ["2", "台账不全", "补齐台账", "已补齐", "已核销"]]
    data = render_docx("rectification_order", RECTIFICATION, {"problems": problems})
    text = all_text(data)
    for value in RECTIFICATION.values():
        assert value in text
    assert "{{" not in text
    assert rows_of(data) == [["序号", "问题", "整改要求", "整改情况", "核销"], *problems]


def test_supervision_order():
    fields = {
        "number": "松纪督〔2026〕7号", "kind": "挂号督办", "issuer": "松江县纪委监委", "receiver": "县住建局",
        "subject": "城东安置房项目群众反映问题", "body": "群众反映安置房交付延期，请查明原因并妥善处置。",
        "issued_on": "2026年3月9日", "due_on": "2026年4月30日", "cadence": "每周一报送进展",
    }
    progress = [["2026年3月16日", "已成立工作专班"], ["2026年3月23日", "已约谈施工单位"], ["2026年3月30日", "已复工"]]
    data = render_docx("supervision_order", fields, {"progress": progress})
    text = all_text(data)
    assert "现将城东安置房项目群众反映问题列为挂号督办" in text
    assert "办理期间每周一报送进展。" in text
    assert "{{" not in text
    assert rows_of(data) == [["日期", "进展情况"], *progress]


def test_clearing_notice():
    fields = {
        "number": "松纪澄〔2026〕1号", "person": "张伟", "position": "党委书记", "unit": "城关镇",
        "accusation": "违规收受礼金", "finding": "所涉款项系其亲属婚礼的正常礼尚往来，已按规定报告。",
        "issuer": "中共松江县纪律检查委员会", "issued_on": "2026年5月6日",
    }
    text = all_text(render_docx("clearing_notice", fields))
    assert "经核查，反映城关镇党委书记张伟同志违规收受礼金问题不属实，特予澄清。" in text
    assert fields["finding"] in text and "{{" not in text


def test_empty_table_drops_the_row_template():
    data = render_docx("rectification_order", RECTIFICATION, {"problems": []})
    assert rows_of(data) == [["序号", "问题", "整改要求", "整改情况", "核销"]]


def test_missing_field_or_rows_raise_key_error():
    with pytest.raises(KeyError, match="due_on"):
        render_docx("rectification_order", {k: v for k, v in RECTIFICATION.items() if k != "due_on"},
                    {"problems": []})
    with pytest.raises(KeyError, match="rows:problems"):
        render_docx("rectification_order", RECTIFICATION)
    with pytest.raises(KeyError, match="rows:other"):
        render_docx("rectification_order", RECTIFICATION, {"problems": [], "other": []})


def test_split_placeholders_in_body_table_and_header(tmp_path, monkeypatch):
    doc = Document()
    paragraph = doc.add_paragraph()
    for text, bold in [("致", True), ("{{na", False), ("me}}同志，", True), ("{", False), ("{x}}", False), ("。", False)]:
        paragraph.add_run(text).bold = bold
    cell = doc.add_table(rows=1, cols=1).cell(0, 0).paragraphs[0]
    for text in ("{{", "x", "}}"):
        cell.add_run(text)
    doc.sections[0].header.paragraphs[0].add_run("{{name}}")
    doc.save(tmp_path / "split.docx")
    monkeypatch.setattr(documents, "TEMPLATE_DIR", tmp_path)

    out = Document(io.BytesIO(render_docx("split", {"name": "李娜", "x": "甲"})))
    runs = out.paragraphs[0].runs
    assert out.paragraphs[0].text == "致李娜同志，甲。"
    # the merged value takes its first run's formatting; the surrounding text keeps its own
    assert [(r.text, r.bold) for r in runs] == [("致", True), ("李娜", False), ("同志，", True), ("甲", False),
                                                ("。", False)]
    assert out.tables[0].cell(0, 0).text == "甲"
    assert out.sections[0].header.paragraphs[0].text == "李娜"


def test_docx_response_with_chinese_filename(app):
    with app.test_request_context():
        response = docx_response(b"PK", "整改交办单.docx")
    assert response.mimetype == DOCX_MIMETYPE
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('整改交办单.docx')}" in disposition
    response.direct_passthrough = False
    assert response.get_data() == b"PK"
