"""Commercial cryptography (GB/T 39786): SM3 digests and SM4-GCM field encryption.

Keys come from configuration as ``keyid:hex[,keyid:hex...]``; the first key encrypts,
every listed key decrypts, so keys rotate by putting a new one first. Ciphertext is
``keyid$base64(nonce|ciphertext|tag)`` and always carries associated data that binds it
to its record (e.g. ``"account:12:totp"``), so a value copied onto another row fails.
"""
from __future__ import annotations

import base64
import hmac
import os
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

