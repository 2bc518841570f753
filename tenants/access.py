"""The one place that answers "may this account do this here".

Every view, API endpoint, loader and job asks ``can``/``ensure``; nothing else decides.
Denials look like absence (404), never like a forbidden door (403), so a probe learns
nothing about other units. Anything not granted below is denied.
"""
from __future__ import annotations

from enum import StrEnum

from flask import abort, g, has_request_context
from sqlalchemy import select

from core.audit.operations import record as audit
from core.extensions import db
from core.identity.models import Account, PlatformRole
from core.models import with_loaded
from tenants.models import Membership, Role, Unit, UnitLevel


class Action(StrEnum):
    # Platform administration (三员).
    UNITS_MANAGE = "units.manage"  # system admin: create, rename, move, archive, import
    ACCOUNTS_MANAGE = "accounts.manage"  # system admin: create, reset password, archive
    ACCOUNTS_SECURE = "accounts.secure"  # security admin: unlock, reset 2FA, platform roles
    SESSIONS_MANAGE = "sessions.manage"  # security admin: 在线用户, the live login sessions, forced logout
    PARAMETERS_MANAGE = "parameters.manage"  # system admin: 参数设置, the working rules (deadlines, files)
    SECURITY_PARAMETERS = "parameters.security"  # security admin: 参数设置, lockout, sessions, passwords, tokens
    DICTIONARIES_MANAGE = "dictionaries.manage"  # system admin: 数据字典, the drop-down lists' entries
    AUDIT_READ = "audit.read"  # audit admin
    JOBS_STATUS = "jobs.status"  # system admin
    ACCOUNTS_VIEW = "accounts.view"  # system or security admin
    # Within a unit.
    WORKSPACE_ENTER = "workspace.enter"
    MEMBERSHIPS_MANAGE = "memberships.manage"  # security admin anywhere; unit admin of that unit
    UNIT_VIEW = "unit.view"  # see a unit's name and place in the tree
    ROLLUPS_READ = "rollups.read"  # numbers of a unit (and for leaders/analysts, its subtree)
    ROLLUPS_BREAKDOWN = "rollups.breakdown"  # a unit's numbers by child: drill-down, rankings, bulletins
    RECORDS_READ = "records.read"  # casework records of the unit
    INBOX_READ = "inbox.read"  # what awaits the account or its roles at the unit
    # Handlers (承办人) of the unit's records.
    HANDLERS_ASSIGN = "handlers.assign"  # leader: reassign a record's handler (with a reason), assign in bulk
    HANDLERS_WORKLOAD = "handlers.workload"  # leader: the unit's open and overdue records per handler
    # Downward flows (DESIGN.md: "downward items from U").
    DIRECTIVES_SEND = "directives.send"  # leader of a unit above township: send, forward, remind, close
    DIRECTIVES_TRACK = "directives.track"  # sender unit: tracking page, returns roll-up
    DIRECTIVES_RECEIVE = "directives.receive"  # receiving unit: read, acknowledge, submit returns
    SUPERVISION_ISSUE = "supervision.issue"  # leader: issue, accept, send back, close, admonition talk
    SUPERVISION_HANDLE = "supervision.handle"  # receiving unit: receive, report progress, answer, report done
    SUPERVISION_READ = "supervision.read"
    # Petitions (信访举报).
    PETITIONS_READ = "petitions.read"
    PETITIONS_REGISTER = "petitions.register"
    PETITIONS_HANDLE = "petitions.handle"  # verify, conclude, give the informant feedback
    PETITIONS_ROUTE = "petitions.route"  # intake and leaders: 转办/交办 to a unit below
    PETITIONS_LINKS = "petitions.links"  # whoever registers or handles: confirm or reject a proposed repeat link
    PETITIONS_CATEGORIES = "petitions.categories"  # leader of a province or city: the category taxonomy below it
    INFORMANT_REVEAL = "informant.reveal"  # intake and leaders of the receiving unit, with a reason
    REPLY_TEMPLATES_MANAGE = "petitions.reply_templates"  # leader: the unit's standard texts of the feedback (反馈)
    # Clearing names (澄清正名).
    CLEARING_READ = "clearing.read"
    CLEARING_HANDLE = "clearing.handle"  # pool, green channel, assess, plan, clear, feedback, file, visits
    CLEARING_DECIDE = "clearing.decide"  # leader: review, escalate, approve plans, decline, override a negative condition
    CLEARING_REVIEW_ESCALATED = "clearing.review_escalated"  # the higher unit's review 提级审核, through a share
    CLEARING_CONDITIONS = "clearing.conditions"  # leader of a province or city: the 正反清单 every unit below inherits
    # Leads (问题线索).
    LEADS_READ = "leads.read"
    LEADS_REGISTER = "leads.register"  # register a lead, convert one of the unit's petitions to a lead
    LEADS_DISPOSE = "leads.dispose"  # 谈话函询, 初步核实, 暂存待查
    LEADS_CLOSE = "leads.close"  # leader: the decision to close a lead (予以了结)
    # Cases (审查调查), the county's review (镇案县审) and the execution of sanctions (处分执行).
    CASES_READ = "cases.read"
    CASES_HANDLE = "cases.handle"  # open from a lead, the case file, submit for review, answer, execution steps
    CASES_REVIEW = "cases.review"  # reviewer 审理: the review opinion (own unit's cases; a township's through a share)
    CASES_DECIDE = "cases.decide"  # leader: the decision (决定), only after the review's 同意
    LEAD_REPORTS_READ = "leads.reports.read"  # a township's monthly reports (月报备); the county's case admin, leader
    LEAD_REPORTS_SUBMIT = "leads.reports.submit"  # township leader: submit (and resubmit) the month's report
    LEAD_REPORTS_RECEIVE = "leads.reports.receive"  # county case admin: receive (签收) or send back the reports below
    LEAD_REPORTS_SETTINGS = "leads.reports.settings"  # county case admin or leader: the day reports are due
    LEADS_FUNNEL = "leads.funnel"  # the county's funnel (一个漏斗): its case admin and leader
    LEAD_TRACKS_DECIDE = "leads.tracks.decide"  # county case admin: assign a reported lead its track
    LEAD_TRACKS_APPROVE = "leads.tracks.approve"  # county leader: approve a track taking a lead from a township
    # Villages (清廉村居): a township's villages, the county's ABC grading rounds, C villages' plans (一村一方案).
    VILLAGES_READ = "villages.read"  # the unit's villages, gradings, plans; the county's rounds and its gradings
    VILLAGES_MANAGE = "villages.manage"  # township leader/officer: villages, scores, plans, items, monthly reports
    VILLAGES_GRADE_OVERRIDE = "villages.grade_override"  # township leader: override a grade (with reason), regrade
    GRADING_ROUNDS_MANAGE = "villages.rounds.manage"  # county leader/officer: set and close a grading round
    GRADING_CONFIRM = "villages.rounds.confirm"  # county leader: confirm (or send back) the townships' grades
    # The backlog-zeroing campaign (信访积案动态清零).
    ZEROING_START = "zeroing.start"  # leader of the province: deploy the campaign
    ZEROING_READ = "zeroing.read"  # the unit's backlog ledger and its subtree's figures
    ZEROING_HANDLE = "zeroing.handle"  # adopt (包案), plan, leaders' visits, weekly close-out
    ZEROING_RECHECK = "zeroing.recheck"  # leader: draw and record 回头看 re-checks
    # Collaboration zones (协作区), run by a county over its townships and stationed groups.
    ZONES_MANAGE = "zones.manage"  # county leader or unit admin: zones, members, the convener rota
    ZONES_READ = "zones.read"  # the county's zones; a member's own zone (the loader checks membership)
    ZONES_GRANT = "zones.grant"  # county leader: cross-handling/inspection grants, inspection rounds, tasks
    ZONES_GRANTS_ALL = "zones.grants_all"  # the unit's leader: every grant to the unit, not only one's own
    # The workbench's audiences (tenants/workbench.py): whose panels an account sees at its unit.
    WORKBENCH_OWN = "workbench.own"  # an officer's own records (承办)
    WORKBENCH_DECISIONS = "workbench.decisions"  # a leader's: decisions waiting, items from above
    WORKBENCH_INTAKE = "workbench.intake"  # intake's: today's registrations, routings to follow
    WORKBENCH_INBOX = "workbench.inbox"  # the inbox's entries, for every role reading records
    WORKBENCH_FIGURES = "workbench.figures"  # the unit's and its children's figures
    ZONES_CONVENE = "zones.convene"  # the convening member's leader: joint meetings, the term report
    ZONES_INSPECT = "zones.inspect"  # a member's leaders and officers: file findings of a cross-inspection
    # Remote evidence (远程取证): video interviews of a witness whose procedure is enforced step by step.
    MEETINGS_READ = "meetings.read"  # county leader/officer/reviewer/case admin: tours, on-site meetings, issues
    MEETINGS_MANAGE = "meetings.manage"  # county leader/officer: tours, meetings, issues, categories, done
    MEETINGS_ASSIGNED = "meetings.assigned"  # township leader/officer: the issues registered with it (shared), done
    # 联系指导: the county's 纪检监察室 guiding its townships (office membership is checked by core.guidance's loaders).
    GUIDANCE_MANAGE = "guidance.manage"  # county leader or unit admin: offices, their members, the townships each guides
    GUIDANCE_READ = "guidance.read"  # county staff reading records: the guidance pages of the offices they belong to
    GUIDANCE_ALL = "guidance.all"  # county leader: every office's guidance page, not only those one belongs to
    GUIDANCE_LOG = "guidance.log"  # county leader/officer, members of the office: regular meetings, guidance visits
    GUIDANCE_RAISE = "guidance.raise"  # county leader: a visit's problems sent to the township as a rectification order
    EVIDENCE_READ = "evidence.read"
    EVIDENCE_CONDUCT = "evidence.conduct"  # plan an interview, confirm its steps (the two staff), finalise it
    EVIDENCE_CHECK = "evidence.check"  # case admin 案管: record the check (核查) of a finalised interview
    # 18项台账 (core.ledgers): the catalogue, a township's ledgers and their completeness, spot checks (随时抽查).
    LEDGERS_READ = "ledgers.read"  # a township's ledger list (numbers), the completeness of the townships below
    LEDGER_ROWS_READ = "ledgers.rows.read"  # a township's ledger rows and its ledgers' workbook
    LEDGERS_KEEP = "ledgers.keep"  # township leader/officer: enter and import rows of kept ledgers
    LEDGERS_DEFINE = "ledgers.define"  # leader of a province or city: the catalogue every unit below inherits
    SPOT_CHECKS_READ = "ledgers.spot_checks.read"  # the county's checks; the township's checks of its ledgers
    SPOT_CHECKS_DRAW = "ledgers.spot_checks.draw"  # county leader/officer: draw a check; the checker records findings
    # The guidance case library (典型案例 · 指导案例): published downward by a province or city, anonymised.
    CASEBOOK_READ = "casebook.read"  # every role reading records: search the cases published above, link 参照案例
    CASEBOOK_PUBLISH = "casebook.publish"  # leader of a province or city: publish, edit, withdraw; publish proposals
    CASEBOOK_PROPOSE = "casebook.propose"  # leader/officer of a unit below the province: propose a case upward
    # The reception room (轮流坐班接访 · 三访合一): its rota by working day and the receptions of any unit.
    RECEPTION_READ = "reception.read"  # leader/officer/intake: the rota, the receptions (the person masked)
    RECEPTION_LOG = "reception.log"  # leader/officer/intake: log a reception (接访、下访、约访)
    RECEPTION_ROTA = "reception.rota"  # leader: set the month's rota, record swaps
    # Reporting.
    INDICATORS_DEFINE = "indicators.define"  # leader of a province or city: weighted indicators over the figures
    BULLETINS_BUILD = "bulletins.build"  # leader of a unit above township: a bulletin of a past period
    # Platform configuration.
    CALENDAR_MANAGE = "calendar.manage"  # system admin: official holiday dates the package lacks


PLATFORM_GRANTS = {
    PlatformRole.SYSTEM: {Action.UNITS_MANAGE, Action.ACCOUNTS_MANAGE, Action.JOBS_STATUS, Action.ACCOUNTS_VIEW,
                          Action.UNIT_VIEW, Action.CALENDAR_MANAGE, Action.PARAMETERS_MANAGE,
                          Action.DICTIONARIES_MANAGE},
    PlatformRole.SECURITY: {Action.ACCOUNTS_SECURE, Action.MEMBERSHIPS_MANAGE, Action.ACCOUNTS_VIEW,
                            Action.UNIT_VIEW, Action.SESSIONS_MANAGE, Action.SECURITY_PARAMETERS},
    PlatformRole.AUDIT: {Action.AUDIT_READ, Action.UNIT_VIEW},
}

# Roles whose roll-ups cover the whole subtree (DESIGN.md access matrix); others see their unit only.
SUBTREE_ROLLUP_ROLES = {Role.LEADER, Role.ANALYST}
RECORD_READERS = {Role.LEADER, Role.OFFICER, Role.INTAKE, Role.REVIEWER, Role.CASE_ADMIN}
# Unit-level grants of the casework matrix; anything absent is denied.
ROLE_GRANTS = {
    Action.INBOX_READ: RECORD_READERS | {Role.ANALYST, Role.UNIT_ADMIN},
    Action.HANDLERS_ASSIGN: {Role.LEADER},
    Action.HANDLERS_WORKLOAD: {Role.LEADER},
    Action.DIRECTIVES_TRACK: {Role.LEADER, Role.OFFICER},  # analysts: figures only (DESIGN's matrix)
    Action.DIRECTIVES_RECEIVE: {Role.LEADER, Role.OFFICER, Role.CASE_ADMIN},
    Action.SUPERVISION_ISSUE: {Role.LEADER},
    Action.SUPERVISION_HANDLE: {Role.LEADER, Role.OFFICER},
    Action.SUPERVISION_READ: {Role.LEADER, Role.OFFICER, Role.REVIEWER, Role.CASE_ADMIN},
    Action.PETITIONS_READ: {Role.LEADER, Role.OFFICER, Role.INTAKE, Role.REVIEWER, Role.CASE_ADMIN},
    Action.PETITIONS_REGISTER: {Role.INTAKE, Role.OFFICER},
    Action.PETITIONS_HANDLE: {Role.LEADER, Role.OFFICER},
    Action.PETITIONS_ROUTE: {Role.INTAKE, Role.LEADER},
    Action.PETITIONS_LINKS: {Role.INTAKE, Role.OFFICER, Role.LEADER},
    Action.INFORMANT_REVEAL: {Role.INTAKE, Role.LEADER},
    Action.REPLY_TEMPLATES_MANAGE: {Role.LEADER},
    Action.CLEARING_READ: {Role.LEADER, Role.OFFICER, Role.REVIEWER, Role.CASE_ADMIN},
    Action.CLEARING_HANDLE: {Role.LEADER, Role.OFFICER},
    Action.CLEARING_DECIDE: {Role.LEADER},
    Action.CLEARING_REVIEW_ESCALATED: {Role.LEADER, Role.REVIEWER},
    Action.LEADS_READ: {Role.LEADER, Role.OFFICER, Role.INTAKE, Role.REVIEWER, Role.CASE_ADMIN},
    Action.LEADS_REGISTER: {Role.INTAKE, Role.OFFICER, Role.CASE_ADMIN},
    Action.LEADS_DISPOSE: {Role.LEADER, Role.OFFICER},
    Action.LEADS_CLOSE: {Role.LEADER},
    Action.CASES_READ: {Role.LEADER, Role.OFFICER, Role.REVIEWER, Role.CASE_ADMIN},
    Action.CASES_HANDLE: {Role.LEADER, Role.OFFICER},
    Action.CASES_REVIEW: {Role.REVIEWER},
    Action.CASES_DECIDE: {Role.LEADER},
    Action.VILLAGES_READ: {Role.LEADER, Role.OFFICER, Role.REVIEWER, Role.CASE_ADMIN},
    Action.ZEROING_READ: {Role.LEADER, Role.OFFICER, Role.INTAKE},
    Action.ZEROING_HANDLE: {Role.LEADER, Role.OFFICER, Role.INTAKE},
    Action.ZEROING_RECHECK: {Role.LEADER},
    Action.ZONES_CONVENE: {Role.LEADER},
    Action.ZONES_INSPECT: {Role.LEADER, Role.OFFICER},
    Action.EVIDENCE_READ: {Role.LEADER, Role.OFFICER, Role.REVIEWER, Role.CASE_ADMIN},
    Action.EVIDENCE_CONDUCT: {Role.LEADER, Role.OFFICER},
    Action.EVIDENCE_CHECK: {Role.CASE_ADMIN},
    Action.LEDGERS_READ: RECORD_READERS | {Role.ANALYST},
    Action.LEDGER_ROWS_READ: RECORD_READERS,
    Action.SPOT_CHECKS_READ: RECORD_READERS,
    # Analysts read no casebook: a published case is anonymised by a check on names only, and what it still tells
    # (places, posts, dates) may point to a person; they see its figures (casebook.published).
    Action.CASEBOOK_READ: RECORD_READERS,
    Action.RECEPTION_READ: {Role.LEADER, Role.OFFICER, Role.INTAKE},
    Action.RECEPTION_LOG: {Role.LEADER, Role.OFFICER, Role.INTAKE},
    Action.RECEPTION_ROTA: {Role.LEADER},
    Action.ZONES_GRANTS_ALL: {Role.LEADER},
    Action.WORKBENCH_OWN: {Role.OFFICER},
    Action.WORKBENCH_DECISIONS: {Role.LEADER},
    Action.WORKBENCH_INTAKE: {Role.INTAKE},
    Action.WORKBENCH_INBOX: RECORD_READERS,
    Action.WORKBENCH_FIGURES: {Role.LEADER, Role.ANALYST},
}


def active_memberships(account: Account) -> list[Membership]:
    """The account's current memberships in active units, cached for the request."""
    cache = g.setdefault("_memberships", {}) if has_request_context() else {}
    if account.id not in cache:
        # The units in the same statement (every caller reads membership.unit): one query, not one per unit.
        cache[account.id] = [
            with_loaded(membership, unit=unit) for membership, unit in db.session.execute(
                select(Membership, Unit)
                .join(Unit, Unit.id == Membership.unit_id)
                .where(Membership.account_id == account.id, Membership.ended_at.is_(None), Unit.archived_at.is_(None))
                .order_by(Unit.path, Membership.role)
            )
        ]
    return cache[account.id]


def forget_cached_memberships() -> None:
    if has_request_context():
        g.pop("_memberships", None)


def roles_at(account: Account, unit: Unit) -> set[Role]:
    return {Role(m.role) for m in active_memberships(account) if m.unit_id == unit.id}


def member_units(account: Account) -> list[Unit]:
    seen: dict[int, Unit] = {}
    for m in active_memberships(account):
        seen.setdefault(m.unit_id, m.unit)
    return list(seen.values())


def can(account, action: Action, unit: Unit | None = None, target: Unit | None = None) -> bool:
    """May ``account``, acting in ``unit``, do ``action`` (to ``target``, for unit-level questions)?"""
    if account is None or not getattr(account, "is_authenticated", False) or not account.is_active:
        return False
    if account.is_platform_admin:
        if action not in PLATFORM_GRANTS.get(PlatformRole(account.platform_role), set()):
            return False
        return True
    if unit is None or not unit.is_active:
        return False
    roles = roles_at(account, unit)
    if not roles:
        return False
    match action:
        case Action.WORKSPACE_ENTER:
            return True
        case Action.MEMBERSHIPS_MANAGE:
            return Role.UNIT_ADMIN in roles and (target is None or target.id == unit.id)
        case Action.UNIT_VIEW | Action.ROLLUPS_READ:
            if target is None or target.id == unit.id:
                return action == Action.UNIT_VIEW or bool(roles - {Role.UNIT_ADMIN})
            return bool(roles & SUBTREE_ROLLUP_ROLES) and unit.contains(target) and target.is_active
        case Action.ROLLUPS_BREAKDOWN:
            # Figures of the units below ``target``: only those who read the subtree of a unit holding it.
            target = target or unit
            return bool(roles & SUBTREE_ROLLUP_ROLES) and unit.contains(target) and target.is_active
        case Action.RECORDS_READ:
            return bool(roles & RECORD_READERS)
        case Action.DIRECTIVES_SEND | Action.BULLETINS_BUILD:
            # Townships are the bottom of the tree: nothing below them to steer.
            return Role.LEADER in roles and unit.level != UnitLevel.TOWNSHIP
        case Action.ZONES_MANAGE:
            return bool(roles & {Role.LEADER, Role.UNIT_ADMIN}) and unit.level == UnitLevel.COUNTY
        case Action.ZONES_GRANT:
            return Role.LEADER in roles and unit.level == UnitLevel.COUNTY
        case Action.ZONES_READ:
            # The county's staff see its zones; a member's staff see their own zone (the zone loader checks).
            if unit.level == UnitLevel.COUNTY:
                return True
            return bool(roles & {Role.LEADER, Role.OFFICER, Role.CASE_ADMIN})
        case Action.LEAD_REPORTS_READ:
            # A township's staff read its own reports; at the county, its case-management office and leaders. The
            # reports go from a township to its county only: a city or province has none to read.
            if unit.level not in (UnitLevel.COUNTY, UnitLevel.TOWNSHIP):
                return False
            readers = {Role.CASE_ADMIN, Role.LEADER} if unit.level == UnitLevel.COUNTY else {
                Role.LEADER, Role.OFFICER, Role.CASE_ADMIN}
            return bool(roles & readers)
        case Action.LEAD_REPORTS_SUBMIT:
            return Role.LEADER in roles and unit.level == UnitLevel.TOWNSHIP
        case Action.LEAD_REPORTS_RECEIVE | Action.LEAD_TRACKS_DECIDE:
            return Role.CASE_ADMIN in roles and unit.level == UnitLevel.COUNTY
        case Action.LEAD_REPORTS_SETTINGS | Action.LEADS_FUNNEL:
            return bool(roles & {Role.CASE_ADMIN, Role.LEADER}) and unit.level == UnitLevel.COUNTY
        case Action.LEAD_TRACKS_APPROVE:
            return Role.LEADER in roles and unit.level == UnitLevel.COUNTY
        case Action.MEETINGS_READ:
            # 现场办公会 are the county's inspection tours' (巡察): its staff read them.
            return bool(roles & {Role.LEADER, Role.OFFICER, Role.REVIEWER, Role.CASE_ADMIN}) and \
                unit.level == UnitLevel.COUNTY
        case Action.MEETINGS_MANAGE:
            return bool(roles & {Role.LEADER, Role.OFFICER}) and unit.level == UnitLevel.COUNTY
        case Action.MEETINGS_ASSIGNED:
            return bool(roles & {Role.LEADER, Role.OFFICER}) and unit.level == UnitLevel.TOWNSHIP
        case Action.GUIDANCE_MANAGE:
            return bool(roles & {Role.LEADER, Role.UNIT_ADMIN}) and unit.level == UnitLevel.COUNTY
        case Action.GUIDANCE_READ:
            return bool(roles & RECORD_READERS) and unit.level == UnitLevel.COUNTY
        case Action.GUIDANCE_LOG:
            return bool(roles & {Role.LEADER, Role.OFFICER}) and unit.level == UnitLevel.COUNTY
        case Action.GUIDANCE_ALL | Action.GUIDANCE_RAISE:
            return Role.LEADER in roles and unit.level == UnitLevel.COUNTY
        case Action.VILLAGES_MANAGE:
            return bool(roles & {Role.LEADER, Role.OFFICER}) and unit.level == UnitLevel.TOWNSHIP
        case Action.VILLAGES_GRADE_OVERRIDE:
            return Role.LEADER in roles and unit.level == UnitLevel.TOWNSHIP
        case Action.LEDGERS_KEEP:
            return bool(roles & {Role.LEADER, Role.OFFICER}) and unit.level == UnitLevel.TOWNSHIP
        case Action.LEDGER_ROWS_READ:
            return bool(roles & RECORD_READERS) and unit.level == UnitLevel.TOWNSHIP
        case Action.SPOT_CHECKS_DRAW:
            return bool(roles & {Role.LEADER, Role.OFFICER}) and unit.level == UnitLevel.COUNTY
        case Action.LEDGERS_DEFINE:
            return Role.LEADER in roles and unit.level in (UnitLevel.PROVINCE, UnitLevel.CITY)
        case Action.GRADING_ROUNDS_MANAGE:
            return bool(roles & {Role.LEADER, Role.OFFICER}) and unit.level == UnitLevel.COUNTY
        case Action.GRADING_CONFIRM:
            return Role.LEADER in roles and unit.level == UnitLevel.COUNTY
        case Action.ZEROING_START:
            return Role.LEADER in roles and unit.parent_id is None
        case Action.CASEBOOK_PUBLISH:
            return Role.LEADER in roles and unit.level in (UnitLevel.PROVINCE, UnitLevel.CITY)
        case Action.CASEBOOK_PROPOSE:
            return bool(roles & {Role.LEADER, Role.OFFICER}) and unit.parent_id is not None
        case Action.CLEARING_CONDITIONS | Action.PETITIONS_CATEGORIES | Action.INDICATORS_DEFINE:
            # The seed's 正反清单 and the problem categories are drawn up by the city (or province) and apply
            # to every unit below.
            return Role.LEADER in roles and unit.level in (UnitLevel.PROVINCE, UnitLevel.CITY)
    return bool(roles & ROLE_GRANTS.get(action, set()))


def rollup_vantage(account, target: Unit) -> Unit | None:
    """The unit of the account's memberships from which it may read ``target``'s roll-ups (the nearest
    one: its own unit, else the closest ancestor where it leads or analyses), or None."""
    if account is None or not getattr(account, "is_authenticated", False) or account.is_platform_admin:
        return None
    candidates = [m.unit for m in active_memberships(account) if m.unit.contains(target) or m.unit.id == target.id]
    for unit in sorted(candidates, key=lambda u: len(u.path), reverse=True):
        if can(account, Action.ROLLUPS_READ, unit, target):
            return unit
    return None


def ensure(account, action: Action, unit: Unit | None = None, target: Unit | None = None, *,
           object_type: str | None = None, object_id=None) -> None:
    """``can`` or 404, with the denial audited."""
    if not can(account, action, unit, target):
        deny(action, unit=unit, object_type=object_type or ("unit" if target else None),
             object_id=object_id if object_id is not None else getattr(target, "id", None))


def deny(action: str, *, unit: Unit | None = None, object_type: str | None = None, object_id=None):
    g.audit_denial = dict(action=str(action), unit_id=getattr(unit, "id", None), object_type=object_type,
                          object_id=object_id)
    abort(404)


def flush_denial_audit() -> None:
    """Record a denial noted during the request, in its own transaction (the request's rolled back)."""
    denial = g.pop("audit_denial", None) if has_request_context() else None
    if denial:
        db.session.rollback()
        audit(denial.pop("action"), outcome="denied", **denial)
        db.session.commit()
