"""Build the Word templates that ``core.documents.render_docx`` fills.

Run ``python core/document_templates/build_templates.py`` after changing this file;
the .docx files next to it are committed. Layout after the 公文 format (GB/T 9704):
A4, title in 小标宋 二号, body in 仿宋 三号 at a fixed 28 pt line pitch.
"""
from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

HERE = Path(__file__).parent
TITLE_FONT, BODY_FONT, HEADING_FONT = "宋体", "仿宋", "黑体"
BODY_SIZE = Pt(16)


def set_font(target, name: str, size=None, bold: bool = False) -> None:
    """Font of a run or style; Word takes Chinese glyphs from the East Asian slot only."""
    target.font.name = name
    target.font.size = size
    target.font.bold = bold
    target.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def official_document(title: str):
    """An A4 document in the official layout (GB/T 9704 margins, 仿宋 body at fixed 28 pt lines) with its
    centred title: the notices' templates and the bulletins both start here."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    set_font(normal, BODY_FONT, BODY_SIZE)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(28)
    normal.paragraph_format.space_after = Pt(0)
    doc.core_properties.author = ""
    doc.core_properties.title = title

    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.line_spacing = Pt(40)
    heading.paragraph_format.space_before = Pt(12)
    set_font(heading.add_run(title), TITLE_FONT, Pt(22), bold=True)
    return doc


def new_document(title: str):
    """A notice's template: the official layout with the document number's placeholder under the title."""
    doc = official_document(title)
    number = doc.add_paragraph("{{number}}")
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number.paragraph_format.space_after = Pt(16)
    return doc


def add_body(doc, *texts: str, indent: bool = True) -> None:
    for text in texts:
        paragraph = doc.add_paragraph(text)
        if indent:
            paragraph.paragraph_format.first_line_indent = BODY_SIZE * 2


def add_table(doc, headers: list[str], widths_mm: list[int], rows_key: str) -> None:
    """A header row and the row template ``{{rows:<rows_key>}}`` (one run per cell,
    so the filled cells keep the table's font)."""
    table = doc.add_table(rows=2, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for i, (header, width) in enumerate(zip(headers, widths_mm)):
        for row, text, bold in [(0, header, True), (1, f"{{{{rows:{rows_key}}}}}" if i == 0 else "", False)]:
            cell = table.cell(row, i)
            cell.width = Mm(width)
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.line_spacing = Pt(22)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if bold or i == 0 else WD_ALIGN_PARAGRAPH.LEFT
            set_font(paragraph.add_run(text), HEADING_FONT if bold else BODY_FONT, Pt(14))
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeat on each page


def add_signature(doc, issuer: str = "{{issuer}}", date: str = "{{issued_on}}") -> None:
    doc.add_paragraph()
    for text in (issuer, date):
        paragraph = doc.add_paragraph(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.right_indent = BODY_SIZE * 2


def rectification_order():
    doc = new_document("整改交办单")
    add_body(doc, "{{receiver}}：", indent=False)
    add_body(doc,
             "{{subject}}中发现你单位存在下列问题，现交办你单位整改。请于{{due_on}}前完成整改，"
             "逐项填写整改情况，并将本单连同整改报告报送{{issuer}}。",
             "整改要求：{{requirements}}")
    add_table(doc, ["序号", "问题", "整改要求", "整改情况", "核销"], [12, 44, 44, 40, 16], "problems")
    add_signature(doc)
    return doc


def supervision_order():
    doc = new_document("督办单")
    add_body(doc, "督办类型：{{kind}}", indent=False)
    add_body(doc, "{{receiver}}：", indent=False)
    add_body(doc,
             "现将{{subject}}列为{{kind}}，请你单位认真办理。",
             "{{body}}",
             "请于{{due_on}}前办结并书面报告办理结果；办理期间{{cadence}}。")
    add_table(doc, ["日期", "进展情况"], [36, 120], "progress")
    add_signature(doc)
    return doc


def clearing_notice():
    doc = new_document("澄清通知书")
    add_body(doc, "{{person}}同志：", indent=False)
    add_body(doc,
             "经核查，反映{{unit}}{{position}}{{person}}同志{{accusation}}问题不属实，特予澄清。",
             "核查情况：{{finding}}",
             "特此通知。")
    add_signature(doc)
    return doc


if __name__ == "__main__":
    for build in (rectification_order, supervision_order, clearing_notice):
        path = HERE / f"{build.__name__}.docx"
        build().save(path)
        print(path)
