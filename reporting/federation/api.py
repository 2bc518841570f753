"""POST /api/v1/federation/push: a downstream deployment's signed roll-ups.

The peer's signature is the authentication: no session, no bearer token, no CSRF token. So the
route sits on a blueprint of its own under /api/v1 rather than on ``core.api.api``, whose
before-request hook demands a login for every route but the token exchange; the route is still
in the OpenAPI document (``documented(..., public=True)``) and rate-limited per address.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from core.api import documented
from core.extensions import csrf, limiter
from reporting.federation import operations as ops
from reporting.federation.schemas import PushAcceptedSchema, PushRefusedSchema, PushSchema
from reporting.federation.signing import PEER_HEADER, SIGNATURE_HEADER

federation_api = Blueprint("federation_api", __name__, url_prefix="/api/v1/federation")


@federation_api.post("/push")
@csrf.exempt
@limiter.limit(lambda: current_app.config["FEDERATION_RATE_LIMIT"])
@documented("/federation/push", "post",
            f"A downstream deployment pushes its root's roll-ups (numbers only). The body is the payload's "
            f"canonical JSON; {SIGNATURE_HEADER} is the base64 Ed25519 signature of the body's bytes by the key "
            f"registered for the peer named in {PEER_HEADER}. Refused, and audited: 401 unknown peer or bad "
            f"signature, 409 a sequence not above the last accepted (replay), 422 malformed, stale (over 10 "
            f"minutes off), or not the registered root", body=PushSchema, response=PushAcceptedSchema,
            tag="federation", public=True)
def federation_push():
    try:
        accepted = ops.receive_push(request.get_data(cache=False), request.headers.get(PEER_HEADER),
                                    request.headers.get(SIGNATURE_HEADER))
    except ops.PushRefused as refused:
        ops.record_refusal(refused)
        answer = PushRefusedSchema().dump({"error": "上报被拒绝", "reason": refused.reason, "message": refused.message})
        return jsonify(answer), refused.status
    return jsonify(PushAcceptedSchema().dump({
        "accepted": True, "peer": accepted.peer.name, "sequence": accepted.sequence, "unit_id": accepted.peer.federated_unit_id,
        "figures": accepted.figures, "changed": accepted.changed}))
