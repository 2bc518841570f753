"""The exporters: each list or ledger that exports to xlsx, by kind.

An exporter names its sheet (the Chinese title), the Action reading the list needs, the filter
parameters the list takes, its header, the list's own statement (to count the rows) and the rows
themselves. Rows come from the areas' own code (``core.<area>.queries``), the same that the list
pages and their ``ledger.xlsx`` use, so a file has exactly the list's rows for the same filters.
Reporting imports casework here; casework never imports reporting.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from core import calendar
from core.cases import queries as case_queries
from core.clearing import queries as clearing_queries
from core.directives.models import Directive, DirectiveReceipt
from core.directives.operations import current_period
from core.directives.queries import phase_on
from core.evidence import queries as evidence_queries
from core.errors import InvalidInput
from core.extensions import db
from core.leads import queries as lead_queries
from core.ledgers import queries as ledger_queries
from core.meetings import queries as meeting_queries
from core.petitions import queries as petition_queries
from core.reception import queries as reception_queries
from core.supervision.models import SupervisionItem
from core.villages import queries as village_queries
from core.supervision.workflow import ITEM_FLOW
from core.zeroing import queries as zeroing_queries
from core.zeroing.models import PURPOSE as ZEROING
from tenants.access import Action, deny
from tenants.models import Unit
from tenants.scoping import load_scoped

MAX_PARAM = 100  # characters kept of one filter value


class NotVisible(LookupError):
    """A filter names something the acting unit cannot see (a campaign of another unit): answered 404."""


@dataclass(frozen=True)
class Exporter:
    kind: str
    title: object  # lazy Chinese title: the sheet's name and the file's
    action: Action  # what reading the list needs at the acting unit
    params: tuple[str, ...]  # the list's filter parameters (query arguments)
    header: Callable[[], list[str]]
    statement: Callable[[Unit, dict, date], Select]  # the list's own query, for counting
    rows: Callable[[Unit, dict, date], Iterable[list]]
    list_endpoint: str  # the list page, for the way back
    # For a list that belongs to a record (a campaign's ledger): loads it through the scoped loader when an
    # export is asked for, so a record the unit cannot see answers 404 (the job then reads it as the unit).
    check: Callable[[Unit, object, dict], None] | None = field(default=None)
    # For a list whose sheet depends on its filters (a kept ledger: the columns its catalogue types, its title):
    # (unit, filters) -> (sheet title, header), asked once ``check`` has passed. Else the title and ``header()``.
    sheet: Callable[[Unit, dict], tuple[str, list]] | None = field(default=None)

    def clean(self, args) -> dict[str, str]:
        """The filters as the export keeps them: this list's parameters only, as short strings."""
        kept = {}
        for key in self.params:
            value = args.get(key)
            value = "1" if value is True else "" if value in (None, False) else str(value).strip()[:MAX_PARAM]
            if value:
                kept[key] = value
        return kept

    def count(self, unit: Unit, filters: dict, today: date | None = None) -> int:
        stmt = self.statement(unit, filters, today or calendar.today())
        return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))

    def heading(self, unit: Unit, filters: dict) -> tuple[str, list]:
        """The sheet's title and its header row for these filters."""
        return self.sheet(unit, filters) if self.sheet else (str(self.title), self.header())

    def list_args(self, filters: dict) -> dict:
        """Arguments of the list page showing these rows."""
        return dict(filters)


# ---------------------------------------------------------------- petitions (信访举报登记台账)


def _petitions_statement(unit: Unit, filters: dict, today: date):
    return petition_queries.list_query(unit, petition_queries.PetitionFilter.from_args(MultiDict(filters)), today)


def _petitions_rows(unit: Unit, filters: dict, today: date):
    return petition_queries.ledger_rows(unit, petition_queries.PetitionFilter.from_args(MultiDict(filters)))


# ---------------------------------------------------------------- clearing (澄清正名台账)


def _clearing_statement(unit: Unit, filters: dict, today: date):
    return clearing_queries.queue_query(unit, clearing_queries.ledger_filter(MultiDict(filters)), today)


def _clearing_rows(unit: Unit, filters: dict, today: date):
    return clearing_queries.ledger_rows(unit, clearing_queries.ledger_filter(MultiDict(filters)))


# ---------------------------------------------------------------- zeroing (积案台账 of one campaign)


def campaign_of(filters: dict):
    """The zeroing campaign the filters name, as the acting unit sees it (its own or received), else NotVisible."""
    try:
        campaign_id = int(filters.get("campaign_id") or 0)
    except ValueError:
        raise NotVisible from None
    campaign = db.session.scalar(select(Directive).where(Directive.id == campaign_id, Directive.purpose == ZEROING))
    if campaign is None:
        raise NotVisible
    return campaign


def _zeroing_check(unit: Unit, account, filters: dict) -> None:
    campaign = load_scoped(Directive, filters.get("campaign_id"), unit=unit, account=account,
                           action=Action.ZEROING_READ)
    if campaign.purpose != ZEROING:
        deny(Action.ZEROING_READ, unit=unit, object_type="directives", object_id=campaign.id)


def _zeroing_statement(unit: Unit, filters: dict, today: date):
    f = zeroing_queries.LedgerFilter.from_args(MultiDict(filters))
    return zeroing_queries.ledger_query(campaign_of(filters), unit, f, today)


def _zeroing_rows(unit: Unit, filters: dict, today: date):
    f = zeroing_queries.LedgerFilter.from_args(MultiDict(filters))
    return zeroing_queries.ledger_rows(campaign_of(filters), unit, f, today)


# ---------------------------------------------------------------- supervision items (督办件)
# The list page (core.supervision.views.index) reads the same statement: items the unit issued or received.


def _supervision_statement(unit: Unit, filters: dict, today: date):
    return (select(SupervisionItem)
            .where(or_(SupervisionItem.unit_id == unit.id, SupervisionItem.recipient_unit_id == unit.id))
            .order_by(SupervisionItem.id.desc()))


def _supervision_header():
    return [_("方向"), _("编号"), _("类型"), _("事项"), _("督办单位/督办对象"), _("状态"), _("下发日期"), _("期限"),
            _("是否逾期"), _("办结时间")]


def _supervision_rows(unit: Unit, filters: dict, today: date):
    issued, received, yes = _("本单位下发"), _("上级督办本单位"), _("是")
    stmt = _supervision_statement(unit, filters, today).options(
        selectinload(SupervisionItem.unit), selectinload(SupervisionItem.recipient_unit))
    for item in db.session.scalars(stmt.execution_options(yield_per=500)):
        mine = item.unit_id == unit.id
        yield [issued if mine else received, item.number, item.kind_label, item.title,
               (item.recipient_unit if mine else item.unit).name, ITEM_FLOW.label(item.state), item.issued_on,
               item.due_on, yes if item.is_open and item.due_on and item.due_on < today else "",
               item.closed_at]  # an instant: the sheet writer shows it in the deployment's zone


# ---------------------------------------------------------------- directives (通知与专项活动)
# Two tables on the list page (core.directives.views.index), each behind its own Action.


def _received_statement(unit: Unit, filters: dict, today: date):
    return select(DirectiveReceipt).where(DirectiveReceipt.unit_id == unit.id).order_by(DirectiveReceipt.id.desc())


def _received_header():
    return [_("标题"), _("来自"), _("类型"), _("下发日期"), _("当前阶段"), _("签收"), _("签收时间"), _("本期报送")]


def _received_rows(unit: Unit, filters: dict, today: date):
    stmt = _received_statement(unit, filters, today).options(
        selectinload(DirectiveReceipt.directive).selectinload(Directive.unit),
        selectinload(DirectiveReceipt.directive).selectinload(Directive.phases))
    for receipt in db.session.scalars(stmt.execution_options(yield_per=500)):
        d = receipt.directive
        phase, period = phase_on(d, today), current_period(d, today)
        yield [d.title, d.unit.name, d.kind_label, d.sent_on, phase.name if phase else "", receipt.state_label,
               receipt.acknowledged_at, period.label if period else ""]


def _sent_statement(unit: Unit, filters: dict, today: date):
    return select(Directive).where(Directive.unit_id == unit.id).order_by(Directive.id.desc())


def _sent_header():
    return [_("标题"), _("类型"), _("下发日期"), _("状态"), _("需签收"), _("报送要求")]


def _sent_rows(unit: Unit, filters: dict, today: date):
    closed, running, yes, no = _("已结束"), _("进行中"), _("是"), _("否")
    for d in db.session.scalars(_sent_statement(unit, filters, today).execution_options(yield_per=500)):
        yield [d.title, d.kind_label, d.sent_on, closed if d.state == "closed" else running,
               yes if d.requires_ack else no, d.return_cadence or (str(d.return_due_on) if d.return_due_on else "")]


# ---------------------------------------------------------------- leads (问题线索处置台账)


def _leads_statement(unit: Unit, filters: dict, today: date):
    return lead_queries.list_query(unit, lead_queries.LeadFilter.from_args(MultiDict(filters)), today)


def _leads_rows(unit: Unit, filters: dict, today: date):
    return lead_queries.ledger_rows(unit, lead_queries.LeadFilter.from_args(MultiDict(filters)), today)


# ---------------------------------------------------------------- cases (审查调查台账)


def _cases_statement(unit: Unit, filters: dict, today: date):
    return case_queries.list_query(unit, case_queries.CaseFilter.from_args(MultiDict(filters)), today)


def _cases_rows(unit: Unit, filters: dict, today: date):
    return case_queries.ledger_rows(unit, case_queries.CaseFilter.from_args(MultiDict(filters)), today)


# ---------------------------------------------------------------- remote evidence (远程取证台账)


def _interviews_statement(unit: Unit, filters: dict, today: date):
    return evidence_queries.list_query(unit, evidence_queries.InterviewFilter.from_args(MultiDict(filters)))


def _interviews_rows(unit: Unit, filters: dict, today: date):
    return evidence_queries.ledger_rows(unit, evidence_queries.InterviewFilter.from_args(MultiDict(filters)))


# ---------------------------------------------------------------- a kept ledger (手工登记台账, core.ledgers)
# One ledger of the township's catalogue by its ``code`` (and an optional ``period``: 2026-11 or 2026): its typed
# columns and its rows, exactly as its page (core.ledgers.views.ledger) shows them.


def _kept_definition(unit: Unit, filters: dict):
    definition = ledger_queries.definition_of(unit, str(filters.get("code") or "")[:32])
    if definition is None or definition.kind != "kept":
        raise NotVisible
    return definition


def _kept_period(filters: dict):
    try:
        return ledger_queries.period_bounds(filters.get("period"))
    except ValueError:
        raise InvalidInput({"period": [_("期间应为年月（如 2026-11）或年份（如 2026）")]}) from None


def _kept_check(unit: Unit, account, filters: dict) -> None:
    """The ledger as the acting unit sees it: one of its catalogue's kept ledgers, else 404."""
    definition = ledger_queries.load_definition(unit, filters.get("code"), account)
    if definition.kind != "kept":
        deny(Action.LEDGER_ROWS_READ, unit=unit, object_type="ledger_definitions", object_id=definition.code)
    _kept_period(filters)


def _kept_fixed_header():
    """The columns every kept ledger has around its own (a sheet of one ledger has them all: ``_kept_sheet``)."""
    return [_("日期"), _("登记人"), _("登记方式")]


def _kept_sheet(unit: Unit, filters: dict):
    definition = _kept_definition(unit, filters)
    return definition.title, ledger_queries.kept_header(definition)


def _kept_statement(unit: Unit, filters: dict, today: date):
    return ledger_queries.kept_statement(unit, _kept_definition(unit, filters).code, *_kept_period(filters))


def _kept_rows(unit: Unit, filters: dict, today: date):
    return ledger_queries.kept_rows(unit, _kept_definition(unit, filters), *_kept_period(filters))


EXPORTERS: dict[str, Exporter] = {e.kind: e for e in (
    Exporter("petitions", _l("信访举报登记台账"), Action.PETITIONS_READ, ("state", "flag", "overdue", "q"),
             petition_queries.ledger_header, _petitions_statement, _petitions_rows, "petitions.index"),
    Exporter("clearing", _l("澄清正名台账"), Action.CLEARING_READ,
             ("stage", "priority", "batch_id", "overdue", "q", "open_only"),
             clearing_queries.ledger_header, _clearing_statement, _clearing_rows, "clearing.index"),
    Exporter("zeroing", _l("积案台账"), Action.ZEROING_READ, ("campaign_id", "state", "overdue", "sampled"),
             zeroing_queries.ledger_header, _zeroing_statement, _zeroing_rows, "zeroing.ledger", check=_zeroing_check),
    Exporter("supervision", _l("督办件台账"), Action.SUPERVISION_READ, (),
             _supervision_header, _supervision_statement, _supervision_rows, "supervision.index"),
    Exporter("directives_received", _l("收到的通知"), Action.DIRECTIVES_RECEIVE, (),
             _received_header, _received_statement, _received_rows, "directives.index"),
    Exporter("directives_sent", _l("本单位下发的通知"), Action.DIRECTIVES_TRACK, (),
             _sent_header, _sent_statement, _sent_rows, "directives.index"),
    Exporter("villages", _l("村（社区）评定台账"), Action.VILLAGES_READ, ("grade", "kind", "q", "archived"),
             village_queries.villages_header, village_queries.villages_statement, village_queries.villages_rows,
             "villages.index"),
    Exporter("village_plan_items", _l("一村一方案整改台账"), Action.VILLAGES_READ, ("state", "overdue"),
             village_queries.plan_items_header, village_queries.plan_items_statement,
             village_queries.plan_items_rows, "villages.index"),
    Exporter("meeting_issues", _l("现场办公会问题台账"), Action.MEETINGS_READ, ("state", "overdue", "tour_id", "category"),
             meeting_queries.issues_header, meeting_queries.issues_statement, meeting_queries.issues_rows,
             "meetings.index"),
    Exporter("remote_interviews", _l("远程取证台账"), Action.EVIDENCE_READ, ("state", "open", "unchecked"),
             evidence_queries.ledger_header, _interviews_statement, _interviews_rows, "evidence.index"),
    # 接访登记台账: whether the person received gave their name, never who they are.
    Exporter("reception", _l("接访登记台账"), Action.RECEPTION_READ,
             ("kind", "date_from", "date_to", "converted", "staff_id"),
             reception_queries.ledger_header, reception_queries.ledger_statement, reception_queries.ledger_rows,
             "reception.index"),
    Exporter("leads", _l("问题线索处置台账"), Action.LEADS_READ, ("state", "source", "overdue", "q", "open"),
             lead_queries.ledger_header, _leads_statement, _leads_rows, "leads.index"),
    Exporter("cases", _l("审查调查台账"), Action.CASES_READ, ("state", "q", "overdue", "self_handled", "open"),
             case_queries.ledger_header, _cases_statement, _cases_rows, "cases.index"),
    Exporter("ledger_kept", _l("手工登记台账"), Action.LEDGER_ROWS_READ, ("code", "period"),
             _kept_fixed_header, _kept_statement, _kept_rows, "ledgers.ledger", check=_kept_check, sheet=_kept_sheet),
)}


def ledger_dates() -> dict:
    """The column each exporter's rows are dated by, for the township's 18 ledgers (core.ledgers: rows this month,
    the last entry, current or stale): reporting/area.py registers these exporters as the ledgers' sources."""
    from core.cases.models import Case
    from core.clearing.models import ClearingCase
    from core.directives.models import DirectiveReceipt
    from core.evidence.models import RemoteInterview
    from core.leads.models import Lead
    from core.petitions.models import Petition
    from core.villages.models import Village, VillagePlanItem

    dates = {"petitions": Petition.received_on, "clearing": ClearingCase.applied_on, "leads": Lead.received_on,
             "cases": Case.opened_on, "supervision": SupervisionItem.issued_on,
             "directives_received": DirectiveReceipt.created_at, "villages": Village.updated_at,
             "village_plan_items": VillagePlanItem.created_at, "remote_interviews": RemoteInterview.planned_at}
    try:
        from core.reception.models import Reception
    except ImportError:  # the reception area not installed
        pass
    else:
        dates["reception"] = Reception.received_on
    return dates
