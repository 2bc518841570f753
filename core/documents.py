"""Word documents for official orders and notices, filled from the templates in
``core/document_templates`` (built by ``build_templates.py`` there).

Templates hold ``{{field}}`` placeholders anywhere (body, tables, headers, footers) and
repeating table rows: a table whose last row starts with ``{{rows:key}}`` gets that
row once per entry of ``tables[key]``. ``{{?field}}`` is optional: empty or not given, the table row
(or else the paragraph) holding it is left out. The 版头 and 版记 (GB/T 9704) take their fields from a
``Letterhead``.

A document is saved with fixed zip timestamps (``docx_bytes``): the same document is the same bytes, so its
digest names it (core.renditions caches its PDF by that digest).
"""
from __future__ import annotations

import copy
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docx.parts.hdrftr import FooterPart, HeaderPart
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from flask import Response, send_file

TEMPLATE_DIR = Path(__file__).parent / "document_templates"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MIMETYPE = "application/pdf"
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
ROWS = "rows:"
OPTIONAL = "?"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the zip format's earliest: no clock in the bytes


@dataclass(frozen=True)
class Letterhead:
    """The 版头 and 版记 of an issued document: the issuing authority's mark (one line per organ), whom it is
    copied to (抄送; empty: no such line), the office that prints it and the printing date."""
    authority: str
    printed_by: str
    printed_on: str
    copies_to: str = ""

    def fields(self) -> dict[str, str]:
        return {"authority": self.authority, "printed_by": self.printed_by, "printed_on": self.printed_on,
                "copies_to": self.copies_to}


def cn_date(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else "—"


def letterhead(unit_name: str, unit_level: str, printed_on: date, *, copies_to: str = "") -> Letterhead:
    """The letterhead of a commission's document, by its unit's name and level: a township's 纪委 issues alone
    (中共城关镇纪律检查委员会); from the county up the 纪委 and the 监委 issue jointly, one line each, and the
    offices print (纪委监委办公室); a stationed group's name is its mark."""
    if unit_level == "stationed" or "纪" in unit_name:
        authority, printed_by = unit_name, unit_name
    elif unit_level == "township":
        authority, printed_by = f"中共{unit_name}纪律检查委员会", f"中共{unit_name}纪律检查委员会"
    else:
        authority, printed_by = f"中共{unit_name}纪律检查委员会\n{unit_name}监察委员会", f"{unit_name}纪委监委办公室"
    return Letterhead(authority=authority, printed_by=printed_by, printed_on=cn_date(printed_on),
                      copies_to=copies_to)


def render_docx(template_name: str, fields: dict[str, str],
                tables: dict[str, list[list[str]]] | None = None, letterhead: Letterhead | None = None) -> bytes:
    """Fill ``<template_name>.docx``; a placeholder or row template without a value
    (or a table key without a row template) raises KeyError naming them. Without a ``letterhead`` the issuer
    is its own mark and printing office, on the issuing date, copied to nobody."""
    fields = {**_default_letterhead(fields), **(letterhead.fields() if letterhead else {}), **fields}
    document = Document(str(TEMPLATE_DIR / f"{template_name}.docx"))
    roots = [document.element.body] + [part.element for part in document.part.package.iter_parts()
                                       if isinstance(part, (HeaderPart, FooterPart))]
    missing: set[str] = set()
    for root in roots:
        for p in list(root.iter(qn("w:p"))):
            missing |= _fill_paragraph(Paragraph(p, None), fields)
    tables = tables or {}
    unused = set(tables)
    for root in roots:
        for tbl in list(root.iter(qn("w:tbl"))):
            key = _row_template_key(tbl)
            if key is None:
                continue
            if key not in tables:
                missing.add(ROWS + key)
                continue
            _expand_rows(tbl, tables[key])
            unused.discard(key)
    missing |= {ROWS + key for key in unused}
    if missing:
        raise KeyError(f"{template_name}: no value or no template for {', '.join(sorted(missing))}")
    return docx_bytes(document)


def _default_letterhead(fields: dict[str, str]) -> dict[str, str]:
    issuer = fields.get("issuer", "")
    return {"authority": issuer, "printed_by": issuer, "printed_on": fields.get("issued_on", ""), "copies_to": ""}


def docx_bytes(document) -> bytes:
    """The document saved, its zip entries stamped with a fixed time and written in a fixed order: the same
    content, the same bytes (python-docx stamps the clock)."""
    out = io.BytesIO()
    document.save(out)
    out.seek(0)
    fixed = io.BytesIO()
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            entry = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME)
            entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, item.external_attr
            target.writestr(entry, source.read(item.filename))
    return fixed.getvalue()


def docx_response(data: bytes, filename: str) -> Response:
    """An attachment download; send_file writes the RFC 5987 ``filename*`` for non-ASCII names."""
    return send_file(io.BytesIO(data), mimetype=DOCX_MIMETYPE, as_attachment=True, download_name=filename)


def pdf_response(data: bytes, filename: str) -> Response:
    return send_file(io.BytesIO(data), mimetype=PDF_MIMETYPE, as_attachment=True, download_name=filename)


def workbook_response(workbook, filename: str) -> Response:
    """Send an openpyxl workbook (write-only mode: rows already streamed) as an .xlsx download.
    Spooled: small files stay in memory, large ones go to a temporary file, never both."""
    import tempfile

    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(spool)
    spool.seek(0)
    return send_file(spool, as_attachment=True, download_name=filename,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _fill_paragraph(paragraph: Paragraph, fields: dict[str, str]) -> set[str]:
    """Replace the paragraph's placeholders in place and return the unknown names.

    Word splits text into runs at will (spell check, edits), so a placeholder can span
    runs: its runs are merged into the first one, whose formatting the value keeps,
    and the rest of the paragraph is left untouched.
    """
    runs = paragraph.runs
    texts = [run.text for run in runs]
    full = "".join(texts)
    matches = [m for m in PLACEHOLDER.finditer(full) if not m.group(1).startswith(ROWS)]
    missing = {m.group(1) for m in matches if m.group(1) not in fields and not m.group(1).startswith(OPTIONAL)}
    if not matches or missing:
        return missing
    optional = [m.group(1)[1:] for m in matches if m.group(1).startswith(OPTIONAL)]
    if any(not fields.get(name) for name in optional):
        _leave_out(paragraph._p)
        return set()
    fields = {**fields, **{OPTIONAL + name: fields[name] for name in optional}}
    original = list(texts)
    owner = [i for i, text in enumerate(texts) for _ in text]
    start = [0]
    for text in texts:
        start.append(start[-1] + len(text))
    # Right to left, so the offsets of the earlier matches stay valid.
    for m in reversed(matches):
        first, last = owner[m.start()], owner[m.end() - 1]
        tail = texts[last][m.end() - start[last]:]
        texts[first] = texts[first][:m.start() - start[first]] + fields[m.group(1)]
        for i in range(first + 1, last + 1):
            texts[i] = ""
        texts[last] += tail
    for run, old, new in zip(runs, original, texts):
        if new == old:
            continue
        if new:
            run.text = new
        else:
            run._r.getparent().remove(run._r)
    return set()


def _leave_out(p) -> None:
    """An optional line without its value: its table row, or else the paragraph itself."""
    row = next((a for a in p.iterancestors(qn("w:tr"))), None)
    target = row if row is not None else p
    if target.getparent() is not None:
        target.getparent().remove(target)


def _row_template_key(tbl) -> str | None:
    rows = tbl.tr_lst
    cells = rows[-1].tc_lst if rows else []
    if not cells:
        return None
    m = PLACEHOLDER.search(_Cell(cells[0], None).text)
    return m.group(1)[len(ROWS):] if m and m.group(1).startswith(ROWS) else None


def _expand_rows(tbl, entries: list[list[str]]) -> None:
    template = tbl.tr_lst[-1]
    for entry in entries:
        row = copy.deepcopy(template)
        cells = row.tc_lst
        if len(entry) > len(cells):
            raise ValueError(f"row of {len(entry)} values for a table of {len(cells)} columns: {entry!r}")
        for tc, text in zip(cells, list(entry) + [""] * (len(cells) - len(entry))):
            _set_cell_text(_Cell(tc, None), text)
        template.addprevious(row)
    tbl.remove(template)


def _set_cell_text(cell: _Cell, text: str) -> None:
    """Keep the cell's first paragraph and run (their formatting), drop the rest."""
    first, *others = cell.paragraphs
    for paragraph in others:
        paragraph._p.getparent().remove(paragraph._p)
    run, *extra = first.runs or [first.add_run()]
    for r in extra:
        r._r.getparent().remove(r._r)
    run.text = text


class _TextSheet:
    """A write-only sheet whose strings are always text: a value that begins with "=" (an address taken from a
    header, a name typed into a form) must never become a live formula in a file someone opens."""

    def __init__(self, sheet):
        self._sheet = sheet

    def append(self, values) -> None:
        from openpyxl.cell import WriteOnlyCell

        row = []
        for value in values:
            if isinstance(value, str):
                value = WriteOnlyCell(self._sheet, value=value)
                value.data_type = "s"  # openpyxl marks "=…" as a formula
            row.append(value)
        self._sheet.append(row)

    def __getattr__(self, name):
        return getattr(self._sheet, name)


def text_workbook():
    """An openpyxl write-only workbook for exports: every sheet it creates writes strings as text only."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    create_sheet = workbook.create_sheet
    workbook.create_sheet = lambda *args, **kwargs: _TextSheet(create_sheet(*args, **kwargs))
    return workbook
