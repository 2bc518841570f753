"""Every write of attachments, and the one way a stored file is read back.

Upload: the content is read a segment at a time, its kind sniffed from the first bytes, its size held to its
kind's limit, its SM3 digest taken, and it is sealed (core.crypto.seal_stream: SM4-GCM with the field key,
bound to the row) into a hidden partial file that becomes the stored file only when all of it went in; any
refusal or error removes the partial file, and a transaction that rolls back removes the stored file, so
nothing is ever half-stored. Download and preview open the sealed file, authenticate every segment and compare
the digest: a mismatch is refused and audited. Nothing is deleted: archive keeps the file, with a reason.
"""
from __future__ import annotations

import os
import queue
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_request_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import crypto
from core.attachments.kinds import BY_EXTENSION, KINDS, agrees, extension_of, sniff
from core.attachments.models import Attachment
from core.attachments.registry import attachable_of
from core.audit.operations import record
from core.clock import utcnow
from core.errors import InvalidInput
from core import parameters
from core.extensions import db
from tenants.models import Unit

MAX_FILENAME = 200
MAX_REASON = 500
# Files up to this size are checked whole before the first byte leaves (a damaged one gets a clear refusal);
# larger ones (videos) stream with each segment authenticated before it is sent and the digest at the end.
VERIFY_FIRST_BYTES = 64 * 1024 * 1024
_STORED = "qinglian.attachments_stored"  # Session.info: files stored by the open transaction


class Digest:
    """The SM3 digest of a stream, taken in a thread of its own while the caller seals or unseals (hashlib
    hashes without the interpreter's lock): the two halves of the work overlap. At most ``DEPTH`` segments wait."""
    DEPTH = 4

    def __init__(self):
        self._hasher = crypto.sm3_hasher()
        self._queue: queue.Queue = queue.Queue(self.DEPTH)
        self._thread = threading.Thread(target=self._run, name="attachment-digest", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self._hasher.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def hexdigest(self) -> str:
        self._queue.put(None)
        self._thread.join()
        return self._hasher.hexdigest()

    def close(self) -> None:
        """Stop the thread of a stream given up half-way."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()


class Damaged(Exception):
    """A stored file that does not open to what was uploaded (altered, replaced, missing)."""


# ---------------------------------------------------------------- storage


def storage_root() -> Path:
    return Path(current_app.config["ATTACHMENTS_DIR"])


def stored_path(storage_key: str) -> Path:
    return storage_root() / storage_key[:2] / f"{storage_key}.sealed"


@event.listens_for(Session, "after_commit")
def _keep_stored(session) -> None:
    session.info.pop(_STORED, None)


@event.listens_for(Session, "after_soft_rollback")
def _remove_stored(session, previous_transaction) -> None:
    """The row did not persist: neither does its file."""
    if previous_transaction.parent is None:
        for path in session.info.pop(_STORED, []):
            Path(path).unlink(missing_ok=True)


# ---------------------------------------------------------------- upload


def _refuse(message: str) -> InvalidInput:
    return InvalidInput({"file": [message]})


def clean_filename(filename: str | None) -> str:
    """The name as given, without a client's folders or control characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in name if c.isprintable()).strip()


def _size_label(limit: int) -> str:
    return f"{limit // (1024 * 1024 * 1024)} GB" if limit % (1024 ** 3) == 0 else f"{limit // (1024 * 1024)} MB"


def upload_all(record_obj, files, *, acting_unit: Unit, informant: bool = False) -> list[Attachment]:
    """Every uploaded file (werkzeug ``FileStorage``s; those without a name are the form's empty slot) stored
    as a file of ``record_obj``. One refused: InvalidInput, and none is kept (the request rolls back, and the
    files it stored with it)."""
    files = [f for f in files if f.filename]
    if not files:
        raise InvalidInput({"file": [_("请选择要上传的文件")]})
    return [upload(record_obj, f.stream, f.filename, acting_unit=acting_unit, informant=informant) for f in files]


def upload(record_obj, stream, filename: str | None, *, acting_unit: Unit, informant: bool = False,
           account=None) -> Attachment:
    """Store ``stream`` (a readable binary file) as a file of ``record_obj``, sealed; the row, audited.

    Refused (InvalidInput, nothing stored): no name or a name too long, an informant mark on a record without
    informants, an empty file, content of no accepted kind or not of the kind its name claims, a file over its
    kind's limit. The caller has checked that the account may attach here (core.attachments.queries)."""
    entry = attachable_of(record_obj)
    if entry is None:
        raise ValueError(f"{type(record_obj).__name__} is not attachable")
    account = account if account is not None else (current_user if has_request_context() else None)
    name = clean_filename(filename)
    if not name:
        raise _refuse(_("请选择要上传的文件"))
    if len(name) > MAX_FILENAME:
        raise _refuse(_("文件名不能超过 %(n)s 个字", n=MAX_FILENAME))
    if informant and not entry.informant:
        raise _refuse(_("此类记录的附件不涉及举报人"))
    claimed = extension_of(name)
    if claimed and claimed not in BY_EXTENSION:
        raise _refuse(_("“%(name)s”不是可上传的文件类型（可上传 PDF、图片、Word/Excel、音频、视频）", name=name))
    attachment = Attachment(
        unit_id=record_obj.unit_id, unit_path=_unit_path(record_obj), object_type=entry.key, object_id=record_obj.id,
        counterpart_unit_id=entry.counterpart_of(record_obj), filename=name, kind="", size=0, sm3="",
        storage_key=secrets.token_hex(16), informant=bool(informant), uploaded_in_unit_id=acting_unit.id,
        uploaded_by_id=getattr(account, "id", None), uploaded_at=utcnow())
    digest, seen = Digest(), {"kind": None, "size": 0, "limit": 0}

    def check(chunk: bytes) -> None:
        if seen["kind"] is None:
            if not chunk:
                raise _refuse(_("“%(name)s”是空文件", name=name))
            kind = sniff(chunk, claimed)
            if kind is None:
                raise _refuse(_("“%(name)s”的内容不是可上传的文件类型（可上传 PDF、图片、Word/Excel、音频、视频）",
                                name=name))
            if not agrees(claimed, kind):
                raise _refuse(_("“%(name)s”的内容是%(kind)s，与文件扩展名不符", name=name, kind=KINDS[kind].label))
            seen["kind"], seen["limit"] = kind, parameters.attachment_limit(KINDS[kind].size_class)
        seen["size"] += len(chunk)
        if seen["size"] > seen["limit"]:
            raise _refuse(_("“%(name)s”超过%(kind)s的大小上限 %(limit)s", name=name, kind=KINDS[seen["kind"]].label,
                            limit=_size_label(seen["limit"])))
        digest.update(chunk)

    target = stored_path(attachment.storage_key)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{attachment.storage_key}.partial")
    try:
        with open(partial, "xb") as sink:
            crypto.seal_stream(stream, sink, attachment.associated, on_chunk=check)
            sink.flush()
            os.fsync(sink.fileno())
        attachment.kind, attachment.size, attachment.sm3 = seen["kind"], seen["size"], digest.hexdigest()
        os.replace(partial, target)
    except BaseException:
        digest.close()
        partial.unlink(missing_ok=True)
        raise
    db.session.info.setdefault(_STORED, []).append(str(target))
    db.session.add(attachment)
    db.session.flush()
    record("attachment.upload", unit_id=attachment.unit_id, object_type="attachments", object_id=attachment.id,
           account=account, detail={"record_type": attachment.object_type, "record_id": attachment.object_id,
                                    "size": attachment.size, "informant": attachment.informant})
    return attachment


def _unit_path(record_obj) -> str:
    path = getattr(record_obj, "unit_path", None)
    return path if path else db.session.get(Unit, record_obj.unit_id).path


# ---------------------------------------------------------------- archive and reveal


def _reason(reason: str | None, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [message]})
    if len(reason) > MAX_REASON:
        raise InvalidInput({"reason": [_("理由不能超过 %(n)s 个字", n=MAX_REASON)]})
    return reason


def archive(attachment: Attachment, reason: str | None, *, account=None) -> Attachment:
    """Take a file off the record's list, kept stored (nothing is deleted), with the reason audited."""
    reason = _reason(reason, _("归档附件须填写理由"))
    if attachment.archived_at is not None:
        raise InvalidInput({"_schema": [_("该附件已归档")]})
    account = account if account is not None else (current_user if has_request_context() else None)
    attachment.archived_at, attachment.archived_by_id, attachment.archive_reason = (
        utcnow(), getattr(account, "id", None), reason)
    record("attachment.archive", unit_id=attachment.unit_id, object_type="attachments", object_id=attachment.id,
           account=account, detail={"reason": reason})
    return attachment


def reveal(attachment: Attachment, reason: str | None) -> None:
    """An informant-identifying file opened to intake or a leader: the reason audited (the caller checked
    ``Action.INFORMANT_REVEAL`` at the owning unit)."""
    reason = _reason(reason, _("查看涉及举报人的附件须填写事由"))
    record("attachment.informant_reveal", unit_id=attachment.unit_id, object_type="attachments",
           object_id=attachment.id, detail={"reason": reason, "record_type": attachment.object_type,
                                            "record_id": attachment.object_id})


# ---------------------------------------------------------------- reading back


@dataclass(frozen=True)
class Stored:
    """What reading a file back needs, taken from its row before the answer streams (the request's session
    commits and closes while the file is still being sent)."""
    id: int
    unit_id: int
    object_type: str
    object_id: int
    storage_key: str
    associated: bytes
    size: int
    sm3: str

    @classmethod
    def of(cls, attachment: Attachment) -> "Stored":
        return cls(attachment.id, attachment.unit_id, attachment.object_type, attachment.object_id,
                   attachment.storage_key, attachment.associated, attachment.size, attachment.sm3)


def _segments(stored: Stored) -> Iterator[bytes]:
    """The plain file, each segment authenticated; at the end the digest compared. Damaged on any failure."""
    path = stored_path(stored.storage_key)
    try:
        source = open(path, "rb")
    except OSError as exc:
        raise Damaged("missing") from exc
    digest, size = Digest(), 0
    try:
        with source:
            try:
                for segment in crypto.unseal_stream(source, stored.associated):
                    digest.update(segment)
                    size += len(segment)
                    yield segment
            except crypto.DecryptionError as exc:
                raise Damaged("altered") from exc
        if size != stored.size or not crypto.constant_time_equal(digest.hexdigest(), stored.sm3):
            raise Damaged("digest")
    finally:
        digest.close()


def damaged(stored: Stored, why: str, purpose: str) -> None:
    """Audit a refused file in a transaction of its own (the request's answer is an error and rolls back)."""
    db.session.rollback()
    record("attachment.damaged", outcome="failed", unit_id=stored.unit_id, object_type="attachments",
           object_id=stored.id, detail={"status": why, "method": purpose})
    db.session.commit()


def read(attachment: Attachment, purpose: str = "download") -> Iterator[bytes]:
    """The plain file for a download or a preview (audited as such), in segments.

    A file up to ``VERIFY_FIRST_BYTES`` is checked whole first: a damaged one raises Damaged before anything
    is sent (audited). A larger one is checked as it goes: a damaged segment, or a digest that differs at the
    end, stops the answer there (audited); what was sent was authenticated."""
    stored = Stored.of(attachment)
    record(f"attachment.{purpose}", unit_id=stored.unit_id, object_type="attachments", object_id=stored.id,
           detail={"record_type": stored.object_type, "record_id": stored.object_id})
    if stored.size <= VERIFY_FIRST_BYTES:
        try:
            for _segment in _segments(stored):
                pass
        except Damaged as exc:
            damaged(stored, str(exc), purpose)
            raise
        return _checked_as_it_goes(stored, None, _segments(stored), purpose)
    segments = _segments(stored)
    try:
        first = next(segments)
    except Damaged as exc:
        damaged(stored, str(exc), purpose)
        raise
    return _checked_as_it_goes(stored, first, segments, purpose)


def _checked_as_it_goes(stored: Stored, first: bytes | None, segments: Iterator[bytes],
                        purpose: str) -> Iterator[bytes]:
    """The segments after the first (already taken, or None), each authenticated; a failure is audited and ends
    the answer (for a file checked whole first: one changed on disk meanwhile)."""
    if first is not None:
        yield first
    try:
        yield from segments
    except Damaged as exc:
        damaged(stored, str(exc), purpose)
        raise


def read_all(attachment: Attachment, purpose: str = "download") -> bytes:
    """The whole plain file (tests, small files only)."""
    return b"".join(read(attachment, purpose))
