"""The audit trail's keyed SM3: the chain's links and the checkpoints' signatures.

Both are HMAC-SM3 under keys derived from ``QINGLIAN_AUDIT_KEY`` (config ``AUDIT_KEY``), which
lives in the app's environment and never in the database: whoever controls only the database
can neither recompute a chain after an edit nor sign a checkpoint. Rows written before 0014
were linked with plain SM3; a chain's signed checkpoints name the first keyed row.
"""
from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

from flask import current_app

from core.clock import as_utc
from core.crypto import constant_time_equal, hmac_sm3_hex, sm3_hex


def _key(purpose: bytes) -> bytes:
    return _derived_key(current_app.config["AUDIT_KEY"], purpose)


@lru_cache(maxsize=8)
def _derived_key(audit_key: str, purpose: bytes) -> bytes:
    # One key in the environment, one derived key per use, so a link can never pass for a signature.
    return bytes.fromhex(hmac_sm3_hex(audit_key.encode(), purpose))


def link_hash(prev_hash: str, canonical: bytes, *, keyed: bool = True) -> str:
    data = prev_hash.encode() + canonical
    return hmac_sm3_hex(_key(b"qinglian audit link"), data) if keyed else sm3_hex(data)


def _checkpoint_payload(chain: str, seq: int, hash_: str, keyed_from: int, signed_at: datetime) -> bytes:
    fields = {"chain": chain, "seq": seq, "hash": hash_, "keyed_from": keyed_from,
              "signed_at": as_utc(signed_at).isoformat(timespec="microseconds")}
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def checkpoint_signature(chain: str, seq: int, hash_: str, keyed_from: int, signed_at: datetime) -> str:
    """'Chain ``chain`` had reached ``seq`` with ``hash_``; its links are keyed from ``keyed_from`` on.'"""
    return hmac_sm3_hex(_key(b"qinglian audit checkpoint"),
                        _checkpoint_payload(chain, seq, hash_, keyed_from, signed_at))


def checkpoint_valid(chain: str, seq: int, hash_: str, keyed_from: int, signed_at: datetime, signature: str) -> bool:
    return constant_time_equal(checkpoint_signature(chain, seq, hash_, keyed_from, signed_at), signature or "")
