"""JSON API of bulletins (/api/v1/u/<unit>/bulletins): those published to a unit, and one bulletin with its
snapshot.

The reading unit is the URL's (tenants.resolution, as for every /u/<unit>/ URL). A bulletin is answered to the
leaders and analysts of the unit it reports on and of that unit's parent; else 404. The older forms without the
unit (``/api/v1/bulletins?unit=``, or every unit the account belongs to in turn; ``/api/v1/bulletins/<id>`` at
whichever of them may read it) still answer as before; the OpenAPI document names only the new ones.
"""
from __future__ import annotations

from flask import g, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core.api import PAGING, api, documented, legacy_form
from core.extensions import db
from reporting.bulletins import operations as ops
from reporting.bulletins.models import KINDS, Bulletin
from reporting.bulletins.queries import load_bulletin, readable, reads_bulletins_of
from reporting.bulletins.schemas import BulletinSchema, BulletinSummarySchema
from tenants.access import Action, deny, member_units
from tenants.models import Unit
from tenants.resolution import act_at, named_units, reading_at

TAG = "bulletins"
MAX_PER_PAGE = 200
PREFIX, DOC = "/u/<int:unit_id>/bulletins", "/u/{unit_id}/bulletins"


def _dump(schema, bulletin: Bulletin, unit: Unit, *, legacy: bool = False) -> dict:
    """The answer, with the page and this API's URL of the bulletin at ``unit`` (the older form's URL when
    asked through it, so that its clients follow what they know)."""
    answer = schema.dump(bulletin) | {"page_url": url_for("bulletins.show", unit_id=unit.id, bulletin_id=bulletin.id)}
    if not legacy:
        answer["url"] = url_for("api.bulletin_detail_at_unit", unit_id=unit.id, bulletin_id=bulletin.id)
    return answer


def _page_args() -> tuple[str | None, int, int]:
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = min(max(request.args.get("per_page", 50, type=int), 1), MAX_PER_PAGE)
    return kind, page, per_page


def _published_to(unit: Unit, kind, page: int, per_page: int, *, legacy: bool = False) -> tuple[list[dict], int]:
    """The page of bulletins published to ``unit`` (read as it) that the account reads there, and their count;
    none for an account that reads no bulletins there."""
    if not reads_bulletins_of(current_user, unit, unit):
        return [], 0
    found, count = ops.published_to(unit, kind, page=page, per_page=per_page)
    return [_dump(BulletinSummarySchema(), b, unit, legacy=legacy) for b in readable(found, unit)], count


@api.get(PREFIX)
@documented(DOC, "get", "Bulletins published to the unit (its own and its children's), newest first; "
            "`kind=weekly|monthly`, `page`, `per_page`. Leaders and analysts only (others: an empty list)",
            response=BulletinSummarySchema, envelope="page",
            query={**PAGING, "kind": ({"type": "string", "enum": ["weekly", "monthly"]}, "kind")}, tag=TAG)
def bulletin_list_at_unit(unit_id: int):
    kind, page, per_page = _page_args()
    items, total = _published_to(g.unit, kind, page, per_page)
    return jsonify(items=items, total=total, page=page, per_page=per_page)


@api.get(f"{PREFIX}/<int:bulletin_id>")
@documented(f"{DOC}/{{bulletin_id}}", "get", "One bulletin published to the unit, with everything it shows, frozen "
            "when it was published: the unit's figures and the previous period's, the children ranked, coverage, "
            "late returns and overdue supervision items named. 404 unless I lead or analyse at the unit it reports "
            "on or its parent", response=BulletinSchema, tag=TAG)
def bulletin_detail_at_unit(unit_id: int, bulletin_id: int):
    return jsonify(_dump(BulletinSchema(), load_bulletin(bulletin_id, g.unit), g.unit))


@api.get("/bulletins")
@legacy_form(of="api.bulletin_list_at_unit")
def bulletin_list():
    """``?unit=<id>``: as /u/<id>/bulletins; without it, at every unit the account belongs to."""
    units = named_units()
    kind, page, per_page = _page_args()
    items, total = [], 0
    for unit in units:
        with reading_at(unit):
            found, count = _published_to(unit, kind, page, per_page, legacy=True)
        items += found
        total += count
    items.sort(key=lambda b: (b["published_at"] or "", b["id"]), reverse=True)
    return jsonify(items=items, total=total, page=page, per_page=per_page)


@api.get("/bulletins/<int:bulletin_id>")
@legacy_form(of="api.bulletin_detail_at_unit")
def bulletin_detail(bulletin_id: int):
    """The bulletin at the first unit of the account that reads it (acting there from then on); else 404."""
    for unit in member_units(current_user):
        with reading_at(unit):
            about = db.session.scalar(select(Unit).join(Bulletin, Bulletin.unit_id == Unit.id).where(
                Bulletin.id == bulletin_id, (Bulletin.unit_id == unit.id) | (Bulletin.parent_unit_id == unit.id)))
            may_read = about is not None and reads_bulletins_of(current_user, unit, about)
        if may_read:
            act_at(unit)
            return jsonify(_dump(BulletinSchema(), load_bulletin(bulletin_id, unit), unit, legacy=True))
    deny(Action.ROLLUPS_READ, object_type="bulletins", object_id=bulletin_id)
