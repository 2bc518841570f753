"""Cross-inspection rounds (交叉检查) of clearing work: each member of a township zone inspects the next one in
the rota's order through read grants, files its findings to the county, which turns a pairing's problems into
one rectification order to the inspected member."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from core import calendar, context
from core.audit.operations import record as audit
from core.clock import utcnow
from core.errors import InvalidInput, add_error
from core.extensions import db
from core.inbox import operations as inbox
from core.inbox.models import InboxKind
from core.models import check_version
from core.schemas import bounded_int
from core.supervision import operations as supervision_ops
from core.supervision.models import ItemKind
from core.zones import queries
from core.zones.models import (DEFAULT_CHECKLIST, CrossGrant, GrantScope, InspectionFinding, InspectionPair,
                               InspectionRound, Zone, ZoneKind)
from core.zones.operations.common import parse_day
from core.zones.operations.grants import about_own_officials, activate_grant, revoke_grant
from tenants import operations as tenancy_ops
from tenants.models import Role, Unit


def open_round(zone: Zone, *, title: str, starts_on, ends_on, checklist=None) -> InspectionRound:
    """A zone-wide cross-inspection of clearing: each member inspects the next one in the rota order (the
    last inspects the first), with read grants on the inspected member's open clearing cases."""
    errors: dict[str, list[str]] = {}
    county = db.session.get(Unit, zone.unit_id)
    title = (title or "").strip()
    if not title or len(title) > 200:
        add_error(errors, "title", _("检查名称不能为空，最长 200 个字"))
    start = parse_day(starts_on, errors, "starts_on", _("开始日期"))
    end = parse_day(ends_on, errors, "ends_on", _("结束日期"))
    if start and end and end < start:
        add_error(errors, "ends_on", _("结束日期不能早于开始日期"))
    elif start and start < calendar.today():
        add_error(errors, "starts_on", _("开始日期不能早于今天"))
    items = [c.strip() for c in (checklist if checklist is not None else DEFAULT_CHECKLIST) if (c or "").strip()]
    if not items:
        add_error(errors, "checklist", _("检查清单至少一项"))
    members = queries.current_members(zone)
    if len(members) < 2:
        add_error(errors, "_schema", _("协作区至少要有两个成员单位才能交叉检查"))
    if zone.kind != ZoneKind.TOWNSHIP:
        add_error(errors, "_schema", _("交叉检查澄清工作在乡镇协作区进行"))
    if errors:
        raise InvalidInput(errors)
    round_ = InspectionRound(unit_id=county.id, unit_path=county.path, zone_id=zone.id, title=title,
                             checklist=items, starts_on=start, ends_on=end, state="open",
                             created_by_id=context.current().account_id)
    db.session.add(round_)
    db.session.flush()
    units = [db.session.get(Unit, m.unit_id) for m in members]
    for i, inspector in enumerate(units):
        inspected = units[(i + 1) % len(units)]
        pair = InspectionPair(unit_id=inspector.id, unit_path=inspector.path, round_id=round_.id,
                              county_id=county.id, inspected_unit_id=inspected.id)
        db.session.add(pair)
        db.session.flush()
        inspectors = [a.id for a in queries.accounts_of(inspector)]
        for case in queries.open_clearing_cases(inspected):
            if not inspectors or about_own_officials(case, inspector):
                continue
            grant = CrossGrant(unit_id=county.id, unit_path=county.path, zone_id=zone.id,
                               grantee_unit_id=inspector.id, owner_unit_id=inspected.id,
                               object_type="clearing_cases", object_id=case.id, object_label=case.label,
                               scope=GrantScope.INSPECT, transitions="", purpose=title, starts_on=start,
                               ends_on=end, grantee_account_ids=inspectors, share_ids=[], round_id=round_.id,
                               granted_by_id=context.current().account_id)
            db.session.add(grant)
            db.session.flush()
            activate_grant(grant, calendar.today())
        inbox.post(inspector, f"zone_round:{round_.id}:{inspector.id}", kind=InboxKind.TASK,
                   object_type="inspection_pairs", object_id=pair.id, roles=(Role.LEADER, Role.OFFICER),
                   due_on=end, title=_("交叉检查：检查 %(unit)s 的澄清正名工作（%(t)s）", unit=inspected.name, t=title))
    audit("zone.round_open", unit_id=county.id, object_type="inspection_rounds", object_id=round_.id,
          detail={"zone": zone.id, "pairs": len(units)})
    return round_

def file_findings(pair: InspectionPair, *, findings: list[dict], summary: str,
                  expected_version: int | None = None) -> None:
    """The inspector's checklist answers and problems, per case inspected; they go to the county."""
    check_version(pair, expected_version)
    round_ = db.session.get(InspectionRound, pair.round_id)
    errors: dict[str, list[str]] = {}
    if pair.state == "filed":
        add_error(errors, "_schema", _("本轮检查结果已报送"))
    if round_.state != "open":
        add_error(errors, "_schema", _("本轮交叉检查已结束"))
    if not (summary or "").strip():
        add_error(errors, "summary", _("请填写检查情况小结"))
    granted = {g.object_id: g for g in db.session.scalars(
        select(CrossGrant).where(CrossGrant.round_id == round_.id, CrossGrant.grantee_unit_id == pair.unit_id))}
    rows = []
    for i, f in enumerate(findings or [], start=1):
        try:
            case_id = bounded_int(f.get("clearing_case_id"))
        except (TypeError, ValueError):
            case_id = None
        if case_id not in granted:
            add_error(errors, f"findings.{i}", _("第 %(n)s 条：不是本轮分配给你单位检查的案件", n=i))
            continue
        answers = {item: bool((f.get("answers") or {}).get(item)) for item in round_.checklist}
        rows.append((granted[case_id], answers, (f.get("problem") or "").strip()))
    if errors:
        raise InvalidInput(errors)
    for grant, answers, problem in rows:
        db.session.add(InspectionFinding(unit_id=pair.unit_id, unit_path=pair.unit_path, pair_id=pair.id,
                                         county_id=pair.county_id, clearing_case_id=grant.object_id,
                                         case_label=grant.object_label, answers=answers, problem=problem))
    pair.summary = summary.strip()
    pair.state = "filed"
    pair.filed_at = utcnow()
    pair.filed_by_id = context.current().account_id
    db.session.flush()
    inspector = db.session.get(Unit, pair.unit_id)
    inbox.close("inspection_pairs", pair.id, unit_id=pair.unit_id)
    problems = sum(1 for f in pair.findings if f.has_problem)
    inbox.post(db.session.get(Unit, pair.county_id), f"zone_round:{round_.id}:filed:{pair.id}",
               kind=InboxKind.TASK, object_type="inspection_rounds", object_id=round_.id, roles=(Role.LEADER,),
               title=_("%(unit)s 报送了交叉检查结果（发现问题 %(n)s 个）", unit=inspector.name, n=problems))
    tenancy_ops.bump_stat(inspector, "zones.cases_inspected", len(rows))
    tenancy_ops.bump_stat(inspector, "zones.cases_inspected", len(rows), calendar.today().isoformat())
    audit("zone.findings", unit_id=pair.unit_id, object_type="inspection_pairs", object_id=pair.id,
          detail={"findings": len(rows), "problems": problems})


def issue_rectification(pair: InspectionPair, *, due_on) -> object:
    """The county turns a pairing's problems into one rectification order (整改交办单) to the inspected member."""
    errors: dict[str, list[str]] = {}
    problems = [f for f in pair.findings if f.has_problem and f.rectification_item_id is None]
    if pair.state != "filed":
        add_error(errors, "_schema", _("检查结果尚未报送"))
    elif not problems:
        add_error(errors, "_schema", _("没有待交办整改的问题"))
    due = parse_day(due_on, errors, "due_on", _("整改期限"))
    if errors:
        raise InvalidInput(errors)
    round_ = db.session.get(InspectionRound, pair.round_id)
    county = db.session.get(Unit, pair.county_id)
    inspected = db.session.get(Unit, pair.inspected_unit_id)
    inspector = db.session.get(Unit, pair.unit_id)
    described = []
    for f in problems:
        failed = [item for item, ok in f.answers.items() if not ok]
        text = f"{f.case_label}：" + "；".join(([_("未达标：%(items)s", items="、".join(failed))] if failed else [])
                                              + ([f.problem] if f.problem else []))
        described.append({"description": text[:1000], "requirement": ""})
    item = supervision_ops.issue_item(
        county, inspected, kind=ItemKind.RECTIFICATION, due_on=due, problems=described,
        title=_("%(t)s 整改交办单（%(by)s 交叉检查发现）", t=round_.title, by=inspector.name)[:200])
    for f in problems:
        f.rectification_item_id = item.id
    audit("zone.rectification", unit_id=county.id, object_type="inspection_pairs", object_id=pair.id,
          detail={"item": item.id, "problems": len(problems)})
    return item


def close_round(round_: InspectionRound, *, expected_version: int | None = None) -> None:
    """End a round: its read grants end at once."""
    check_version(round_, expected_version)
    if round_.state == "closed":
        return
    round_.state = "closed"
    for grant in db.session.scalars(select(CrossGrant).where(CrossGrant.round_id == round_.id,
                                                             CrossGrant.revoked_at.is_(None))):
        revoke_grant(grant, _("交叉检查已结束"))
    audit("zone.round_close", unit_id=round_.unit_id, object_type="inspection_rounds", object_id=round_.id)
