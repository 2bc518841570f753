"""Every write of federation, on both sides of a push.

Upstream (the nation): ``register_peer`` creates the unit standing for a downstream deployment and
keeps its public key; ``receive_push`` checks a push (known active peer, signature over the exact
body, payload shape, clock, root, sequence) and replaces that unit's stats rows with the pushed
figures in the request's transaction; ``record_refusal`` audits a refused push in its own.

Downstream (a province): ``collect_figures`` sums the root's subtree by (metric, period) in one
GROUP BY; ``push`` signs them and sends them through a transport (HTTP by default, the upstream's
test client in the tests) and logs the answer.
"""
from __future__ import annotations

import json
import re
import secrets
import ssl
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import func, or_, select, union_all, update

from core import context
from core.audit.operations import record as audit
from core.clock import utcnow
from core.errors import InvalidInput
from core.extensions import db
from core.models import upsert_insert
from reporting.federation import signing
from reporting.federation.models import REFUSAL_MESSAGES, FederationPeer, FederationPush, PushOutcome
from reporting.federation.schemas import PushSchema, is_federated_metric
from tenants import operations as tenancy_ops
from tenants.models import ALLOWED_PARENTS, Unit, UnitLevel, UnitStat, UnitStatJournal, UnitStatTotal, upper_bound

PUSH_PATH = "/api/v1/federation/push"
PEER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

Figures = dict[tuple[str, str], int]
# (url, body, headers) -> (HTTP status, JSON answer); raises OSError when there is no answer.
Transport = Callable[[str, bytes, dict[str, str]], tuple[int, dict]]


# ---------------------------------------------------------------- upstream: peers


def register_peer(name: str, public_key: str, *, unit_name: str, unit_code: str, level: str,
                  parent: Unit | None, registered_by=None) -> FederationPeer:
    """Register a downstream deployment and create the unit that stands for its root here.

    The unit follows the tree's rules (level under parent, division code) like any other unit, with
    one addition: the tree has no level above the province, so a nation deployment's root is a
    province-level unit (全国, as in ops/bench/reporting_data.py), and a downstream's root that may
    stand at the top of a tree (a province) may also stand directly under this deployment's root.
    The unit gets no members (models: the flush refuses them); its figures come only from pushes."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not PEER_NAME_RE.match(name):
        errors["name"] = [_("名称须为 1~64 个字母、数字、点、横线或下划线")]
    elif db.session.scalar(select(FederationPeer.id).where(FederationPeer.name == name)):
        errors["name"] = [_("名称 %(name)s 已登记", name=name)]
    _check_public_key(public_key, errors)
    if parent is not None and _federated_subtree(parent):
        errors["parent_id"] = [_("联网接入的单位之下不能再设单位")]
    elif parent is not None and not parent.is_active:
        errors["parent_id"] = [_("上级单位已撤销")]
    under_root = (parent is not None and parent.parent_id is None and level in {lvl.value for lvl in UnitLevel}
                  and None in ALLOWED_PARENTS[UnitLevel(level)]
                  and UnitLevel(parent.level) not in ALLOWED_PARENTS[UnitLevel(level)])
    if errors:
        raise InvalidInput(errors)
    if under_root:
        # Checked as the root it is in its own deployment, then hung under this deployment's root.
        unit = tenancy_ops.create_unit(unit_name, level, unit_code, None)
        unit.parent, unit.path = parent, f"{parent.path}{unit.id}."
        db.session.flush()
    else:
        unit = tenancy_ops.create_unit(unit_name, level, unit_code, parent)
    unit.federated = True
    peer = FederationPeer(name=name, public_key=public_key.strip(), unit=unit, active=True,
                          registered_by_id=getattr(registered_by, "id", None))
    db.session.add(peer)
    db.session.flush()
    audit("federation.peer_register", object_type="federation_peer", object_id=peer.id, account=registered_by,
          detail={"name": name, "unit": unit.code, "parent": getattr(parent, "code", None), "key": peer.fingerprint})
    return peer


def set_peer_key(peer: FederationPeer, public_key: str, *, changed_by=None) -> None:
    """Rotate the peer's key: pushes signed with the old one are refused from now on."""
    errors: dict[str, list[str]] = {}
    _check_public_key(public_key, errors)
    if errors:
        raise InvalidInput(errors)
    old = peer.fingerprint
    peer.public_key = public_key.strip()
    audit("federation.peer_key", object_type="federation_peer", object_id=peer.id, account=changed_by,
          detail={"name": peer.name, "from": old, "to": peer.fingerprint})


def set_peer_active(peer: FederationPeer, active: bool, *, changed_by=None) -> None:
    """An inactive peer's pushes are refused; its unit keeps the figures of its last accepted push."""
    if peer.active != active:
        peer.active = active
        audit("federation.peer_activate" if active else "federation.peer_deactivate", object_type="federation_peer",
              object_id=peer.id, account=changed_by, detail={"name": peer.name})


def _check_public_key(pem: str, errors: dict) -> None:
    try:
        signing.load_public_key(pem or "")
    except ValueError:
        errors["public_key"] = [_("公钥须为 PEM 格式的 Ed25519 公钥")]


def _federated_subtree(unit: Unit) -> bool:
    """True when ``unit`` is a federated unit or lies below one."""
    ids = [*unit.ancestor_ids, unit.id]
    return db.session.scalar(select(FederationPeer.id).where(FederationPeer.federated_unit_id.in_(ids))) is not None


# ---------------------------------------------------------------- upstream: receiving a push


class PushRefused(Exception):
    """A push the upstream does not accept. ``status``: 401 (unknown peer or bad signature),
    409 (replay), 422 (malformed, stale, wrong root)."""

    MESSAGES = REFUSAL_MESSAGES
    STATUS = {"unknown_peer_or_signature": 401, "replay": 409}

    def __init__(self, reason: str, *, peer: FederationPeer | None = None, detail: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = self.STATUS.get(reason, 422)
        self.peer_id = getattr(peer, "id", None)
        self.unit_id = getattr(peer, "federated_unit_id", None)
        self.detail = detail or {}

    @property
    def message(self) -> str:
        return str(self.MESSAGES[self.reason])


@dataclass
class Accepted:
    peer: FederationPeer
    sequence: int
    figures: int
    changed: int


def receive_push(body: bytes, peer_name: str | None, signature: str | None, *,
                 now: datetime | None = None) -> Accepted:
    """Check a push and, if it passes, make its figures the peer unit's stats rows (caller's transaction)."""
    now = now or utcnow()
    claimed = (peer_name or "").strip()[:64]
    peer = db.session.scalar(select(FederationPeer).where(FederationPeer.name == claimed)) if claimed else None
    # One answer for an unknown name, an inactive peer and a bad signature: a probe learns nothing.
    if peer is None or not peer.active or not signature or not signing.verify(peer.public_key, body, signature):
        raise PushRefused("unknown_peer_or_signature", peer=peer,
                          detail={"peer": claimed, "cause": "unknown" if peer is None else
                                  "inactive" if not peer.active else "signature"})
    try:
        payload = PushSchema().load(json.loads(body))
    except (ValueError, ValidationError) as exc:
        messages = getattr(exc, "messages", str(exc))
        raise PushRefused("malformed", peer=peer, detail={"errors": json.dumps(messages, ensure_ascii=False)[:500]})
    if payload["peer"] != peer.name:
        raise PushRefused("peer_mismatch", peer=peer, detail={"payload_peer": payload["peer"]})
    skew = timedelta(seconds=current_app.config["FEDERATION_MAX_SKEW_SECONDS"])
    if abs(payload["sent_at"] - now) > skew:
        raise PushRefused("stale", peer=peer, detail={"sent_at": payload["sent_at"].isoformat(),
                                                      "received_at": now.isoformat()})
    unit = peer.unit
    root = payload["root"]
    if root["code"] != unit.code or root["level"] != unit.level:
        raise PushRefused("root_mismatch", peer=peer, detail={"pushed": root["code"], "registered": unit.code})
    if not unit.is_active:
        raise PushRefused("unit_archived", peer=peer)
    sequence = payload["sequence"]
    # Compare-and-set: of two pushes racing, the row lock lets one through and the other sees it.
    advanced = db.session.execute(
        update(FederationPeer)
        .where(FederationPeer.id == peer.id,
               or_(FederationPeer.last_sequence.is_(None), FederationPeer.last_sequence < sequence))
        .values(last_sequence=sequence, last_sent_at=payload["sent_at"], last_accepted_at=now,
                last_figures=len(payload["figures"]))
        .execution_options(synchronize_session=False)
    ).rowcount
    if not advanced:
        raise PushRefused("replay", peer=peer, detail={"sequence": sequence, "last": peer.last_sequence})
    figures = {(metric, period): value for metric, period, value in payload["figures"]}
    changed = replace_figures(unit, figures)
    db.session.expire(peer)
    audit("federation.push_receive", unit_id=unit.id, object_type="federation_peer", object_id=peer.id,
          detail={"peer": peer.name, "sequence": sequence, "figures": len(figures), "changed": changed})
    return Accepted(peer, sequence, len(figures), changed)


def replace_figures(unit: Unit, figures: Figures) -> int:
    """Make ``figures`` the unit's stats rows: write the new and changed keys, zero the keys absent from
    them (rows are never deleted), one statement for all rows. Written as the unit (RLS). Returns rows written."""
    with context.acting(context.ActingContext(unit_id=unit.id, unit_path=unit.path), db.session):
        stored = {(metric, period): value for metric, period, value in db.session.execute(
            select(UnitStat.metric, UnitStat.period, UnitStat.value).where(UnitStat.unit_id == unit.id))}
        wanted = {key: 0 for key, value in stored.items() if value} | {k: v for k, v in figures.items() if v}
        rows = [{"unit_id": unit.id, "unit_path": unit.path, "metric": metric, "period": period, "value": value}
                for (metric, period), value in wanted.items() if stored.get((metric, period)) != value]
        if rows:
            stmt = upsert_insert(UnitStat.__table__)
            db.session.execute(stmt.on_conflict_do_update(index_elements=["unit_id", "metric", "period"],
                                                          set_={"value": stmt.excluded.value}), rows)
            # The subtree totals of the unit and its ancestors follow through the journal (reporting.rollups).
            tenancy_ops.journal_stats(unit, {(row["metric"], row["period"]): row["value"] - stored.get(
                (row["metric"], row["period"]), 0) for row in rows})
            db.session.flush()
    return len(rows)


def record_refusal(refused: PushRefused) -> None:
    """Audit a refused push, and count it on the peer it named, in a transaction of its own: the
    request's is rolled back (as tenants.access.flush_denial_audit does for denied requests)."""
    db.session.rollback()
    if refused.peer_id is not None:
        db.session.execute(update(FederationPeer).where(FederationPeer.id == refused.peer_id).values(
            refusals=FederationPeer.refusals + 1, last_refused_at=utcnow(), last_refusal=refused.reason)
            .execution_options(synchronize_session=False))
    audit("federation.push_receive", outcome="denied", unit_id=refused.unit_id, object_type="federation_peer",
          object_id=refused.peer_id, detail={"reason": refused.reason, **refused.detail})
    db.session.commit()


# ---------------------------------------------------------------- downstream: pushing


class NotConfigured(Exception):
    pass


@dataclass
class Prepared:
    """A signed push, ready to send: built inside a read, sent after it ended."""

    url: str
    peer_name: str
    root_unit_id: int
    sequence: int
    sent_at: datetime
    figures: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def federation_root() -> Unit:
    """The unit whose roll-ups this deployment pushes: QINGLIAN_FEDERATION_ROOT, else the only root."""
    code = current_app.config.get("FEDERATION_ROOT")
    if code:
        root = db.session.scalar(select(Unit).where(Unit.code == code, Unit.archived_at.is_(None)))
        if root is None:
            raise NotConfigured(f"QINGLIAN_FEDERATION_ROOT: no active unit with code {code}")
        return root
    roots = db.session.scalars(select(Unit).where(Unit.parent_id.is_(None), Unit.archived_at.is_(None))
                               .order_by(Unit.id).limit(2)).all()
    if len(roots) != 1:
        raise NotConfigured("set QINGLIAN_FEDERATION_ROOT: this deployment has "
                            + ("no unit" if not roots else "more than one root unit"))
    return roots[0]


def collect_figures(root: Unit) -> list[list]:
    """The root's subtree sums, one per (metric, period) key: its subtree totals plus the journal's moves
    not folded yet, in one statement (one snapshot).

    Numbers only. Keys summing to zero are left out (absent counts as zero upstream), and so are
    metrics naming this deployment's own records (a zeroing campaign's id), meaningless upstream."""
    with context.acting(context.ActingContext(unit_id=root.id, unit_path=root.path), db.session):
        rows = db.session.execute(union_all(
            select(UnitStatTotal.metric, UnitStatTotal.period, UnitStatTotal.value)
            .where(UnitStatTotal.unit_id == root.id),
            select(UnitStatJournal.metric, UnitStatJournal.period, UnitStatJournal.delta)
            .where(UnitStatJournal.unit_path >= root.path, UnitStatJournal.unit_path < upper_bound(root.path))))
        sums: Counter = Counter()
        for metric, period, value in rows:
            sums[(metric, period)] += int(value)
    return [[metric, period, total] for (metric, period), total in sorted(sums.items())
            if total and is_federated_metric(metric)]


def next_sequence(now: datetime) -> int:
    """Greater than every push logged here, and than the clock in milliseconds: a deployment restored
    from an older backup, or re-installed, still sends sequences the upstream has not seen."""
    last = db.session.scalar(select(func.max(FederationPush.sequence))) or 0
    return max(last + 1, int(now.timestamp() * 1000))


def prepare_push(*, now: datetime | None = None) -> Prepared:
    config = current_app.config
    missing = [env for key, env in (("FEDERATION_UPSTREAM_URL", "QINGLIAN_UPSTREAM_URL"),
                                    ("FEDERATION_ID", "QINGLIAN_FEDERATION_ID"),
                                    ("FEDERATION_KEY", "QINGLIAN_FEDERATION_KEY")) if not config.get(key)]
    if missing:
        raise NotConfigured("not configured: " + ", ".join(missing))
    try:
        key = signing.load_private_key(config["FEDERATION_KEY"])
    except (OSError, ValueError, TypeError) as exc:
        raise NotConfigured(f"QINGLIAN_FEDERATION_KEY: {exc}")
    now = now or utcnow()
    root = federation_root()
    figures = collect_figures(root)
    payload = {
        "peer": config["FEDERATION_ID"],
        "sequence": next_sequence(now),
        "sent_at": now.isoformat(),
        "nonce": secrets.token_hex(16),
        "root": {"code": root.code, "name": root.name, "level": root.level},
        "figures": figures,
    }
    body = signing.canonical(payload)
    headers = {"Content-Type": "application/json", signing.PEER_HEADER: payload["peer"],
               signing.SIGNATURE_HEADER: signing.sign(key, body)}
    return Prepared(config["FEDERATION_UPSTREAM_URL"].rstrip("/") + PUSH_PATH, payload["peer"], root.id,
                    payload["sequence"], now, len(figures), body, headers)


def http_transport(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    """POST over HTTP(S) with the standard library: no proxy, a timeout, an optional private CA."""
    config = current_app.config
    tls = ssl.create_default_context(cafile=config.get("FEDERATION_UPSTREAM_CA") or None)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=tls))
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with opener.open(request, timeout=config["FEDERATION_TIMEOUT"]) as response:
            return response.status, _json_answer(response.read())
    except urllib.error.HTTPError as answer:  # a refusal is an answer, not a failure to connect
        return answer.code, _json_answer(answer.read())


def _json_answer(data: bytes) -> dict:
    try:
        answer = json.loads(data or b"{}")
    except ValueError:
        return {"message": data[:200].decode(errors="replace")}
    return answer if isinstance(answer, dict) else {}


def push(transport: Transport | None = None, *, requested_by_id: int | None = None,
         now: datetime | None = None) -> FederationPush:
    """Push the root's roll-ups now; log and audit the upstream's answer. Raises NotConfigured."""
    prepared = prepare_push(now=now)
    db.session.rollback()  # end the read before the network call: no transaction held open while waiting
    status, answer, error = None, {}, None
    try:
        status, answer = (transport or http_transport)(prepared.url, prepared.body, prepared.headers)
    except (OSError, ValueError) as exc:  # URLError, timeouts and refused connections are OSErrors
        error = f"{type(exc).__name__}: {exc}"[:500]
    outcome = (PushOutcome.FAILED if status is None else PushOutcome.ACCEPTED if status == 200
               else PushOutcome.REFUSED)
    message = error or (None if outcome == PushOutcome.ACCEPTED else
                        " ".join(str(answer.get(k)) for k in ("reason", "message") if answer.get(k))[:500] or None)
    log = FederationPush(sequence=prepared.sequence, peer_name=prepared.peer_name, upstream_url=prepared.url[:255],
                         root_unit_id=prepared.root_unit_id, figures=prepared.figures,
                         body_bytes=len(prepared.body), sent_at=prepared.sent_at, answered_at=utcnow(),
                         outcome=outcome, http_status=status, message=message, requested_by_id=requested_by_id)
    db.session.add(log)
    db.session.flush()
    audit("federation.push_send", outcome="ok" if outcome == PushOutcome.ACCEPTED else "failed",
          object_type="federation_push", object_id=log.id,
          detail={"sequence": prepared.sequence, "figures": prepared.figures, "status": status, "message": message})
    return log


def last_pushes(limit: int = 20) -> list[FederationPush]:
    return list(db.session.scalars(select(FederationPush).order_by(FederationPush.id.desc()).limit(limit)))
