"""JSON shapes of a federation push (marshmallow): the signed payload and the upstream's answers."""
from __future__ import annotations

import re

from marshmallow import EXCLUDE, ValidationError, fields, validate

from core.schemas import Schema

# A figure's metric: dotted lower-case words. Metrics carrying a deployment's own record ids (a
# zeroing campaign's ``zeroing.12.stock``) mean nothing in another deployment and are not pushed.
METRIC_RE = re.compile(r"^[a-z_]+(\.[a-z_]+)*$")
# A stats row's period: '' (stock), a year, an ISO week, a month or an ISO day (tenants/stats.py).
PERIOD_RE = re.compile(r"^(|\d{4}|\d{4}-W\d{2}|\d{4}-\d{2}|\d{4}-\d{2}-\d{2})$")
MAX_FIGURES = 500_000
BIGINT_MAX = 2**63 - 1


def is_federated_metric(metric: str) -> bool:
    return bool(METRIC_RE.match(metric)) and len(metric) <= 64


class PushRootSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=16))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    level = fields.String(required=True, validate=validate.Length(min=1, max=16))


class Figure(fields.Tuple):
    """[metric, period, value]: one stats key of the downstream root's subtree sum."""

    def __init__(self, **kwargs):
        super().__init__((fields.String(), fields.String(), fields.Integer(strict=True)), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        metric, period, number = super()._deserialize(value, attr, data, **kwargs)
        if not is_federated_metric(metric):
            raise ValidationError(f"指标 {metric[:64]!r} 应为以点分隔的小写英文单词，至多 64 个字符")
        if not PERIOD_RE.match(period):
            raise ValidationError(f"期间 {period[:16]!r} 应为空、YYYY、YYYY-Www、YYYY-MM 或 YYYY-MM-DD")
        if abs(number) > BIGINT_MAX:
            raise ValidationError("数值超出范围")
        return metric, period, number


class PushSchema(Schema):
    """The body of POST /api/v1/federation/push, sent as canonical JSON (sorted keys, no spaces) and
    signed as those exact bytes: Ed25519, base64 in X-Qinglian-Signature, the peer in X-Qinglian-Peer."""

    class Meta:
        unknown = EXCLUDE

    peer = fields.String(required=True, validate=validate.Length(min=1, max=64),
                         metadata={"description": "the sending deployment's name at the upstream"})
    sequence = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=BIGINT_MAX),
                              metadata={"description": "greater than every earlier push of this peer"})
    sent_at = fields.AwareDateTime(required=True, metadata={"description": "UTC; refused if over 10 minutes off"})
    nonce = fields.String(required=True, validate=validate.Length(min=8, max=64))
    root = fields.Nested(PushRootSchema, required=True)
    figures = fields.List(Figure(), required=True, validate=validate.Length(max=MAX_FIGURES),
                          metadata={"description": "[metric, period, value] of the root's subtree sums; a key "
                                                   "absent from the push counts as zero"})


class PushAcceptedSchema(Schema):
    accepted = fields.Boolean()
    peer = fields.String()
    sequence = fields.Integer()
    unit_id = fields.Integer(metadata={"description": "the unit standing for the peer at the upstream"})
    figures = fields.Integer()
    changed = fields.Integer(metadata={"description": "stats rows written (new or different values)"})


class PushRefusedSchema(Schema):
    error = fields.String()
    reason = fields.String(metadata={"description": "unknown_peer_or_signature, malformed, peer_mismatch, "
                                                   "stale, root_mismatch, unit_archived or replay"})
    message = fields.String()
