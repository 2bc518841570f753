"""What a file is, from its first bytes (magic numbers), never from its name: the kinds an office files.

A name's extension only says what the uploader claims; the content must agree with it (a ``.pdf`` that is a
Word file is refused). Each kind belongs to a size class (pdf, image, office, audio, video) whose limit the
environment sets (core/config.py ``ATTACHMENT_LIMITS``). No libmagic: the few formats are sniffed here.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

SNIFF_BYTES = 1 << 20  # the first segment: enough for a zip's first entries (docx/xlsx) and every magic below


@dataclass(frozen=True)
class Kind:
    code: str
    label: object
    mime: str
    size_class: str
    extensions: tuple[str, ...]
    preview: bool = False  # shown in the page (images a browser draws, PDFs)


KINDS = {kind.code: kind for kind in (
    Kind("pdf", _l("PDF 文档"), "application/pdf", "pdf", ("pdf",), preview=True),
    Kind("jpeg", _l("图片"), "image/jpeg", "image", ("jpg", "jpeg"), preview=True),
    Kind("png", _l("图片"), "image/png", "image", ("png",), preview=True),
    Kind("tiff", _l("图片"), "image/tiff", "image", ("tif", "tiff")),
    Kind("docx", _l("Word 文档"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "office",
         ("docx",)),
    Kind("xlsx", _l("Excel 表格"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "office",
         ("xlsx",)),
    Kind("doc", _l("Word 文档"), "application/msword", "office", ("doc",)),
    Kind("xls", _l("Excel 表格"), "application/vnd.ms-excel", "office", ("xls",)),
    Kind("mp3", _l("音频"), "audio/mpeg", "audio", ("mp3",)),
    Kind("m4a", _l("音频"), "audio/mp4", "audio", ("m4a",)),
    Kind("wav", _l("音频"), "audio/wav", "audio", ("wav",)),
    Kind("amr", _l("录音"), "audio/amr", "audio", ("amr",)),
    Kind("mp4", _l("视频"), "video/mp4", "video", ("mp4", "m4v")),
    Kind("mov", _l("视频"), "video/quicktime", "video", ("mov",)),
    Kind("avi", _l("视频"), "video/x-msvideo", "video", ("avi",)),
)}
BY_EXTENSION = {ext: kind for kind in KINDS.values() for ext in kind.extensions}
# A 97-2003 file is an OLE2 compound document: Word's and Excel's differ by the streams inside, which may lie
# beyond the first segment; then the name decides between the two (the content is still an Office file).
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ISO_BRANDS = {b"M4A ": "m4a", b"M4B ": "m4a", b"qt  ": "mov"}
MP3_FRAME = {b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\xff\xfa", b"\xff\xe3"}


def sniff(head: bytes, claimed_extension: str = "") -> str | None:
    """The kind code of content starting with ``head`` (its first segment), or None for a kind not accepted."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith(b"PK\x03\x04"):
        if b"word/" in head:
            return "docx"
        if b"xl/" in head:
            return "xlsx"
        return None
    if head.startswith(OLE2):
        if "WordDocument".encode("utf-16-le") in head:
            return "doc"
        if "Workbook".encode("utf-16-le") in head or "Book".encode("utf-16-le") in head:
            return "xls"
        return claimed_extension if claimed_extension in ("doc", "xls") else "doc"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith(b"#!AMR"):
        return "amr"
    if head[4:8] == b"ftyp":
        return ISO_BRANDS.get(head[8:12], "mp4")
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):  # an old QuickTime file without ftyp
        return "mov"
    if head.startswith(b"ID3") or head[:2] in MP3_FRAME:
        return "mp3"
    return None


def extension_of(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return name.rsplit(".", 1)[1].lower() if "." in name else ""


def agrees(claimed_extension: str, kind: str) -> bool:
    """Does the content's kind answer the name's claim (no extension claims nothing)? An mp4 named .m4a is
    audio in an MP4 box: the same container, accepted."""
    if not claimed_extension:
        return True
    claimed = BY_EXTENSION.get(claimed_extension)
    if claimed is None:
        return False
    return claimed.code == kind or {claimed.code, kind} <= {"mp4", "m4a", "mov"}
