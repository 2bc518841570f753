"""Build the Word templates that ``core.documents.render_docx`` fills.

Run ``python core/document_templates/build_templates.py`` after changing this file;
the .docx files next to it are committed. Layout after the 公文 format (GB/T 9704-2012):
A4 with its margins; the 版头 (the issuing authority's mark in red 小标宋, the document number under it and
the red separator line); the title in 小标宋 二号; the body in 仿宋 三号 at a fixed 28 pt line pitch; the page
number "— 1 —" in 宋体 四号 at the outer bottom (right on odd pages, left on even ones); and the 版记 at the end
(抄送, 印发机关 and 印发日期 between black rules).

Fonts are named as offices have them (方正小标宋简体, 仿宋, 黑体, 宋体); each is declared in the font table
with the font a machine without it should take instead (``FALLBACKS``, Word's ``w:altName``), and the PDF
converter maps them onto the CJK fonts it has (core/renditions/fonts.conf).
"""
from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # run as a script from anywhere: the project root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from core.documents import docx_bytes

HERE = Path(__file__).parent
TITLE_FONT, BODY_FONT, HEADING_FONT, NUMBER_FONT = "方正小标宋简体", "仿宋", "黑体", "宋体"
# A font a machine lacks, and what to take instead (declared in the document's font table; the converter's
# fontconfig says the same for the PDF).
FALLBACKS = {TITLE_FONT: "宋体", BODY_FONT: "FangSong", HEADING_FONT: "SimHei", NUMBER_FONT: "SimSun"}
BODY_SIZE = Pt(16)  # 三号
TITLE_SIZE = Pt(22)  # 二号
AUTHORITY_SIZE = Pt(26)  # 一号: the issuing authority's mark in the 版头
SMALL_SIZE = Pt(14)  # 四号: the page number and the 版记
RED = RGBColor(0xFF, 0x00, 0x00)
RED_HEX, BLACK_HEX = "FF0000", "000000"
# Placeholders of the 版头 and 版记, filled by render_docx (core.documents.Letterhead); ``?``: the row is left
# out when its value is empty (a document copied to nobody has no 抄送 line).
AUTHORITY, NUMBER = "{{authority}}", "{{number}}"
COPIES_TO, PRINTED_BY, PRINTED_ON = "{{?copies_to}}", "{{printed_by}}", "{{printed_on}}"


def set_font(target, name: str, size=None, bold: bool = False) -> None:
    """Font of a run or style; Word takes Chinese glyphs from the East Asian slot only."""
    target.font.name = name
    target.font.size = size
    target.font.bold = bold
    target.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _border(paragraph, edge: str, *, color: str, eighths: int, space: int = 1) -> None:
    """A rule along one edge of the paragraph (``eighths``: its width in eighths of a point)."""
    p_pr = paragraph._p.get_or_add_pPr()
    borders = p_pr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        p_pr.append(borders)
    line = OxmlElement(f"w:{edge}")
    for key, value in (("val", "single"), ("sz", str(eighths)), ("space", str(space)), ("color", color)):
        line.set(qn(f"w:{key}"), value)
    borders.append(line)


def _declare_fonts(doc) -> None:
    """Each of the layout's fonts in the font table, with its fallback (``w:altName``) and its kind (serif or
    sans, GB2312 character set), so that Word and LibreOffice substitute a like font where it is missing."""
    part = doc.part.part_related_by(RT.FONT_TABLE)
    entries = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alternative}"/><w:charset w:val="86"/>'
        f'<w:family w:val="{"swiss" if name == HEADING_FONT else "roman"}"/><w:pitch w:val="variable"/></w:font>'
        for name, alternative in FALLBACKS.items())
    part._blob = part.blob.replace(b"</w:fonts>", entries.encode() + b"</w:fonts>")


def _page_number(paragraph) -> None:
    """``— n —``: the PAGE field between em dashes (its cached result 1 until the reader lays the pages out)."""
    def run(text: str = ""):
        r = paragraph.add_run(text)
        set_font(r, NUMBER_FONT, SMALL_SIZE)
        return r

    run("— ")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        r = run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            r._r.append(char)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            r._r.append(instr)
        else:
            r.text = text
    run(" —")


def _footers(doc) -> None:
    """Page numbers at the outer bottom: odd pages on the right, even pages on the left, one character in."""
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    section.footer_distance = Mm(28) - Mm(7)  # the number's baseline 7 mm under the text block
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.alignment = align
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            paragraph.paragraph_format.right_indent = SMALL_SIZE
        else:
            paragraph.paragraph_format.left_indent = SMALL_SIZE
        _page_number(paragraph)


def _masthead(doc, authority: str, number: str) -> None:
    """The 版头: the issuing authority's mark in red, the document number under it and the red separator line
    (the number paragraph's lower border, as wide as the text block)."""
    mark = doc.add_paragraph()
    mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
    mark.paragraph_format.line_spacing_rule = WD_LINE_SPACING.AT_LEAST
    mark.paragraph_format.line_spacing = Pt(36)
    mark.paragraph_format.space_after = Pt(28)
    authority_run = mark.add_run(authority)
    set_font(authority_run, TITLE_FONT, AUTHORITY_SIZE)
    authority_run.font.color.rgb = RED
    line = doc.add_paragraph(number)
    line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    line.paragraph_format.space_after = Pt(24)
    _border(line, "bottom", color=RED_HEX, eighths=12, space=11)  # 1.5 pt, 4 mm under the number


def official_document(title: str, *, authority: str = AUTHORITY, number: str = NUMBER):
    """An A4 document in the official layout (GB/T 9704 margins, 仿宋 body at fixed 28 pt lines, page numbers)
    with its 版头 and centred title: the notices' templates and the bulletins both start here."""
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
    _declare_fonts(doc)
    _footers(doc)
    _masthead(doc, authority, number)

    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.line_spacing = Pt(40)
    heading.paragraph_format.space_after = Pt(16)
    set_font(heading.add_run(title), TITLE_FONT, TITLE_SIZE)
    return doc


def new_document(title: str):
    """A notice's template: the official layout, its number in the 版头."""
    return official_document(title)


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
    set_grid(table, widths_mm)


def set_grid(table, widths_mm: list[int]) -> None:
    """The table's column grid as wide as its cells: LibreOffice lays columns out by the grid, not the cells."""
    for column, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_mm):
        column.set(qn("w:w"), str(int(Mm(width).twips)))


def add_signature(doc, issuer: str = "{{issuer}}", date: str = "{{issued_on}}") -> None:
    doc.add_paragraph()
    for text in (issuer, date):
        paragraph = doc.add_paragraph(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.right_indent = BODY_SIZE * 2


def _cell_borders(cell, **edges: tuple[str, int]) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    for edge in ("top", "left", "bottom", "right"):
        line = OxmlElement(f"w:{edge}")
        color, eighths = edges.get(edge, ("auto", 0))
        line.set(qn("w:val"), "single" if eighths else "nil")
        if eighths:
            line.set(qn("w:sz"), str(eighths))
            line.set(qn("w:space"), "0")
            line.set(qn("w:color"), color)
        borders.append(line)
    tc_pr.append(borders)


def add_colophon(doc, copies_to: str = COPIES_TO, printed_by: str = PRINTED_BY, printed_on: str = PRINTED_ON) -> None:
    """The 版记 at the end: 抄送 (left out when empty), then 印发机关 on the left and 印发日期 on the right,
    in 仿宋 四号 between black rules (the first and last thicker). One table without side borders: a row left
    out keeps the rules right."""
    doc.add_paragraph()
    table = doc.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    thick, thin = (BLACK_HEX, 8), (BLACK_HEX, 4)  # 1 pt and 0.5 pt
    copies = table.cell(0, 0).merge(table.cell(0, 1))
    rows = [(copies, f"抄送：{copies_to}。", WD_ALIGN_PARAGRAPH.LEFT),
            (table.cell(1, 0), printed_by, WD_ALIGN_PARAGRAPH.LEFT),
            (table.cell(1, 1), f"{printed_on}印发", WD_ALIGN_PARAGRAPH.RIGHT)]
    for cell, text, align in rows:
        cell.width = Mm(78) if cell is not copies else Mm(156)
        paragraph = cell.paragraphs[0]
        paragraph.alignment = align
        paragraph.paragraph_format.line_spacing = Pt(24)
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            paragraph.paragraph_format.right_indent = SMALL_SIZE
        else:
            paragraph.paragraph_format.left_indent = SMALL_SIZE
        set_font(paragraph.add_run(text), BODY_FONT, SMALL_SIZE)
    set_grid(table, [78, 78])
    _cell_borders(copies, top=thick, bottom=thin)
    for cell in (table.cell(1, 0), table.cell(1, 1)):
        _cell_borders(cell, top=thick, bottom=thick)  # top: the first rule when 抄送 is left out
    if not copies_to:  # a document built here and now (a bulletin) copied to nobody
        table._tbl.remove(table.rows[0]._tr)


def rectification_order():
    doc = new_document("整改交办单")
    add_body(doc, "{{receiver}}：", indent=False)
    add_body(doc,
             "{{subject}}中发现你单位存在下列问题，现交办你单位整改。请于{{due_on}}前完成整改，"
             "逐项填写整改情况，并将本单连同整改报告报送{{issuer}}。",
             "整改要求：{{requirements}}")
    add_table(doc, ["序号", "问题", "整改要求", "整改情况", "核销"], [12, 44, 44, 40, 16], "problems")
    add_signature(doc)
    add_colophon(doc)
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
    add_colophon(doc)
    return doc


def clearing_notice():
    doc = new_document("澄清通知书")
    add_body(doc, "{{person}}同志：", indent=False)
    add_body(doc,
             "经核查，反映{{unit}}{{position}}{{person}}同志{{accusation}}问题不属实，特予澄清。",
             "核查情况：{{finding}}",
             "特此通知。")
    add_signature(doc)
    add_colophon(doc)
    return doc


def village_rectification_order():
    """重点问题督改单 of a C village (清廉村居 定期研判、分类管理), signed by the township's party and discipline
    secretaries."""
    doc = new_document("“定期研判、分类管理”重点问题督改单")
    add_body(doc, "{{village}}党组织、{{committee}}：", indent=False)
    add_body(doc,
             "根据{{period}}清廉村居“定期研判、分类管理”综合评估，你{{kind}}被评定为C类。现将存在的重点问题及整改措施"
             "交办如下，请对照“一村一方案”逐项整改、按期销号，每月向{{issuer}}党委主要负责同志汇报整改情况。",
             "整改要求：{{requirements}}")
    add_table(doc, ["序号", "问题", "整改措施", "责任人", "整改时限", "销号"], [12, 44, 44, 22, 22, 14], "items")
    doc.add_paragraph()
    for text in ("党委书记：{{party_secretary}}", "纪委书记：{{discipline_secretary}}"):
        paragraph = doc.add_paragraph(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.right_indent = BODY_SIZE * 2
    add_signature(doc)
    add_colophon(doc)
    return doc


if __name__ == "__main__":
    for build in (rectification_order, supervision_order, clearing_notice, village_rectification_order):
        path = HERE / f"{build.__name__}.docx"
        path.write_bytes(docx_bytes(build()))
        print(path)
