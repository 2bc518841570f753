"""Reading an uploaded spreadsheet (.xlsx) without letting it decide how much memory the reading takes.

An xlsx is a zip of XML parts. openpyxl streams a sheet's rows in read-only mode, but it still reads
the whole shared-strings table (every distinct text of the workbook), the styles and each row's cells
into memory, and the zip's sizes are whatever the file claims: a 2 MB file can expand to gigabytes.
So before openpyxl sees a file, ``inspect`` reads the zip's directory and refuses a file whose parts
are too many, expand too far (in total, or by a ratio no spreadsheet reaches), whose shared strings
are too large or too many, whose rows are more or larger than Excel's can be, or whose XML declares
a DOCTYPE (entities); zipfile never yields more than a part's declared size (and fails on a part that
would), so the declared sizes bound the reading. Every refusal says why, in Chinese. ``rows`` then
streams the first sheet with its columns and cells capped.

A CSV has no such directory: ``csv.reader`` builds a whole record (every field of it) before anyone can trim
it, so ``csv_rows`` hands it the decoded text a line at a time, each read with a hard cap, and refuses a record
longer, or with more delimiters, than a spreadsheet's row can have before the csv module sees it.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator

from flask_babel import gettext as _

from core.errors import InvalidInput

MAX_PARTS = 1_000  # an xlsx from Excel or WPS has a dozen; a few hundred with many sheets and pictures
MAX_EXPANDED = 1024 << 20  # all parts together once decompressed (a 200,000-row ledger is ~300 MB of XML)
MAX_RATIO = 100  # a sheet's XML compresses 10-30 times; a crafted part ~1,000 times
RATIO_FROM = 1 << 20  # parts smaller than this are not judged by their ratio (tiny parts compress oddly)
MAX_SHARED_STRINGS = 128 << 20  # the shared-strings XML, read whole by openpyxl
MAX_STRINGS = 2_000_000  # entries of that table (each one a Python string, however short)
MAX_PART = 16 << 20  # any other XML part but a sheet (openpyxl reads the workbook, styles, relationships whole)
# openpyxl builds each row (and each shared string) whole, and any other part too: no stretch of XML from
# one row's (or string's) start to the next holds more elements or bytes than Excel's largest row could.
MAX_ELEMENTS_PER_RECORD = 100_000  # a row of Excel's 16,384 cells has ~65,000
MAX_RECORD_BYTES = 32 << 20
MAX_SHEET_ROWS = 1_048_576  # Excel's own limit (openpyxl keeps an emptied element per row read)
MAX_COLUMNS = 256  # columns read; a ledger has a few dozen
MAX_CELL_CHARS = 32_767  # Excel's own limit on a cell's text
MAX_CSV_RECORD = 2 << 20  # characters of one CSV record (its lines together); a ledger's row has a few thousand
MAX_CSV_FIELDS = 16_384  # Excel's columns; counted as delimiters in the text (quoted commas count too)
_CHUNK = 1 << 20
_NAME = rb"<(?:[A-Za-z_][\w.-]{0,15}:)?"  # an element's start, with or without a namespace prefix
_STRING = re.compile(_NAME + rb"si[\s/>]")
_ROW = re.compile(_NAME + rb"row[\s/>]")
_ROOT = re.compile(rb"<[A-Za-z_]")
_OVERLAP = 24  # longer than any match above: a match cut by a chunk's end is found in the next one


def _refuse(message: str):
    raise InvalidInput({"file": [message]})


def _unreadable():
    _refuse(_("无法读取该 Excel 文件，请确认是 .xlsx 格式（.xls 请先另存为 .xlsx）"))


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[tuple[bytes, int]]:
    """A part read a chunk at a time (never whole): each buffer with the point up to which it is final. The
    last ``_OVERLAP`` bytes of a buffer start the next one, so a tag cut by a chunk's end is seen whole."""
    tail = b""
    with archive.open(info) as part:
        while True:
            chunk = part.read(_CHUNK)
            buffer = tail + chunk
            limit = max(len(buffer) - _OVERLAP, 0) if chunk else len(buffer)
            yield buffer, limit
            if not chunk:
                return
            tail = buffer[limit:]


def _elements(text: bytes) -> int:
    """Start tags in ``text`` (a ``<`` in text or attributes is always escaped; comments and CDATA, which
    a sheet does not have, only count more)."""
    return text.count(b"<") - text.count(b"</") - text.count(b"<?") - text.count(b"<!")


def _check_records(archive: zipfile.ZipFile, info: zipfile.ZipInfo, record: re.Pattern, most: int, too_many: str,
                   *, first_only: bool = False) -> None:
    """Count the part's records (a sheet's rows, the shared strings) up to ``most``, and the elements and bytes
    from each record's start to the next (before the first: the part's head; a part without records is all
    head). ``first_only``: up to the second record."""
    records = elements = size = 0

    def add(text: bytes) -> None:
        nonlocal elements, size
        elements, size = elements + _elements(text), size + len(text)
        if elements > MAX_ELEMENTS_PER_RECORD or size > MAX_RECORD_BYTES:
            where = _("“%(part)s”的第 %(n)s 处", part=info.filename, n=records) if records else f"“{info.filename}”"
            _refuse(_("文件中%(where)s内容超出 Excel 表格的上限，可能是恶意构造的文件，已拒绝", where=where))

    for buffer, limit in _chunks(archive, info):
        done = 0
        for match in record.finditer(buffer):
            if match.start() >= limit:
                break
            add(buffer[done:match.start()])
            records, elements, size, done = records + 1, 0, 0, match.start()
            if first_only and records > 1:
                return
            if records > most:
                _refuse(too_many)
        add(buffer[done:limit])


def _shared_strings(archive: zipfile.ZipFile) -> set[str]:
    """The parts openpyxl reads as the shared strings: named so, or so declared in the package's manifest."""
    names = {i.filename for i in archive.infolist() if i.filename.lower().rsplit("/", 1)[-1] == "sharedstrings.xml"}
    try:
        with archive.open("[Content_Types].xml") as manifest:
            declared = manifest.read(MAX_PART)
    except KeyError:
        return names
    for override in re.finditer(rb"<(?:\w+:)?Override\b[^>]*>", declared):
        name = re.search(rb'PartName="/?([^"]+)"', override.group())
        if name and b"sharedStrings+xml" in override.group():
            names.add(name.group(1).decode(errors="replace"))
    return names


def _check_prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """No DOCTYPE before the root element: spreadsheets never declare one; entities would expand."""
    with archive.open(info) as part:
        head = part.read(64 << 10)
    root = _ROOT.search(head)
    if head and (root is None or b"<!DOCTYPE" in head[:root.start()].upper()):
        _refuse(_("文件中含有 Excel 不会写入的 XML 声明（DOCTYPE），可能是恶意构造的文件，已拒绝"))


def inspect(data: bytes, *, cells: str = "all") -> None:
    """Refuse (InvalidInput, in Chinese) an xlsx that would cost too much to read. ``cells``: "all" checks the
    cells of every sheet's rows, "first" only the first row of each sheet (enough to read the titles)."""
    if data.count(b"PK\x01\x02") > MAX_PARTS:  # each part's directory entry starts so: counted before zipfile
        _refuse(_("文件包含的部件超过 %(n)s 个，不是正常的 Excel 表格，已拒绝", n=MAX_PARTS))  # lists them all
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        _unreadable()
    if sum(p.file_size for p in parts) > MAX_EXPANDED:
        _refuse(_("文件解压后超过 %(n)s MB，请把表格拆分后分别上传", n=MAX_EXPANDED >> 20))
    try:
        shared_strings = _shared_strings(archive)
        for part in parts:
            ratio = part.file_size / max(part.compress_size, 1)
            if part.file_size > RATIO_FROM and ratio > MAX_RATIO:
                _refuse(_("文件中的“%(part)s”解压后是压缩时的 %(ratio)s 倍，正常表格不会如此，疑似“压缩炸弹”，已拒绝",
                          part=part.filename, ratio=int(ratio)))
            if not part.filename.lower().endswith((".xml", ".rels")):
                continue  # pictures and binaries: openpyxl's read-only mode does not read them
            _check_prolog(archive, part)
            if part.filename in shared_strings:
                if part.file_size > MAX_SHARED_STRINGS:
                    _refuse(_("文件的共享字符串表解压后超过 %(n)s MB，请把表格拆分后分别上传",
                              n=MAX_SHARED_STRINGS >> 20))
                _check_records(archive, part, _STRING, MAX_STRINGS,
                               _("文件中不同的文字超过 %(n)s 条，请把表格拆分后分别上传", n=f"{MAX_STRINGS:,}"))
                continue
            if "/worksheets/" not in part.filename.lower() and part.file_size > MAX_PART:
                _refuse(_("文件中的“%(part)s”解压后超过 %(n)s MB，不是正常的 Excel 表格，已拒绝",
                          part=part.filename, n=MAX_PART >> 20))
            # Every other part as a sheet: a sheet may sit at any path the workbook's relationships name.
            _check_records(archive, part, _ROW, MAX_SHEET_ROWS,
                           _("表格超过 %(n)s 行（Excel 的上限），已拒绝", n=f"{MAX_SHEET_ROWS:,}"),
                           first_only=cells == "first")
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        _unreadable()  # a damaged part, a wrong checksum, a size that lies, an unknown compression


def check_cells(values, row: int) -> None:
    """A cell longer than Excel allows is refused (with where it is; never its content)."""
    for column, value in enumerate(values, start=1):
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            _refuse(_("第 %(row)s 行第 %(column)s 列的内容超过 %(n)s 个字（Excel 单元格的上限），已拒绝",
                      row=row, column=column, n=f"{MAX_CELL_CHARS:,}"))


def open_workbook(data: bytes, *, cells: str = "all"):
    """The workbook in openpyxl's read-only mode, once ``inspect`` let it through (the caller closes it)."""
    from openpyxl import load_workbook

    inspect(data, cells=cells)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except InvalidInput:
        raise
    except Exception:  # whatever openpyxl trips on in a damaged file
        _unreadable()


def rows(data: bytes) -> Iterator[list]:
    """Every row of the first sheet, title row included, one at a time: at most MAX_COLUMNS columns, no
    cell longer than Excel allows. Raises InvalidInput (in Chinese) for a file it refuses."""
    workbook = open_workbook(data)
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            values = list(values[:MAX_COLUMNS])
            check_cells(values, number)
            yield values
    finally:
        workbook.close()


def head(data: bytes) -> tuple[list, int]:
    """The first row of the first sheet and the rows below it as the sheet states them (0 if it states none):
    what an upload shows before any row is read."""
    workbook = open_workbook(data, cells="first")
    try:
        sheet = workbook.worksheets[0]
        first = list(next(sheet.iter_rows(max_row=1, values_only=True), ())[:MAX_COLUMNS])
        estimate = max((sheet.max_row or 1) - 1, 0)
    except Exception:  # a damaged sheet
        _unreadable()
    finally:
        workbook.close()
    check_cells(first, 1)
    return first, estimate


def csv_encoding(data: bytes) -> str | None:
    """UTF-8 (with or without BOM), else GB18030 (Excel on Chinese Windows saves CSV so), else None; checked
    in chunks so a large file is never decoded whole."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(data), _CHUNK):
                decoder.decode(data[start:start + _CHUNK])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def csv_rows(data: bytes, encoding: str | None = None) -> Iterator[list]:
    """Every record of a CSV file, title row included, one at a time: at most MAX_COLUMNS columns, no cell
    longer than Excel allows. A record is refused (InvalidInput, in Chinese) before the csv module builds it
    when its text is longer than MAX_CSV_RECORD or holds more than MAX_CSV_FIELDS delimiters."""
    encoding = encoding or csv_encoding(data)
    if encoding is None:
        _refuse(_("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK"))
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")  # decodes a chunk at a time
    record = {"number": 1, "chars": 0, "fields": 1}

    def lines() -> Iterator[str]:
        """The lines the csv module asks for, each read with a cap of what the current record has left."""
        while line := text.readline(MAX_CSV_RECORD - record["chars"] + 1):
            record["chars"] += len(line)
            record["fields"] += line.count(",")
            if record["chars"] > MAX_CSV_RECORD:
                _refuse(_("CSV 文件第 %(row)s 行超过 %(n)s 个字，不是正常的表格，已拒绝",
                          row=record["number"], n=f"{MAX_CSV_RECORD:,}"))
            if record["fields"] > MAX_CSV_FIELDS:
                _refuse(_("CSV 文件第 %(row)s 行超过 %(n)s 列（Excel 的上限），已拒绝",
                          row=record["number"], n=f"{MAX_CSV_FIELDS:,}"))
            yield line

    reader = csv.reader(lines())
    while True:
        try:
            values = next(reader, None)
        except csv.Error:  # an unpaired quote, a field beyond csv.field_size_limit, a NUL the module refuses
            _refuse(_("CSV 文件第 %(row)s 行无法读取（引号不成对或单元格过长），请在 Excel 中打开检查后另存再上传",
                      row=record["number"]))
        except UnicodeDecodeError:
            _refuse(_("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK"))
        if values is None:
            return
        check_cells(values, record["number"])
        yield values[:MAX_COLUMNS]
        record.update(number=record["number"] + 1, chars=0, fields=1)
