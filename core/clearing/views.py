"""HTML pages of clearing names: the queue, the pool and batches, green-channel applications, a case
with its stage forms and timeline, the notice, a person's file, the visits, the conditions list."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core import calendar
from core.clearing import operations as ops
from core.clearing import queries
from core.clearing.models import (CHECKLIST, METHOD_LABELS, PRIORITY_LABELS, SUBJECT_LABELS, ClearingBatch,
                                  ClearingCandidate, ClearingCase, ClearingCondition, ClearingVisit)
from core.clearing.queries import allowed_steps, ensure_step, load_case, load_own
from core.clearing.workflow import CASE_FLOW, HIGHER_REVIEW_STEPS, OPEN, STAGE_LABELS, STAGES, stage_of
from core.documents import cn_date, docx_response, letterhead, render_docx
from core.errors import InvalidInput
from core.extensions import db
from core.inbox.links import register_link
from core.renditions.serve import pdf_download
from core.supervision.models import ProgressReport, SupervisionItem
from core.workflow import history
from tenants.access import Action, can, deny, ensure
from tenants.models import Unit
from tenants.queries import active_shares, purpose_label, share_access_log

bp = Blueprint("clearing", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/clearing")
PER_PAGE = 50
STEP_NAMES = "any(" + ", ".join(t.name for t in CASE_FLOW.transitions) + ")"


# ---------------------------------------------------------------- forms


def step_data(form) -> dict:
    data = form.to_dict()
    data["conditions"] = form.getlist("conditions")
    data["priority_flags"] = form.getlist("priority_flags")
    return data


def _common() -> dict:
    return {"unit": g.unit, "flow": CASE_FLOW, "today": calendar.today(), "due_state": calendar.due_state,
            "DUE_LABELS": calendar.DUE_STATE_LABELS, "PRIORITY_LABELS": PRIORITY_LABELS,
            "STAGE_LABELS": STAGE_LABELS, "STAGES": STAGES, "stage_of": stage_of, "OPEN": OPEN,
            "SUBJECT_LABELS": SUBJECT_LABELS, "METHOD_LABELS": METHOD_LABELS, "CHECKLIST": CHECKLIST,
            "may_handle": can(current_user, Action.CLEARING_HANDLE, g.unit),
            "may_decide": can(current_user, Action.CLEARING_DECIDE, g.unit)}


# ---------------------------------------------------------------- the queue and the ledger


@bp.get("")
@login_required
def index(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.CLEARING_READ, unit, target=unit)
    f = queries.QueueFilter.from_args(request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    # The unit's queue shows its open petitions beside the clearing cases, for whoever may read both.
    with_petitions = can(current_user, Action.PETITIONS_READ, unit)
    kind = request.args.get("kind", "all") if with_petitions else "clearing"
    kind = kind if kind in queries.QUEUE_KINDS else "all"
    rows, total = queries.mixed_queue_page(unit, f, page, PER_PAGE, kind=kind)
    return render_template("clearing/index.html", **_common(), rows=rows, total=total, page=page,
                           pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), f=f, batches=queries.batches(unit),
                           escalated=queries.escalated_to(unit), args=request.args.to_dict(), kind=kind,
                           with_petitions=with_petitions)


@bp.get("/ledger.xlsx")
@login_required
def ledger(unit_id: int):
    """澄清正名台账: an older link, now the export of the queue's ledger (counted, audited, a job when long)."""
    return redirect(url_for("exports.confirm", unit_id=unit_id, kind="clearing", **request.args.to_dict()))


# ---------------------------------------------------------------- green channel


@bp.route("/applications/new", methods=["GET", "POST"])
@login_required
def apply(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.CLEARING_HANDLE, unit, target=unit)
    errors: dict = {}
    form = request.form if request.method == "POST" else {"applied_on": calendar.today().isoformat()}
    if request.method == "POST":
        try:
            case = ops.register_application(unit, step_data(request.form))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已登记澄清申请 %(n)s，须在 %(d)s 前答复", n=case.number, d=case.due_on.isoformat()), "success")
            return redirect(url_for("clearing.case", unit_id=unit.id, case_id=case.id))
    return render_template("clearing/apply.html", **_common(), errors=errors, form=form,
                           flags=request.form.getlist("priority_flags")), 422 if errors else 200


# ---------------------------------------------------------------- a case


def _timeline(case: ClearingCase) -> list[dict]:
    """Every stage, supervision check, item and progress report, and visit of the case, oldest first."""
    entries = [{"at": h.occurred_at, "kind": "step", "label": CASE_FLOW.step_label(h.transition),
                "state": CASE_FLOW.label(h.to_state), "by": h.account.display_name if h.account else "",
                "reason": h.reason} for h in history("clearing_cases", case.id)]
    items = db.session.scalars(select(SupervisionItem).where(SupervisionItem.subject_type == "clearing_cases",
                                                             SupervisionItem.subject_id == case.id)).all()
    for item in items:
        entries.append({"at": item.created_at, "kind": "supervision", "item": item,
                        "label": item.check_phase_label or item.kind_label,
                        "text": (item.inspection or {}).get("findings") or item.title})
    if items:
        for report in db.session.scalars(select(ProgressReport).where(
                ProgressReport.item_id.in_([i.id for i in items]))):
            entries.append({"at": report.reported_at, "kind": "report",
                            "label": _("办结报告") if report.final else _("进展报告"), "text": report.body})
    for visit in case.visits:
        if visit.done:
            entries.append({"at": visit.updated_at, "kind": "visit", "label": _("回访（%(k)s）", k=visit.kind_label),
                            "text": f"{visit.visited_on.isoformat()} {visit.visitors}"})
    return sorted(entries, key=lambda e: e["at"])


def _render_case(case: ClearingCase, errors: dict | None = None, form=None, failed_step: str | None = None):
    owner = case.unit_id == g.unit.id
    steps = allowed_steps(case, g.unit, current_user)
    # The conditions list in force at the owner, for its staff and for a cross-handler's assessment.
    conditions = ops.conditions_for(db.session.get(Unit, case.unit_id)) if owner or "assess" in steps else []
    ticked = set((case.assessment or {}).get("conditions", []))
    negative = ops.negative_conditions(case)
    return render_template(
        "clearing/case.html", **_common(), case=case, owner=owner, steps=steps,
        share_purposes=[] if owner else sorted({purpose_label(s.purpose)
                                                for s in active_shares("clearing_cases", case.id)}),
        share_log=share_access_log("clearing_cases", case.id, case.unit_id, CASE_FLOW.step_label)
        if owner else None,
        owner_unit=db.session.get(Unit, case.unit_id), conditions=conditions, ticked=ticked, negative=negative,
        all_conditions={c.id: c for c in db.session.scalars(select(ClearingCondition).where(
            ClearingCondition.id.in_(ticked)))} if ticked else {},
        timeline=_timeline(case),
        errors=errors or {}, form=form or {}, failed_step=failed_step, visits=case.visits if owner else [],
        may_supervise=not owner and can(current_user, Action.SUPERVISION_ISSUE, g.unit),
    ), 422 if errors else 200


@bp.get("/cases/<int:case_id>")
@login_required
def case(unit_id: int, case_id: int):
    return _render_case(load_case(case_id, g.unit, current_user))


@bp.post(f"/cases/<int:case_id>/steps/<{STEP_NAMES}:step>")
@login_required
def step(unit_id: int, case_id: int, step: str):
    case = load_case(case_id, g.unit, current_user)
    share = ensure_step(case, step, g.unit, current_user)
    try:
        ops.take_step(case, step, step_data(request.form), acting_unit=g.unit, share=share,
                      expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        db.session.rollback()
        return _render_case(db.session.get(ClearingCase, case_id), exc.errors, request.form, step)
    flash(_("已办理：%(s)s", s=CASE_FLOW.step_label(step)), "success")
    if step in HIGHER_REVIEW_STEPS:
        return redirect(url_for("clearing.index", unit_id=unit_id))  # the share has ended with the review
    return redirect(url_for("clearing.case", unit_id=unit_id, case_id=case_id))


@bp.get("/cases/<int:case_id>/notice.docx")
@login_required
def notice(unit_id: int, case_id: int):
    """澄清通知书, numbered with the case's number (per unit and year)."""
    case, data = _notice(case_id)
    return docx_response(data, f"{case.number}澄清通知书.docx")


@bp.get("/cases/<int:case_id>/notice.pdf")
@login_required
def notice_pdf(unit_id: int, case_id: int):
    """The 澄清通知书 as PDF (converted by a job, cached): at once when made, else the page that waits for it."""
    case, data = _notice(case_id)
    return pdf_download(g.unit, "clearing_notice", case.id, data, f"{case.number}澄清通知书.pdf", Action.CLEARING_READ)


def _notice(case_id: int) -> tuple[ClearingCase, bytes]:
    case = load_case(case_id, g.unit, current_user, own=True)
    if case.state not in ("plan_approved", "cleared", "fed_back", "filed"):
        deny(Action.CLEARING_READ, unit=g.unit, object_type="clearing_cases", object_id=case_id)
    issued_on = case.cleared_on or calendar.today()
    return case, render_docx("clearing_notice", {
        "number": case.number, "person": case.person_name, "position": case.person_position or "—",
        "unit": case.person_work_unit or "—", "accusation": case.accusation, "finding": case.finding or "—",
        "issuer": g.unit.name, "issued_on": cn_date(issued_on)},
        letterhead=letterhead(g.unit.name, g.unit.level, issued_on, copies_to=case.person_work_unit or ""))


@bp.get("/cases/<int:case_id>/file")
@login_required
def person_file(unit_id: int, case_id: int):
    """一人一档 and the 廉政档案 entries: every clearing of the case's person in this unit, every visit."""
    case = load_own(ClearingCase, case_id, g.unit, current_user)
    cases, visits = queries.person_file(g.unit, case.person_key)
    return render_template("clearing/person.html", **_common(), case=case, cases=cases, visits=visits)


# ---------------------------------------------------------------- visits


@bp.get("/visits")
@login_required
def visits(unit_id: int):
    ensure(current_user, Action.CLEARING_READ, g.unit, target=g.unit)
    return render_template("clearing/visits.html", **_common(), visits=queries.visits_due(g.unit))


@bp.post("/visits/<int:visit_id>")
@login_required
def record_visit(unit_id: int, visit_id: int):
    visit = load_own(ClearingVisit, visit_id, g.unit, current_user, Action.CLEARING_HANDLE)
    try:
        ops.record_visit(visit, request.form.to_dict(), expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        db.session.rollback()
        return _render_case(db.session.get(ClearingCase, visit.case_id), exc.errors, request.form,
                            f"visit-{visit_id}")
    flash(_("回访已记录"), "success")
    return redirect(url_for("clearing.case", unit_id=unit_id, case_id=visit.case_id) + f"#visit-{visit_id}")


# ---------------------------------------------------------------- the pool and batches


@bp.get("/pool")
@login_required
def pool(unit_id: int):
    ensure(current_user, Action.CLEARING_READ, g.unit, target=g.unit)
    batches = queries.batches(g.unit)
    return render_template("clearing/pool.html", **_common(), candidates=queries.pool(g.unit), batches=batches,
                           progress={b.id: queries.batch_progress(b) for b in batches}, errors={}, form={})


@bp.route("/pool/new", methods=["GET", "POST"])
@login_required
def new_candidate(unit_id: int):
    ensure(current_user, Action.CLEARING_HANDLE, g.unit, target=g.unit)
    errors: dict = {}
    form = request.form if request.method == "POST" else {}
    if request.method == "POST":
        try:
            candidate = ops.record_candidate(g.unit, step_data(request.form))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已纳入备选库：%(p)s", p=candidate.person_name), "success")
            return redirect(url_for("clearing.pool", unit_id=unit_id))
    return render_template("clearing/candidate.html", **_common(), errors=errors, form=form,
                           flags=request.form.getlist("priority_flags")), 422 if errors else 200


def _back_to_pool(exc: InvalidInput, unit_id: int):
    """A refused step on a candidate: nothing saved, the reasons on the pool page."""
    db.session.rollback()
    for message in exc.messages:
        flash(message, "error")
    return redirect(url_for("clearing.pool", unit_id=unit_id)), 303


@bp.post("/pool/<int:candidate_id>/flags")
@login_required
def candidate_flags(unit_id: int, candidate_id: int):
    candidate = load_own(ClearingCandidate, candidate_id, g.unit, current_user, Action.CLEARING_HANDLE)
    try:
        ops.set_candidate_flags(candidate, request.form.getlist("priority_flags"),
                                expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        return _back_to_pool(exc, unit_id)
    flash(_("已修改优先情形：%(r)s", r=candidate.reference), "success")
    return redirect(url_for("clearing.pool", unit_id=unit_id))


@bp.post("/pool/<int:candidate_id>/screen")
@login_required
def screen(unit_id: int, candidate_id: int):
    candidate = load_own(ClearingCandidate, candidate_id, g.unit, current_user, Action.CLEARING_HANDLE)
    accept = request.form.get("decision") == "accept"
    try:
        case = ops.screen_candidate(candidate, accept=accept, reason=request.form.get("reason", ""),
                                    expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        return _back_to_pool(exc, unit_id)
    if case is not None:
        flash(_("已纳入澄清：%(n)s", n=case.number), "success")
        return redirect(url_for("clearing.case", unit_id=unit_id, case_id=case.id))
    flash(_("已甄别为不适宜澄清"), "success")
    return redirect(url_for("clearing.pool", unit_id=unit_id))


@bp.post("/batches")
@login_required
def plan_batch(unit_id: int):
    ensure(current_user, Action.CLEARING_HANDLE, g.unit, target=g.unit)
    try:
        batch = ops.plan_batch(g.unit, request.form.to_dict(), request.form.getlist("candidate_ids", type=int))
    except InvalidInput as exc:
        db.session.rollback()
        batches = queries.batches(g.unit)
        return render_template("clearing/pool.html", **_common(), candidates=queries.pool(g.unit),
                               batches=batches, progress={b.id: queries.batch_progress(b) for b in batches},
                               errors=exc.errors, form=request.form), 422
    flash(_("已安排%(n)s批次", n=batch.name), "success")
    return redirect(url_for("clearing.batch", unit_id=unit_id, batch_id=batch.id))


@bp.get("/batches/<int:batch_id>")
@login_required
def batch(unit_id: int, batch_id: int):
    batch = load_own(ClearingBatch, batch_id, g.unit, current_user)
    candidates = db.session.scalars(select(ClearingCandidate).where(ClearingCandidate.batch_id == batch.id)).all()
    cases = db.session.scalars(select(ClearingCase).where(ClearingCase.batch_id == batch.id)
                               .order_by(ClearingCase.id)).all()
    return render_template("clearing/batch.html", **_common(), batch=batch, candidates=candidates, cases=cases,
                           progress=queries.batch_progress(batch))


# ---------------------------------------------------------------- the conditions list (正反清单)


@bp.route("/conditions", methods=["GET", "POST"])
@login_required
def conditions(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.CLEARING_READ, unit, target=unit)
    may_define = can(current_user, Action.CLEARING_CONDITIONS, unit)
    errors: dict = {}
    if request.method == "POST":
        ensure(current_user, Action.CLEARING_CONDITIONS, unit, target=unit)
        try:
            ops.add_condition(unit, negative=request.form.get("polarity") == "negative",
                              text=request.form.get("text", ""))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已加入正反清单"), "success")
            return redirect(url_for("clearing.conditions", unit_id=unit_id))
    return render_template("clearing/conditions.html", **_common(), conditions=ops.conditions_for(unit),
                           may_define=may_define, errors=errors, form=request.form), 422 if errors else 200


@bp.post("/conditions/<int:condition_id>/archive")
@login_required
def archive_condition(unit_id: int, condition_id: int):
    condition = load_own(ClearingCondition, condition_id, g.unit, current_user, Action.CLEARING_CONDITIONS)
    ops.archive_condition(condition)
    flash(_("已停用该条件"), "success")
    return redirect(url_for("clearing.conditions", unit_id=unit_id))


@register_link("clearing_cases")
def _case_link(item, unit_id: int) -> str:
    return url_for("clearing.case", unit_id=unit_id, case_id=item.object_id)


@register_link("clearing_visits")
def _visit_link(item, unit_id: int) -> str:
    visit = db.session.get(ClearingVisit, item.object_id)
    return url_for("clearing.case", unit_id=unit_id, case_id=visit.case_id) + f"#visit-{visit.id}"
