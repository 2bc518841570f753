"""A one-sheet xlsx written as a stream: each row's XML goes into the zip as it comes, nothing else is kept.

openpyxl's write-only mode streams too, but builds a cell object per value and serialises it through
lxml: 32 s for 100,000 rows of 18 columns on the 2-core machine, more than the whole export may take
(ops/bench/export_rows.py measures both). A ledger needs only text, numbers, dates and a bold title row,
so the sheet's XML is written here directly — inline strings (no shared-string table to hold in memory),
dates as serial numbers with a date format — and the rest of the package is fixed text. The files open in
Excel, WPS and LibreOffice, and openpyxl reads them back (the tests do).
"""
from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EPOCH = date(1899, 12, 30)  # Excel's day 0 in the 1900 date system (past its 1900-02-29 bug)
# Characters XML 1.0 forbids: dropped from a value rather than making a file Excel refuses to open.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Cell styles (their order in styles.xml's cellXfs): plain, date, date and time, bold title.
DATE, DATETIME, TITLE = 1, 2, 3

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    '</Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" '
    'Target="docProps/app.xml"/>'
    '</Relationships>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/>'
    '</Relationships>')
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font>'
    '<font><b/><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')
APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    '<Application>Qinglian</Application></Properties>')


def _core(created: datetime) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            '<dc:creator>Qinglian</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{created:%Y-%m-%dT%H:%M:%SZ}</dcterms:created>'
            '</cp:coreProperties>')


def _workbook(title: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{escape(title, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/></sheets>'
            '</workbook>')


def sheet_title(title: str) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of : \\ / ? * [ ]."""
    return re.sub(r"[:\\/?*\[\]]", " ", str(title)).strip()[:31] or "Sheet1"


class SheetWriter:
    """Rows into ``target`` (a file opened for binary writing) as one sheet; ``close()`` finishes the file.

    Memory: one row at a time; the zip's deflate stream keeps its window. Columns are as wide as the title
    row suggests (widths must come before the rows in the XML, so they cannot follow the data).
    """

    def __init__(self, target: IO[bytes], title: str, header: list, *, created: datetime | None = None):
        self._zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self._zip.writestr("[Content_Types].xml", CONTENT_TYPES)
        self._zip.writestr("_rels/.rels", ROOT_RELS)
        self._zip.writestr("docProps/app.xml", APP)
        self._zip.writestr("docProps/core.xml", _core(created or datetime.utcnow()))
        self._zip.writestr("xl/workbook.xml", _workbook(sheet_title(title)))
        self._zip.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        self._zip.writestr("xl/styles.xml", STYLES)
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._columns: list[str] = []
        self.rows = 0  # data rows written (the title row not counted)
        widths = "".join(f'<col min="{i}" max="{i}" width="{min(max(len(str(t)) * 2.2 + 2, 10), 40):.1f}" '
                         'customWidth="1"/>' for i, t in enumerate(header, start=1))
        self._put('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                  '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
                  'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                  f'<sheetFormatPr defaultRowHeight="15"/>{f"<cols>{widths}</cols>" if widths else ""}<sheetData>')
        self._row(1, header, TITLE)

    def _put(self, text: str) -> None:
        self._sheet.write(text.encode("utf-8"))

    def _letter(self, index: int) -> str:
        while len(self._columns) <= index:
            self._columns.append(get_column_letter(len(self._columns) + 1))
        return self._columns[index]

    def _row(self, number: int, values, style: int = 0) -> None:
        cells = []
        for index, value in enumerate(values):
            if value is None or value == "":
                continue
            ref = f"{self._letter(index)}{number}"
            if isinstance(value, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, (int, float, Decimal)):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif isinstance(value, datetime):
                moment = value.replace(tzinfo=None)
                serial = (moment.date() - EPOCH).days + (moment - datetime.combine(moment.date(), time())).seconds / 86400
                cells.append(f'<c r="{ref}" s="{DATETIME}"><v>{serial}</v></c>')
            elif isinstance(value, date):
                cells.append(f'<c r="{ref}" s="{DATE}"><v>{(value - EPOCH).days}</v></c>')
            else:
                text = _ILLEGAL.sub("", str(value))
                space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
                styled = f' s="{style}"' if style else ""
                cells.append(f'<c r="{ref}"{styled} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>')
        self._put(f'<row r="{number}">{"".join(cells)}</row>')

    def append(self, values) -> None:
        self.rows += 1
        self._row(self.rows + 1, values)

    def close(self) -> None:
        self._put("</sheetData></worksheet>")
        self._sheet.close()
        self._zip.close()
