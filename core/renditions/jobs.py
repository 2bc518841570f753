"""The RQ job of renditions: converting a document to PDF (``default`` queue).

It takes ids, acts as the requesting account at the rendition's unit (RLS admits that unit's rows only) and
claims the rendition while it is queued (core.jobs.claim): delivered twice, it finds nothing to do. It beats on
the rendition while LibreOffice runs; a worker that dies leaves it to the sweep (core.jobs.sweep_stalled), which
queues it again once or fails it, and the page then offers to ask again.
"""
from __future__ import annotations

from core import context
from core.clock import utcnow
from core.extensions import db
from core.jobs import Progress, claim, job, track
from core.renditions import operations as ops
from core.renditions.models import RUNNING, DocumentRendition
from tenants.models import Unit


@job("default", timeout=300)
def convert_rendition(unit_id: int, rendition_id: int, account_id: int) -> None:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return
    context.activate(context.ActingContext(account_id=account_id, unit_id=unit.id, unit_path=unit.path), db.session)
    attempt = claim(DocumentRendition, rendition_id, ("queued",), state="running", started_at=utcnow(), failure=None)
    if attempt is None:
        return
    with Progress(DocumentRendition, rendition_id, attempt):
        ops.convert(db.session.get(DocumentRendition, rendition_id), attempt)


def _resume(rendition: DocumentRendition):
    rendition.state = "queued"
    return convert_rendition, rendition.unit_id, rendition.id, rendition.requested_by_id


track(DocumentRendition, RUNNING, resume=_resume, fail=ops.stopped)
