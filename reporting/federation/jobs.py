"""The periodic push upstream (only where an upstream is configured), also queued on demand."""
from __future__ import annotations

from core.jobs import Periodic, job
from reporting.federation import operations as ops


@job("reports", timeout=300)
def push_rollups(requested_by_id: int | None = None) -> dict:
    """Push the root's roll-ups; the answer is logged (a failure too: the next run tries again)."""
    try:
        log = ops.push(requested_by_id=requested_by_id)
    except ops.NotConfigured as exc:
        return {"outcome": "not_configured", "message": str(exc)}
    return {"outcome": log.outcome, "sequence": log.sequence, "figures": log.figures, "status": log.http_status}


def periodic(config) -> list[Periodic]:
    """Declared only when this deployment has an upstream (QINGLIAN_UPSTREAM_URL)."""
    if not config.get("FEDERATION_UPSTREAM_URL"):
        return []
    return [Periodic(push_rollups, config["FEDERATION_CRON"])]
