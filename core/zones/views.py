"""HTML pages of collaboration zones (协作区): the county's zones and their figures, one zone with its
members' history, the convener rota and term reports, joint meetings and their decisions' tasks,
cross-handling grants, and cross-inspection rounds with their findings.

Who sees a zone: its county (ZONES_READ there) and its current members (ZONES_READ at the member);
anyone else gets 404, as for every object reached through it (meetings, terms, grants, rounds, pairs): the
loaders are in queries.py, shared with the API.
"""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core import calendar
from core.clearing.workflow import CASE_FLOW
from core.errors import InvalidInput
from core.extensions import db
from core.inbox.links import register_link
from core.petitions.workflow import PETITION_FLOW
from core.supervision.workflow import ITEM_FLOW
from core.zones import operations as ops
from core.zones import queries
from core.zones.models import (DEFAULT_CHECKLIST, GRANT_SCOPE_LABELS, GRANT_STATE_LABELS, ZONE_KIND_LABELS,
                               ConvenerTerm, CrossGrant, InspectionPair, InspectionRound, JointMeeting, Zone,
                               ZoneKind)
from tenants.access import Action, can, deny, ensure
from tenants.models import Unit, UnitLevel
from tenants.scoping import may_open

bp = Blueprint("zones", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/zones")

DECISION_ROWS = 5
PERIOD_CHOICES = {"week": _l("本周"), "month": _l("本月"), "quarter": _l("本季度"), "year": _l("本年")}
ASSIGNED_BY_LABELS = {"rota": _l("轮值"), "override": _l("县纪委指定")}
ATTENDEE_ROLE_LABELS = {"secretary": _l("乡镇纪委书记"), "stationed_head": _l("派驻组组长"), "lead": _l("牵头县领导"),
                        "county": _l("县纪委监委")}
RECORD_FLOWS = {"petitions": PETITION_FLOW, "clearing_cases": CASE_FLOW}
RECORD_KIND_LABELS = {"petitions": _l("信访举报件"), "clearing_cases": _l("澄清正名件")}


# ---------------------------------------------------------------- helpers of the pages


def _version() -> int | None:
    return request.form.get("version", type=int)


def _flash_errors(exc: InvalidInput) -> None:
    db.session.rollback()
    for message in exc.messages:
        flash(message, "error")


def zone_figures(county: Unit, cards: list, period: str) -> dict | None:
    """The zones' figures from reporting (a hook: casework does not import reporting), for those who may
    read the county's figures by child; else None."""
    hook = queries.ZONE_FIGURES.get("zone_figures")
    if hook is None or not cards or not can(current_user, Action.ROLLUPS_BREAKDOWN, county, target=county):
        return None
    return hook(county, {c.zone.id: c.member_ids for c in cards}, period)


def _common(**extra) -> dict:
    unit = g.unit
    return {"unit": unit, "today": calendar.today(), "is_county": unit.level == UnitLevel.COUNTY,
            "may_manage": can(current_user, Action.ZONES_MANAGE, unit),
            "may_grant": can(current_user, Action.ZONES_GRANT, unit),
            # Analysts and unit admins read no records: the zones' pages show them no record's number or label.
            "reads_records": can(current_user, Action.RECORDS_READ, unit),
            "KIND_LABELS": ZONE_KIND_LABELS, "SCOPE_LABELS": GRANT_SCOPE_LABELS,
            "GRANT_STATE_LABELS": GRANT_STATE_LABELS, "ASSIGNED_BY_LABELS": ASSIGNED_BY_LABELS,
            "RECORD_KIND_LABELS": RECORD_KIND_LABELS, "account_name": queries.account_name,
            "record_link": record_link, "item_link": item_link, "grant_steps": grant_steps, **extra}


def grant_steps(grant: CrossGrant) -> str:
    """The steps a handling grant allows, in words."""
    flow = RECORD_FLOWS[grant.object_type]
    return "、".join(flow.step_label(s) for s in grant.transitions.split(",") if s)


# The page of each kind of granted record, and the action its loader checks.
RECORD_PAGES = {"petitions": ("petitions.show", "petition_id", Action.PETITIONS_READ),
                "clearing_cases": ("clearing.case", "case_id", Action.CLEARING_READ)}


def record_link(grant: CrossGrant) -> str | None:
    """The granted record's page here, where the access module says it opens (an active grant naming the
    account: its share); else None."""
    endpoint, arg, action = RECORD_PAGES[grant.object_type]
    record = queries.record(ops.GRANTABLE_MODELS[grant.object_type], grant.object_id)
    if not may_open(current_user, action, g.unit, record):
        return None
    return url_for(endpoint, unit_id=g.unit.id, **{arg: grant.object_id})


def item_link(item) -> str | None:
    """A supervision item's page (a decision's task, a rectification order) where it opens here; else None."""
    if not may_open(current_user, Action.SUPERVISION_READ, g.unit, item):
        return None
    return url_for("supervision.show", unit_id=g.unit.id, item_id=item.id)


# ---------------------------------------------------------------- the zones page


@bp.get("")
@login_required
def index(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.ZONES_READ, unit, target=unit)
    cards = queries.zone_cards(queries.visible_zones(unit), unit)
    period = request.args.get("period") if request.args.get("period") in PERIOD_CHOICES else "year"
    figures = zone_figures(unit, cards, period) if unit.level == UnitLevel.COUNTY else None
    archived = queries.zones_of_county(unit, archived=True) if unit.level == UnitLevel.COUNTY else []
    peaks = {col["key"]: max(v[col["key"]] for v in figures["values"].values())
             for col in figures["columns"]} if figures else {}
    return render_template("zones/index.html", **_common(cards=cards, figures=figures, period=period, peaks=peaks,
                                                         PERIOD_CHOICES=PERIOD_CHOICES, archived=archived))


def _zone_form(unit: Unit, zone: Zone | None) -> dict:
    if request.method == "POST":
        form = request.form
        return {"name": form.get("name", ""), "kind": form.get("kind", zone.kind if zone else "township"),
                "description": form.get("description", ""), "lead_account_id": form.get("lead_account_id", ""),
                "guiding_office": form.get("guiding_office", ""), "term_months": form.get("term_months", "3"),
                "member_unit_ids": form.getlist("member_unit_ids")}
    if zone is None:
        return {"kind": request.args.get("kind", "township"), "term_months": "3", "member_unit_ids": []}
    return {"name": zone.name, "kind": zone.kind, "description": zone.description,
            "lead_account_id": str(zone.lead_account_id or ""), "guiding_office": zone.guiding_office,
            "term_months": str(zone.term_months),
            "member_unit_ids": [str(m.unit_id) for m in queries.current_members(zone)]}


def _render_zone_form(unit: Unit, zone: Zone | None, form: dict, errors: dict):
    return render_template("zones/form.html", **_common(
        zone=zone, form=form, errors=errors, candidates=queries.member_candidates(unit),
        leaders=queries.leaders_of(unit), term_choices=ops.TERM_MONTHS)), 422 if errors else 200


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.ZONES_MANAGE, unit, target=unit)
    form = _zone_form(unit, None)
    errors: dict = {}
    if request.method == "POST":
        try:
            zone = ops.define_zone(unit, **form)
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已设立协作区：%(name)s", name=zone.name), "success")
            return redirect(url_for("zones.show", unit_id=unit.id, zone_id=zone.id))
    return _render_zone_form(unit, None, form, errors)


@bp.route("/<int:zone_id>/edit", methods=["GET", "POST"])
@login_required
def edit(unit_id: int, zone_id: int):
    zone = queries.county_zone(zone_id, Action.ZONES_MANAGE)
    if zone.archived_at is not None:
        deny(Action.ZONES_MANAGE, unit=g.unit, object_type="zones", object_id=zone.id)
    form = _zone_form(g.unit, zone)
    errors: dict = {}
    if request.method == "POST":
        fields = {k: v for k, v in form.items() if k != "kind"}
        try:
            ops.update_zone(zone, **fields, expected_version=_version())
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已保存"), "success")
            return redirect(url_for("zones.show", unit_id=g.unit.id, zone_id=zone.id))
    return _render_zone_form(g.unit, zone, form, errors)


@bp.post("/<int:zone_id>/archive")
@login_required
def archive(unit_id: int, zone_id: int):
    zone = queries.county_zone(zone_id, Action.ZONES_MANAGE)
    ops.archive_zone(zone, expected_version=_version())
    flash(_("协作区已撤销：%(name)s", name=zone.name), "success")
    return redirect(url_for("zones.index", unit_id=g.unit.id))


# ---------------------------------------------------------------- one zone


def _render_zone(zone: Zone, *, errors: dict | None = None, form=None):
    unit = g.unit
    is_owner = zone.unit_id == unit.id
    members = queries.current_members(zone)
    history = queries.member_history(zone)
    terms = queries.terms(zone)
    term = queries.current_term(zone)
    grants = queries.grants_of_zone(zone, unit)
    units = queries.units_by_id([m.unit_id for m in history] + [t.unit_id for t in terms]
                                + [x.grantee_unit_id for x in grants] + [x.owner_unit_id for x in grants])
    accounts = queries.accounts_by_id([t.account_id for t in terms] + [t.report_by_id for t in terms]
                                      + [a for x in grants for a in (x.grantee_account_ids or [])])
    movable = []
    if is_owner and can(current_user, Action.ZONES_MANAGE, unit):
        current = {m.unit_id for m in members}
        movable = [u for u in queries.member_candidates(unit)[zone.kind] if u.id not in current]
    rounds = queries.rounds(zone)
    context = _common(
        zone=zone, is_owner=is_owner, members=members, history=history, terms=terms, term=term,
        units=units, accounts=accounts, grants=grants, meetings=queries.meetings(zone), rounds=rounds,
        tasks=queries.decision_tasks(zone, unit), ITEM_FLOW=ITEM_FLOW, movable=movable,
        may_manage=is_owner and can(current_user, Action.ZONES_MANAGE, unit) and zone.archived_at is None,
        may_grant=is_owner and can(current_user, Action.ZONES_GRANT, unit) and zone.archived_at is None,
        may_convene=(term is not None and term.unit_id == unit.id and can(current_user, Action.ZONES_CONVENE, unit)),
        may_report=can(current_user, Action.ZONES_CONVENE, unit), checklist=DEFAULT_CHECKLIST,
        errors=errors or {}, form=form or {})
    return render_template("zones/show.html", **context), 422 if errors else 200


@bp.get("/<int:zone_id>")
@login_required
def show(unit_id: int, zone_id: int):
    return _render_zone(queries.load_zone(zone_id))


@bp.post("/<int:zone_id>/members")
@login_required
def move_member(unit_id: int, zone_id: int):
    """Move a township (or stationed group) into this zone from its zone of the same kind, from today."""
    zone = queries.county_zone(zone_id, Action.ZONES_MANAGE)
    member = db.session.get(Unit, request.form.get("unit_id", type=int) or 0)
    try:
        if member is None or zone.archived_at is not None:
            raise InvalidInput({"unit_id": [_("请选择要调入的单位")]})
        ops.move_member(member, zone)
    except InvalidInput as exc:
        db.session.rollback()
        return _render_zone(zone, errors=exc.errors, form=request.form)
    flash(_("%(unit)s 已调入%(zone)s", unit=member.name, zone=zone.name), "success")
    return redirect(url_for("zones.show", unit_id=g.unit.id, zone_id=zone.id))


@bp.post("/<int:zone_id>/convener")
@login_required
def override_convener(unit_id: int, zone_id: int):
    zone = queries.county_zone(zone_id, Action.ZONES_MANAGE)
    member = db.session.get(Unit, request.form.get("unit_id", type=int) or 0)
    try:
        if member is None:
            raise InvalidInput({"unit_id": [_("召集人须是本协作区的成员单位")]})
        ops.override_convener(zone, member, request.form.get("reason", ""))
    except InvalidInput as exc:
        db.session.rollback()
        return _render_zone(zone, errors=exc.errors, form=request.form)
    flash(_("召集人已调整为 %(unit)s", unit=member.name), "success")
    return redirect(url_for("zones.show", unit_id=g.unit.id, zone_id=zone.id))


def _render_term(term: ConvenerTerm, zone: Zone, *, errors: dict | None = None, form=None):
    unit = g.unit
    return render_template("zones/term.html", **_common(
        zone=zone, term=term, member=db.session.get(Unit, term.unit_id),
        convener=queries.accounts_by_id([term.account_id]).get(term.account_id),
        reporter=queries.accounts_by_id([term.report_by_id]).get(term.report_by_id),
        may_read_report=zone.unit_id == unit.id or term.unit_id == unit.id,
        zone_link=queries.sees_zone(zone, unit),
        may_report=term.unit_id == unit.id and can(current_user, Action.ZONES_CONVENE, unit),
        errors=errors or {}, form=form or {})), 422 if errors else 200


@bp.get("/<int:zone_id>/terms/<int:term_id>")
@login_required
def term_page(unit_id: int, zone_id: int, term_id: int):
    """One convener's term and its written report (the convener submits it here when asked)."""
    term, zone = queries.load_term(zone_id, term_id)
    return _render_term(term, zone)


@bp.post("/<int:zone_id>/terms/<int:term_id>/report")
@login_required
def term_report(unit_id: int, zone_id: int, term_id: int):
    """The convener's written report at the end of its term, received by the county."""
    term, zone = queries.load_term(zone_id, term_id)
    term = queries.own(term, Action.ZONES_CONVENE)  # the convening unit's report
    try:
        ops.submit_term_report(term, request.form.get("body", ""), expected_version=_version())
    except InvalidInput as exc:
        db.session.rollback()
        return _render_term(term, zone, errors=exc.errors, form=request.form)
    flash(_("任期工作报告已报送县纪委监委"), "success")
    return redirect(url_for("zones.term_page", unit_id=g.unit.id, zone_id=zone.id, term_id=term.id))


# ---------------------------------------------------------------- joint meetings


@bp.route("/<int:zone_id>/meetings/new", methods=["GET", "POST"])
@login_required
def new_meeting(unit_id: int, zone_id: int):
    """The current convener calls a joint meeting (联席会议)."""
    zone = queries.load_zone(zone_id)
    if not queries.is_convener(zone, g.unit) or zone.archived_at is not None:
        deny(Action.ZONES_CONVENE, unit=g.unit, object_type="zones", object_id=zone.id)
    ensure(current_user, Action.ZONES_CONVENE, g.unit, object_type="zones", object_id=zone.id)
    attendees = queries.default_attendees(zone)
    errors: dict = {}
    if request.method == "POST":
        form = request.form
        chosen = form.getlist("attendee_unit_ids")
        try:
            meeting = ops.schedule_meeting(zone, g.unit, title=form.get("title", ""), held_on=form.get("held_on"),
                                           place=form.get("place", ""), agenda=form.get("agenda", ""),
                                           attendee_unit_ids=chosen)
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已召集联席会议：%(t)s", t=meeting.title), "success")
            return redirect(url_for("zones.meeting", unit_id=g.unit.id, zone_id=zone.id, meeting_id=meeting.id))
    else:
        form = {"held_on": calendar.today().isoformat()}
        chosen = [str(a["unit_id"]) for a in attendees]
    return render_template("zones/meeting_form.html", **_common(
        zone=zone, form=form, errors=errors, attendees=attendees, chosen=chosen,
        ROLE_LABELS=ATTENDEE_ROLE_LABELS)), 422 if errors else 200


def _render_meeting(zone: Zone, meeting: JointMeeting, *, errors: dict | None = None, form=None):
    unit = g.unit
    is_owner = zone.unit_id == unit.id
    decisions = meeting.decisions
    tasks = {line.item.id: line.item for line in queries.decision_tasks(zone, unit) if line.item is not None}
    member_units = queries.units_by_id([m.unit_id for m in queries.current_members(zone)]
                                       + [e["unit_id"] for d in decisions for e in d.task_units])
    return render_template("zones/meeting.html", **_common(
        zone=zone, meeting=meeting, decisions=decisions, items=tasks, units=member_units,
        members=queries.current_members(zone), is_owner=is_owner, ROLE_LABELS=ATTENDEE_ROLE_LABELS,
        ITEM_FLOW=ITEM_FLOW, decision_rows=range(1, DECISION_ROWS + 1), errors=errors or {}, form=form or {},
        may_record=(meeting.unit_id == unit.id and meeting.state == "scheduled"
                    and can(current_user, Action.ZONES_CONVENE, unit)),
        may_issue=is_owner and can(current_user, Action.ZONES_GRANT, unit))), 422 if errors else 200


@bp.get("/<int:zone_id>/meetings/<int:meeting_id>")
@login_required
def meeting(unit_id: int, zone_id: int, meeting_id: int):
    zone = queries.load_zone(zone_id)
    return _render_meeting(zone, queries.load_meeting(zone, meeting_id))


@bp.post("/<int:zone_id>/meetings/<int:meeting_id>/minutes")
@login_required
def minutes(unit_id: int, zone_id: int, meeting_id: int):
    """The convener records the minutes and the decisions (each may name member units and a deadline)."""
    zone = queries.load_zone(zone_id)
    meeting_ = queries.own(queries.load_meeting(zone, meeting_id), Action.ZONES_CONVENE)  # the convener's meeting
    form = request.form
    decisions = [{"text": form.get(f"decision_{i}_text", ""), "unit_ids": form.getlist(f"decision_{i}_units"),
                  "due_on": form.get(f"decision_{i}_due") or None} for i in range(1, DECISION_ROWS + 1)]
    try:
        ops.record_minutes(meeting_, minutes=form.get("minutes", ""), decisions=decisions,
                           expected_version=_version())
    except InvalidInput as exc:
        db.session.rollback()
        return _render_meeting(zone, meeting_, errors=exc.errors, form=form)
    flash(_("会议纪要已记录"), "success")
    return redirect(url_for("zones.meeting", unit_id=g.unit.id, zone_id=zone.id, meeting_id=meeting_.id))


@bp.post("/<int:zone_id>/meetings/<int:meeting_id>/decisions/<int:decision_id>/tasks")
@login_required
def decision_tasks(unit_id: int, zone_id: int, meeting_id: int, decision_id: int):
    """The county leader turns a decision into tasks (督办件 of kind task) for its named members."""
    zone = queries.county_zone(zone_id, Action.ZONES_GRANT)
    meeting_ = queries.load_meeting(zone, meeting_id)
    decision = queries.load_decision(meeting_, decision_id)
    try:
        items = ops.issue_decision_tasks(decision)
    except InvalidInput as exc:
        _flash_errors(exc)
        return redirect(url_for("zones.meeting", unit_id=g.unit.id, zone_id=zone.id, meeting_id=meeting_.id)), 303
    flash(_("已交办 %(n)s 个任务：%(numbers)s", n=len(items), numbers="、".join(i.number for i in items)), "success")
    return redirect(url_for("zones.meeting", unit_id=g.unit.id, zone_id=zone.id, meeting_id=meeting_.id))


# ---------------------------------------------------------------- cross-handling grants


@bp.get("/grants")
@login_required
def grants(unit_id: int):
    """The county's grants, or at a township the grants naming the account (我的交叉办案/检查)."""
    unit = g.unit
    ensure(current_user, Action.ZONES_READ, unit, target=unit)
    found = queries.grants_for(unit, current_user.id, all_of_unit=can(current_user, Action.ZONES_GRANTS_ALL, unit))
    units = queries.units_by_id([x.grantee_unit_id for x in found] + [x.owner_unit_id for x in found])
    accounts = queries.accounts_by_id([a for x in found for a in (x.grantee_account_ids or [])])
    return render_template("zones/grants.html", **_common(grants=found, units=units, accounts=accounts,
                                                          RECORD_FLOWS=RECORD_FLOWS))


def _grant_form() -> dict:
    form = request.form
    return {"grantee_unit_id": form.get("grantee_unit_id", ""), "owner_unit_id": form.get("owner_unit_id", ""),
            "number": form.get("number", ""), "scope": form.get("scope", ""),
            "transitions": form.getlist("transitions"), "purpose": form.get("purpose", ""),
            "starts_on": form.get("starts_on", ""), "ends_on": form.get("ends_on", ""),
            "grantee_account_ids": form.getlist("grantee_account_ids")}


@bp.route("/grants/new", methods=["GET", "POST"])
@login_required
def new_grant(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.ZONES_GRANT, unit, target=unit)
    errors: dict = {}
    if request.method == "POST":
        form = _grant_form()
        try:
            grant = ops.grant_cross_access(unit, **{**form, "transitions": form["transitions"] or None})
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已授权：%(scope)s %(label)s", scope=grant.scope_label, label=grant.object_label), "success")
            return redirect(url_for("zones.show", unit_id=unit.id, zone_id=grant.zone_id))
    else:
        today = calendar.today().isoformat()
        form = {"scope": request.args.get("scope", "inspect"), "starts_on": today,
                "grantee_unit_id": request.args.get("grantee", ""), "owner_unit_id": request.args.get("owner", ""),
                "transitions": [], "grantee_account_ids": []}
    townships = [u for c in queries.zones_of_county(unit) if c.kind == ZoneKind.TOWNSHIP
                 for u in queries.units_by_id(m.unit_id for m in queries.current_members(c)).values()]
    townships.sort(key=lambda u: (u.code, u.id))
    staff = {u.id: queries.accounts_of(u) for u in townships}
    steps = {kind: [(s, RECORD_FLOWS[kind].step_label(s)) for s in allowed]
             for kind, allowed in ops.CROSS_HANDLE_STEPS.items()}
    return render_template("zones/grant_form.html", **_common(
        form=form, errors=errors, townships=townships, staff=staff, steps=steps,
        zone_of={u.id: queries.zone_of(u) for u in townships})), 422 if errors else 200


@bp.post("/grants/<int:grant_id>/revoke")
@login_required
def revoke_grant(unit_id: int, grant_id: int):
    grant = queries.own(queries.load_grant(grant_id), Action.ZONES_GRANT)  # the county's grant, not the grantee's
    ops.revoke_grant(grant, request.form.get("reason", ""), expected_version=_version())
    flash(_("已撤销授权：%(label)s", label=grant.object_label), "success")
    return redirect(request.form.get("next") if (request.form.get("next") or "").startswith(f"/u/{g.unit.id}/zones")
                    else url_for("zones.show", unit_id=g.unit.id, zone_id=grant.zone_id))


# ---------------------------------------------------------------- cross-inspection rounds


@bp.post("/<int:zone_id>/rounds")
@login_required
def open_round(unit_id: int, zone_id: int):
    zone = queries.county_zone(zone_id, Action.ZONES_GRANT)
    form = request.form
    checklist = [line for line in form.get("checklist", "").splitlines() if line.strip()]
    try:
        if zone.archived_at is not None:
            raise InvalidInput({"_schema": [_("协作区已撤销")]})
        round_ = ops.open_round(zone, title=form.get("title", ""), starts_on=form.get("starts_on"),
                                ends_on=form.get("ends_on"), checklist=checklist)
    except InvalidInput as exc:
        db.session.rollback()
        return _render_zone(zone, errors=exc.errors, form=form)
    flash(_("已开展交叉检查：%(t)s", t=round_.title), "success")
    return redirect(url_for("zones.round_page", unit_id=g.unit.id, round_id=round_.id))


def _render_round(round_: InspectionRound, zone: Zone, *, errors: dict | None = None, form=None):
    unit = g.unit
    pairs = queries.pairs_of(round_, unit)
    granted = {p.id: queries.round_grants(round_, p.unit_id) for p in pairs}
    units = queries.units_by_id([p.unit_id for p in pairs] + [p.inspected_unit_id for p in pairs])
    rectifications = queries.items_by_id(f.rectification_item_id for p in pairs for f in p.findings)
    return render_template("zones/round.html", **_common(
        round=round_, zone=zone, pairs=pairs, granted=granted, units=units, is_owner=round_.unit_id == unit.id,
        rectifications=rectifications,
        may_inspect=can(current_user, Action.ZONES_INSPECT, unit),
        may_grant=round_.unit_id == unit.id and can(current_user, Action.ZONES_GRANT, unit),
        ITEM_FLOW=ITEM_FLOW, errors=errors or {}, form=form or {})), 422 if errors else 200


@bp.get("/rounds/<int:round_id>")
@login_required
def round_page(unit_id: int, round_id: int):
    round_, zone = queries.load_round(round_id)
    return _render_round(round_, zone)


@bp.post("/rounds/<int:round_id>/pairs/<int:pair_id>/findings")
@login_required
def file_findings(unit_id: int, round_id: int, pair_id: int):
    """The inspector's checklist answers and problems per case, and its summary; they go to the county."""
    round_, zone = queries.load_round(round_id)
    pair = queries.own(queries.load_pair(round_, pair_id), Action.ZONES_INSPECT)  # the inspector's pairing
    form = request.form
    findings = []
    for case_id in form.getlist("case_ids"):
        answers = {item: form.get(f"case_{case_id}_item_{i}") == "1" for i, item in enumerate(round_.checklist)}
        findings.append({"clearing_case_id": case_id, "answers": answers,
                         "problem": form.get(f"case_{case_id}_problem", "")})
    try:
        ops.file_findings(pair, findings=findings, summary=form.get("summary", ""), expected_version=_version())
    except InvalidInput as exc:
        db.session.rollback()
        return _render_round(round_, zone, errors=exc.errors, form=form)
    flash(_("检查结果已报送县纪委监委"), "success")
    return redirect(url_for("zones.round_page", unit_id=g.unit.id, round_id=round_.id))


@bp.post("/rounds/<int:round_id>/pairs/<int:pair_id>/rectification")
@login_required
def rectification(unit_id: int, round_id: int, pair_id: int):
    """The county turns a pairing's problems into one rectification order (整改交办单) to the inspected member."""
    round_, zone = queries.load_round(round_id)
    pair = queries.load_pair(round_, pair_id)
    # ZONES_GRANT is a county's, and the round opened here only to its county and its members (never a county):
    # who may do it is who owns the round.
    ensure(current_user, Action.ZONES_GRANT, g.unit, object_type="inspection_pairs", object_id=pair.id)
    try:
        item = ops.issue_rectification(pair, due_on=request.form.get("due_on"))
    except InvalidInput as exc:
        db.session.rollback()
        return _render_round(round_, zone, errors=exc.errors, form=request.form)
    flash(_("已下发整改交办单 %(n)s", n=item.number), "success")
    return redirect(url_for("zones.round_page", unit_id=g.unit.id, round_id=round_.id))


@bp.post("/rounds/<int:round_id>/close")
@login_required
def close_round(unit_id: int, round_id: int):
    round_, _zone = queries.load_round(round_id)
    round_ = queries.own(round_, Action.ZONES_GRANT)  # the county's round
    ops.close_round(round_, expected_version=_version())
    flash(_("本轮交叉检查已结束，检查授权随之终止"), "success")
    return redirect(url_for("zones.round_page", unit_id=g.unit.id, round_id=round_.id))


# ---------------------------------------------------------------- inbox links


@register_link("convener_terms")
def _term_link(item, unit_id: int) -> str:
    term = db.session.scalar(select(ConvenerTerm).where(ConvenerTerm.id == item.object_id))
    return url_for("zones.term_page", unit_id=unit_id, zone_id=term.zone_id, term_id=term.id) if term else None


@register_link("joint_meetings")
def _meeting_link(item, unit_id: int) -> str:
    meeting_ = db.session.scalar(select(JointMeeting).where(JointMeeting.id == item.object_id))
    return url_for("zones.meeting", unit_id=unit_id, zone_id=meeting_.zone_id, meeting_id=meeting_.id) \
        if meeting_ else None


@register_link("inspection_pairs")
def _pair_link(item, unit_id: int) -> str:
    pair = db.session.scalar(select(InspectionPair).where(InspectionPair.id == item.object_id))
    return url_for("zones.round_page", unit_id=unit_id, round_id=pair.round_id) + f"#pair-{pair.id}" if pair else None


@register_link("inspection_rounds")
def _round_link(item, unit_id: int) -> str:
    return url_for("zones.round_page", unit_id=unit_id, round_id=item.object_id)
