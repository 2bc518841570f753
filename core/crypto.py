"""Commercial cryptography (GB/T 39786): SM3 digests and SM4-GCM field encryption.

Keys come from configuration as ``keyid:hex[,keyid:hex...]``; the first key encrypts,
every listed key decrypts, so keys rotate by putting a new one first. Ciphertext is
``keyid$base64(nonce|ciphertext|tag)`` and always carries associated data that binds it
to its record (e.g. ``"account:12:totp"``), so a value copied onto another row fails.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import unicodedata
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from flask import current_app


class DecryptionError(ValueError):
    pass


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def sm3_hasher():
    """An SM3 digest fed piece by piece (``update``, then ``hexdigest()``): a file streamed through. OpenSSL's,
    through hashlib, which lets other threads run while it hashes (the sealing goes on meanwhile)."""
    return hashlib.new("sm3")


def hmac_sm3_hex(key: bytes, data: bytes) -> str:
    from cryptography.hazmat.primitives import hmac as crypto_hmac

    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize().hex()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def parse_keyring(spec: str) -> list[tuple[str, bytes]]:
    ring = []
    for part in spec.split(","):
        kid, _, hexkey = part.strip().partition(":")
        key = bytes.fromhex(hexkey)
        if not kid or len(key) != 16:
            raise ValueError("each field key must be 'id:32 hex digits' (SM4 uses 128-bit keys)")
        ring.append((kid, key))
    if not ring:
        raise ValueError("no field-encryption key configured")
    return ring


def _keyring() -> list[tuple[str, bytes]]:
    ext = current_app.extensions
    if "qinglian_keyring" not in ext:
        ext["qinglian_keyring"] = parse_keyring(current_app.config["FIELD_KEYS"])
    return ext["qinglian_keyring"]


def encrypt_field(plaintext: str, associated: str) -> str:
    kid, key = _keyring()[0]
    nonce = os.urandom(12)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(associated.encode())
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    return f"{kid}${base64.b64encode(nonce + body + encryptor.tag).decode()}"


def decrypt_field(token: str, associated: str) -> str:
    kid, _, payload = token.partition("$")
    keys = dict(_keyring())
    if kid not in keys:
        raise DecryptionError(f"unknown key id {kid!r}")
    raw = base64.b64decode(payload)
    nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
    decryptor = Cipher(algorithms.SM4(keys[kid]), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(associated.encode())
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode()
    except InvalidTag as exc:
        raise DecryptionError("ciphertext does not belong to this record or key") from exc


class UnknownKey(DecryptionError):
    """Sealed with a key no longer in the keyring (rotated out)."""


FILE_CHUNK = 1 << 20  # bytes sealed at a time


def seal_file(source: bytes | IO[bytes], associated: bytes) -> bytes:
    """SM4-GCM of a whole file (an upload, an export) with the current field key, read a megabyte at a time
    when given a file: a sheet of cases or informants must not lie in the database in plain text.
    Layout: key id, '$', nonce, ciphertext, tag."""
    kid, key = _keyring()[0]
    nonce = os.urandom(12)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(associated)
    parts = [kid.encode(), b"$", nonce]
    if isinstance(source, (bytes, bytearray, memoryview)):
        parts.append(encryptor.update(bytes(source)))
    else:
        while chunk := source.read(FILE_CHUNK):
            parts.append(encryptor.update(chunk))
    parts += [encryptor.finalize(), encryptor.tag]
    return b"".join(parts)


def unseal_file(blob: bytes, associated: bytes) -> bytes:
    """The file ``seal_file`` sealed; UnknownKey or DecryptionError (tampered, or another record's)."""
    kid, _sep, raw = bytes(blob).partition(b"$")
    keys = dict(_keyring())
    if kid.decode() not in keys:
        raise UnknownKey(f"unknown key id {kid.decode()!r}")
    nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
    decryptor = Cipher(algorithms.SM4(keys[kid.decode()]), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(associated)
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag as exc:
        raise DecryptionError("sealed file does not belong to this record or key") from exc


# A stream sealed in segments, so neither end holds the file: each megabyte is its own SM4-GCM message under
# the current field key, its nonce the stream's random prefix and the segment's number, its associated data
# the record's plus that number and whether it is the last (segments cannot be dropped, cut or reordered).
# Layout: key id, '$', STREAM_MAGIC, 8-byte nonce prefix, then each segment's ciphertext and 16-byte tag.
STREAM_MAGIC = b"QLS1"


def _segment(key: bytes, prefix: bytes, index: int, associated: bytes, last: bool, tag: bytes | None = None):
    mode = modes.GCM(prefix + index.to_bytes(4, "big"), tag)
    cipher = Cipher(algorithms.SM4(key), mode)
    worker = cipher.encryptor() if tag is None else cipher.decryptor()
    worker.authenticate_additional_data(associated + b"|" + index.to_bytes(8, "big") + (b"\x01" if last else b"\x00"))
    return worker


def _read_full(source: IO[bytes], size: int) -> bytes:
    """``size`` bytes, fewer only at the end (a socket or pipe may answer a read with less)."""
    parts, wanted = [], size
    while wanted:
        part = source.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def seal_stream(source: IO[bytes], sink: IO[bytes], associated: bytes, on_chunk=None) -> int:
    """Seal ``source`` into ``sink`` a segment at a time (memory: two segments whatever the size); ``on_chunk``
    sees each plain segment first (digest, sniffing, a size limit: it raises to stop). The plain size."""
    kid, key = _keyring()[0]
    prefix = os.urandom(8)
    sink.write(kid.encode() + b"$" + STREAM_MAGIC + prefix)
    size, index, chunk = 0, 0, _read_full(source, FILE_CHUNK)
    while True:
        following = _read_full(source, FILE_CHUNK) if len(chunk) == FILE_CHUNK else b""
        last = not following
        if on_chunk is not None:
            on_chunk(chunk)
        worker = _segment(key, prefix, index, associated, last)
        sink.write(worker.update(chunk) + worker.finalize() + worker.tag)
        size, index, chunk = size + len(chunk), index + 1, following
        if last:
            return size


def unseal_stream(source: IO[bytes], associated: bytes):
    """The plain segments of a ``seal_stream`` file, each authenticated before it is given: UnknownKey, or
    DecryptionError at the first tampered, missing or foreign segment (nothing of it is given)."""
    head = _read_full(source, 64)
    kid, sep, rest = head.partition(b"$")
    if not sep or not rest.startswith(STREAM_MAGIC) or len(rest) < len(STREAM_MAGIC) + 8:
        raise DecryptionError("not a sealed stream")
    keys = dict(_keyring())
    if kid.decode(errors="replace") not in keys:
        raise UnknownKey(f"unknown key id {kid.decode(errors='replace')!r}")
    key, prefix = keys[kid.decode()], rest[len(STREAM_MAGIC):len(STREAM_MAGIC) + 8]
    pending = rest[len(STREAM_MAGIC) + 8:]
    segment_size, index = FILE_CHUNK + 16, 0
    block = pending + _read_full(source, segment_size - len(pending))
    while True:
        following = _read_full(source, segment_size) if len(block) == segment_size else b""
        last = not following
        if len(block) < 16:
            raise DecryptionError("sealed stream cut short")
        worker = _segment(key, prefix, index, associated, last, tag=block[-16:])
        try:
            plain = worker.update(block[:-16]) + worker.finalize()
        except InvalidTag as exc:
            raise DecryptionError("sealed stream does not belong to this record or key, or was altered") from exc
        yield plain
        if last:
            return
        block, index = following, index + 1



# ---------------------------------------------------------------- personal data sealed in model columns


def normalized(text: str | None) -> str:
    """A name or work unit as matching compares it: width-folded (NFKC), no spaces, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).lower()


def match_key(kind: str, *parts: str | None) -> str:
    """HMAC-SM3 under MATCHING_KEY of the normalised parts: equal for the same person in any unit, so exact
    search and repeat matching work on sealed columns, and useless without the key (a dump confirms no guess)."""
    basis = "\x1f".join(normalized(p) for p in parts)
    return hmac_sm3_hex(current_app.config["MATCHING_KEY"].encode(), f"{kind}:{basis}".encode())


def person_key(name: str, work_unit: str) -> str:
    """The same person across petitions and clearing cases of the whole tree: name and work unit, keyed."""
    return match_key("person", name, work_unit)


def name_key(name: str) -> str:
    """The name alone, keyed: the exact-name search of the lists."""
    return match_key("name", name)


def row_associated(table: str, unit_id: int, row_id: int, field: str) -> str:
    """The associated data of a sealed column: table, unit and id of its row, and the field."""
    return f"{table}:{unit_id}:{row_id}:{field}"


class Sealed:
    """A model attribute of personal data sealed at rest (DESIGN §5): it reads and writes plain text, and its
    mapped column ``column`` holds SM4-GCM ciphertext bound to the row's table, unit and id ("" when empty).

    A row not yet inserted has no id: the value waits on the object and is sealed by the INSERT's
    after_insert hook (``seal_pending``), in the same flush. The class attribute is no SQL expression on
    purpose: search and matching go through keyed hashes (``match_key``), never the sealed column."""

    def __init__(self, column: str):
        self.column = column

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def _associated(self, obj) -> str:
        return row_associated(obj.__tablename__, obj.unit_id, obj.id, self.name)

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        pending = obj.__dict__.get("_sealed_pending") or {}
        if self.name in pending:
            return pending[self.name]
        token = getattr(obj, self.column)
        if not token:
            return ""
        cache = obj.__dict__.setdefault("_sealed_cache", {})
        hit = cache.get(self.name)
        if hit is None or hit[0] != token:
            hit = cache[self.name] = (token, decrypt_field(token, self._associated(obj)))
        return hit[1]

    def __set__(self, obj, value) -> None:
        value = "" if value is None else str(value)
        if obj.id is None or obj.unit_id is None:
            obj.__dict__.setdefault("_sealed_pending", {})[self.name] = value
            setattr(obj, self.column, "")
        else:
            self.seal(obj, value)

    def seal(self, obj, value: str) -> str:
        """Seal ``value`` into the column (the row's id and unit known); returns the stored token."""
        token = encrypt_field(value, self._associated(obj)) if value else ""
        setattr(obj, self.column, token)
        obj.__dict__.setdefault("_sealed_cache", {})[self.name] = (token, value)
        return token


def sealed_fields(model) -> dict[str, Sealed]:
    return {name: attr for klass in reversed(model.__mro__) for name, attr in vars(klass).items()
            if isinstance(attr, Sealed)}


def sealed_columns(obj) -> dict[str, str]:
    """The sealed columns of a row built with its id and unit (e.g. for a bulk INSERT): column name -> token."""
    mapper = type(obj).__mapper__
    return {mapper.get_property(f.column).columns[0].name: getattr(obj, f.column)
            for f in sealed_fields(type(obj)).values()}


def seal_pending(model):
    """Class decorator of a model with ``Sealed`` attributes: values set before the row had an id are sealed
    right after its INSERT, on the flush's own connection (the plain text never reaches the table)."""
    from sqlalchemy import event, update
    from sqlalchemy.orm.attributes import set_committed_value

    @event.listens_for(model, "after_insert", propagate=True)
    def _seal_after_insert(mapper, connection, target):
        pending = target.__dict__.pop("_sealed_pending", None)
        if not pending:
            return
        fields, values = sealed_fields(type(target)), {}
        for name, value in pending.items():
            field = fields[name]
            token = encrypt_field(value, field._associated(target)) if value else ""
            set_committed_value(target, field.column, token)
            target.__dict__.setdefault("_sealed_cache", {})[name] = (token, value)
            if token:
                values[mapper.get_property(field.column).columns[0]] = token
        if values:
            table = mapper.local_table
            connection.execute(update(table).where(table.c.id == target.id).values(values))

    return model
