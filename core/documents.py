"""Word documents for official orders and notices, filled from the templates in
``core/document_templates`` (built by ``build_templates.py`` there).

Templates hold ``{{field}}`` placeholders anywhere (body, tables, headers, footers) and
repeating table rows: a table whose last row starts with ``{{rows:key}}`` gets that
row once per entry of ``tables[key]``.
"""
from __future__ import annotations

import copy
import io
import re
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docx.parts.hdrftr import FooterPart, HeaderPart
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from flask import Response, send_file

TEMPLATE_DIR = Path(__file__).parent / "document_templates"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
ROWS = "rows:"


def render_docx(template_name: str, fields: dict[str, str],
                tables: dict[str, list[list[str]]] | None = None) -> bytes:
    """Fill ``<template_name>.docx``; a placeholder or row template without a value
    (or a table key without a row template) raises KeyError naming them."""
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
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_response(data: bytes, filename: str) -> Response:
    """An attachment download; send_file writes the RFC 5987 ``filename*`` for non-ASCII names."""
    return send_file(io.BytesIO(data), mimetype=DOCX_MIMETYPE, as_attachment=True, download_name=filename)


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
    missing = {m.group(1) for m in matches if m.group(1) not in fields}
    if not matches or missing:
        return missing
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
