"""A bulletin as a Word document (公文 layout: the fonts and sizes of core/document_templates) and as an
Excel workbook (openpyxl write-only), both from the frozen snapshot alone — never from live figures."""
from __future__ import annotations

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.shared import Mm, Pt
from flask_babel import force_locale
from flask_babel import gettext as _

from core import timefmt
from core.documents import docx_bytes, letterhead, text_workbook
from core.document_templates.build_templates import (BODY_FONT, BODY_SIZE, HEADING_FONT, add_colophon,
                                                     official_document, set_font, set_grid)
from core.timefmt import local_time
from reporting.bulletins.models import Bulletin
from reporting.figures import AREAS

NUMERALS = "一二三四五六七八九十"


def number(value, unit: str = ""):
    if value is None:
        return "—"
    if unit == "%":
        return f"{value:.1f}%"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _change(value, previous, unit: str = ""):
    if value is None or previous is None:
        return None
    delta = round(value - previous, 1) if unit == "%" or isinstance(value, float) or isinstance(previous, float) \
        else value - previous
    return delta


def _signed(delta, unit: str = "") -> str:
    if delta is None:
        return "—"
    text = f"{abs(delta):.1f}" if unit == "%" else (f"{abs(delta):g}" if isinstance(delta, float) else str(abs(delta)))
    suffix = _("个百分点") if unit == "%" else ""
    return ("+" if delta > 0 else "−" if delta < 0 else "") + text + suffix


def figure_rows(bulletin: Bulletin) -> list[dict]:
    """The unit's figures as shown: area, label, unit, this period, the previous one and the change."""
    s = bulletin.snapshot
    previous = s["previous"]["values"]
    rows = []
    for key in s["keys"]:
        meta = s["figures"][key]
        value, before = s["values"].get(key), previous.get(key)
        delta = _change(value, before, meta["unit"])
        rows.append({"key": key, "area": meta["area"], "area_label": str(AREAS.get(meta["area"], meta["area"])),
                     "label": meta["label"], "unit": meta["unit"], "value": value, "previous": before,
                     "change": delta, "change_text": _signed(delta, meta["unit"]),
                     "worse": delta is not None and delta != 0 and (delta > 0) != meta["higher_is_better"]})
    return rows




def cut_off_text(bulletin: Bulletin) -> str:
    s = bulletin.snapshot
    return _("数据截至 %(cut)s；在办、超期等存量指标为 %(stock)s 生成时的数值。通报一经发布即固定，不随此后的办理变化。",
             cut=local_time(s["cut_off_at"]), stock=local_time(s["stock_as_of"]))


# ---------------------------------------------------------------- Word


def _heading(doc, text: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.first_line_indent = BODY_SIZE * 2
    set_font(paragraph.add_run(text), HEADING_FONT, BODY_SIZE)


def _body(doc, text: str, *, indent: bool = True, align=None) -> None:
    paragraph = doc.add_paragraph(text)
    if indent:
        paragraph.paragraph_format.first_line_indent = BODY_SIZE * 2
    if align is not None:
        paragraph.alignment = align


def _table(doc, headers: list[str], rows: list[list[str]], widths_mm: list[int]) -> None:
    table = doc.add_table(rows=1 + len(rows), cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for r, values in enumerate([headers, *rows]):
        for c, (text, width) in enumerate(zip(values, widths_mm)):
            cell = table.cell(r, c)
            cell.width = Mm(width)
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.line_spacing = Pt(20)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if r == 0 or c > 0 else WD_ALIGN_PARAGRAPH.LEFT
            set_font(paragraph.add_run(str(text)), HEADING_FONT if r == 0 else BODY_FONT, Pt(12))
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeat on each page
    set_grid(table, widths_mm)


def bulletin_docx(bulletin: Bulletin) -> bytes:
    with force_locale("zh_Hans_CN"):
        return _docx(bulletin)


def _docx(bulletin: Bulletin) -> bytes:
    s = bulletin.snapshot
    issued_at = bulletin.published_at or s["stock_as_of"]
    head = letterhead(s["unit"]["name"], s["unit"]["level"], timefmt.local(issued_at).date())
    doc = official_document(bulletin.title, authority=head.authority, number=s["period"]["label"])
    _body(doc, cut_off_text(bulletin), indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    section = iter(NUMERALS)

    _heading(doc, _("%(n)s、总体情况", n=next(section)))
    if s["campaign"]:
        _body(doc, _("积案动态清零数据为专项活动“%(t)s”的数据。", t=s["campaign"]["title"]))
    _body(doc, _("与上期（%(p)s）相比：", p=s["previous"]["label"]))
    _table(doc, [_("类别"), _("指标"), _("本期"), _("上期"), _("增减")],
           [[r["area_label"], r["label"], number(r["value"], r["unit"]), number(r["previous"], r["unit"]),
             _signed(r["change"], r["unit"])] for r in figure_rows(bulletin)], [26, 50, 26, 26, 26])

    _heading(doc, _("%(n)s、各单位排名", n=next(section)))
    ranked = [k for k in s["rank_keys"]]
    _table(doc, [_("单位"), *[_("%(f)s（名次）", f=s["figures"][k]["label"]) for k in ranked]],
           [[line["name"], *[f"{number(line['values'].get(k), s['figures'][k]['unit'])}"
                             + (f"（{line['ranks'][k]}）" if line["ranks"].get(k) else "") for k in ranked]]
            for line in s["children"]], [52, *[34] * len(ranked)])

    _heading(doc, _("%(n)s、超期情况", n=next(section)))
    overdue_keys = s["overdue_keys"]
    _table(doc, [_("单位"), *[s["figures"][k]["label"] for k in overdue_keys]],
           [[line["name"], *[number(line["values"].get(k), s["figures"][k]["unit"]) for k in overdue_keys]]
            for line in s["children"]], [44, *[22] * len(overdue_keys)])

    _heading(doc, _("%(n)s、澄清正名覆盖情况", n=next(section)))
    cover = s["coverage"]
    _body(doc, _("覆盖率 %(share)s。已覆盖：%(c)s。未覆盖：%(u)s。", share=number(cover["share"], "%"),
                 c="、".join(cover["covered"]) or _("无"), u="、".join(cover["uncovered"]) or _("无")))

    _heading(doc, _("%(n)s、逾期未报", n=next(section)))
    if s["late_returns"]:
        _body(doc, _("截至本期末，下列单位未按时报送本单位部署的报表（共 %(n)s 期次）：", n=s["late_returns_total"]))
        _table(doc, [_("通知"), _("期次"), _("单位"), _("逾期天数")],
               [[r["directive"], r["period_label"], r["unit"], str(r["days_late"])] for r in s["late_returns"]],
               [56, 40, 38, 20])
    else:
        _body(doc, _("本期无逾期未报。"))

    _heading(doc, _("%(n)s、督办件逾期", n=next(section)))
    if s["overdue_items"]:
        _body(doc, _("截至本期末，本单位下发的下列督办件已超过办理期限（共 %(n)s 件）：", n=s["overdue_items_total"]))
        _table(doc, [_("编号"), _("事项"), _("督办对象"), _("期限"), _("超期天数")],
               [[r["number"], r["title"], r["recipient"], r["due_on"], str(r["days_over"])]
                for r in s["overdue_items"]], [34, 54, 30, 24, 14])
    else:
        _body(doc, _("本期无逾期督办件。"))

    doc.add_paragraph()
    for text in (s["unit"]["name"], local_time(issued_at)[:10]):
        paragraph = doc.add_paragraph(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.right_indent = BODY_SIZE * 2
    add_colophon(doc, copies_to=head.copies_to, printed_by=head.printed_by, printed_on=head.printed_on)
    return docx_bytes(doc)


# ---------------------------------------------------------------- Excel


def bulletin_workbook(bulletin: Bulletin):
    with force_locale("zh_Hans_CN"):
        return _workbook(bulletin)


def _workbook(bulletin: Bulletin):
    s = bulletin.snapshot
    workbook = text_workbook()
    sheet = workbook.create_sheet(_("总体情况"))
    sheet.append([bulletin.title])
    sheet.append([cut_off_text(bulletin)])
    sheet.append([_("类别"), _("指标"), _("单位"), _("本期"), _("上期（%(p)s）", p=s["previous"]["label"]), _("增减")])
    for r in figure_rows(bulletin):
        sheet.append([r["area_label"], r["label"], r["unit"], r["value"], r["previous"], r["change"]])

    sheet = workbook.create_sheet(_("各单位"))
    keys = s["child_keys"]
    header = [_("单位")]
    for k in keys:
        header.append(s["figures"][k]["label"])
        if k in s["rank_keys"]:
            header.append(_("%(f)s名次", f=s["figures"][k]["label"]))
    sheet.append(header)
    for line in s["children"]:
        row = [line["name"]]
        for k in keys:
            row.append(line["values"].get(k))
            if k in s["rank_keys"]:
                row.append(line["ranks"].get(k) or None)
        sheet.append(row)

    sheet = workbook.create_sheet(_("澄清覆盖"))
    sheet.append([_("覆盖率（%）"), s["coverage"]["share"]])
    sheet.append([_("已覆盖"), "、".join(s["coverage"]["covered"])])
    sheet.append([_("未覆盖"), "、".join(s["coverage"]["uncovered"])])

    sheet = workbook.create_sheet(_("逾期未报"))
    sheet.append([_("通知"), _("期次"), _("应报日期"), _("单位"), _("逾期天数")])
    for r in s["late_returns"]:
        sheet.append([r["directive"], r["period_label"], r["due_on"], r["unit"], r["days_late"]])

    sheet = workbook.create_sheet(_("督办逾期"))
    sheet.append([_("编号"), _("类型"), _("事项"), _("督办对象"), _("期限"), _("超期天数")])
    for r in s["overdue_items"]:
        sheet.append([r["number"], r["kind"], r["title"], r["recipient"], r["due_on"], r["days_over"]])
    return workbook
