"""Keys and signatures of federation pushes: Ed25519 (``cryptography``) over the exact body bytes.

The downstream sends the canonical JSON of its payload (sorted keys, no spaces, UTF-8) as the
request body and signs those bytes; the upstream verifies the bytes it received before it
parses them, so nothing is re-encoded between signing and checking.
"""
from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PEER_HEADER = "X-Qinglian-Peer"
SIGNATURE_HEADER = "X-Qinglian-Signature"


def canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def generate() -> tuple[str, str]:
    """A new key pair as (private PEM, public PEM)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return private, public_pem(key)


def public_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_private_key(setting: str) -> Ed25519PrivateKey:
    """The private key from a setting holding either the PEM itself or the path of a PEM file."""
    text = setting.strip()
    data = text.encode() if text.startswith("-----BEGIN") else Path(text).read_bytes()
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the federation key must be an Ed25519 private key")
    return key


def load_public_key(pem: str) -> Ed25519PublicKey:
    """Raises ValueError unless ``pem`` is an Ed25519 public key."""
    key = serialization.load_pem_public_key(pem.strip().encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def fingerprint(pem: str) -> str:
    """SHA-256 of the raw public key, shortened: what two administrators read to each other."""
    raw = load_public_key(pem).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return ":".join(digest[i:i + 4] for i in range(0, 32, 4))


def sign(key: Ed25519PrivateKey, body: bytes) -> str:
    return base64.b64encode(key.sign(body)).decode()


def verify(public_key_pem: str, body: bytes, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        load_public_key(public_key_pem).verify(raw, body)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
