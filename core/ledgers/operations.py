"""Every write of the ledgers (18项台账): the catalogue a province or city defines, a kept ledger's rows (entered in a
form or imported from xlsx with a dry run, each dated and attributed), the workbook of a township's ledgers written by
a job (one sheet each, progress on its record), the county's spot checks (随时抽查: rows drawn and shared to the
checker for the check's duration, findings per row, a 不合格 finding's rectification order through supervision, the
conclusion), and the figures: each write moves them in its transaction; ``refresh`` sets a township's completeness
(time-based: current/stale/missing), ``recount`` counts them all again from the records."""
from __future__ import annotations

import random
import tempfile
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from core import calendar, context, crypto, jobs, timefmt
from core.audit.operations import record
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, add_error
from core.extensions import db
from core.inbox import operations as inbox
from core.inbox.models import InboxKind
from core.ledgers import queries
from core.ledgers.models import LedgerDefinition, LedgerRow, LedgerWorkbook, SpotCheck, SpotFinding
from core.ledgers.workflow import (COLUMN_TYPES, MAX_CHOICES, MAX_COLUMNS, MAX_DEFINITIONS, MAX_DRAW,
                                   MAX_IMPORT_ROWS, PERIODS)
from core.schemas import EARLIEST
from core.supervision import operations as supervision_ops
from tenants import operations as tenancy_ops
from tenants.models import Share, Unit, UnitLevel
from tenants.stats import with_coarser_keys

TEXT_LIMIT, TITLE_LIMIT = 2000, 100
SHARE_PURPOSE = "ledger_spot_check"
BUILD_JOB = "core.ledgers.jobs.build_workbook"
REFRESH_BELOW_JOB = "core.ledgers.jobs.refresh_completeness_below"
COMPLETENESS = ("ledgers.current", "ledgers.stale", "ledgers.missing", "ledgers.total", "ledgers.complete_units",
                "ledgers.townships")


def _bump_dated(unit: Unit, metric: str, day: date, delta: int = 1) -> None:
    tenancy_ops.bump_stat(unit, metric, delta)
    tenancy_ops.bump_stat(unit, metric, delta, day.isoformat())


def _text(raw: dict, field: str, limit: int, errors: dict, *, required: str | None = None) -> str:
    value = str(raw.get(field) if raw.get(field) is not None else "").strip()
    if not value and required:
        add_error(errors, field, required)
    elif len(value) > limit:
        add_error(errors, field, _("不能超过 %(n)s 个字", n=limit))
    return value


def _day(value, field: str, errors: dict, required: str | None) -> date | None:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day = value
    else:
        text = str(value or "").strip()
        if not text:
            if required:
                add_error(errors, field, required)
            return None
        try:
            day = date.fromisoformat(text[:10].replace("/", "-").replace(".", "-"))
        except ValueError:
            add_error(errors, field, _("日期格式应为 2026-03-18"))
            return None
    if day < EARLIEST or day > calendar.today() + timedelta(days=366):
        add_error(errors, field, _("日期超出可填写的范围"))
        return None
    return day


def _ensure_township(unit: Unit) -> None:
    if unit.level != UnitLevel.TOWNSHIP:
        raise InvalidInput({"unit": [_("台账由乡镇（街道）纪委登记")]})


# ---------------------------------------------------------------- the catalogue (province or city)


def ensure_catalogue(unit: Unit) -> list[LedgerDefinition]:
    """The unit's own catalogue rows: at its first change, the catalogue it inherits written as its own."""
    rows = list(db.session.scalars(select(LedgerDefinition).where(LedgerDefinition.unit_id == unit.id)))
    if rows:
        return rows
    for d in queries.catalogue_of(unit):
        copy = LedgerDefinition(unit_id=unit.id, unit_path=unit.path, code=d.code, title=d.title, kind=d.kind,
                                source=d.source, period=d.period, columns=[dict(c) for c in d.columns],
                                position=d.position, archived=False)
        db.session.add(copy)
        rows.append(copy)
    db.session.flush()
    return rows


def _clean_columns(raw_columns, errors: dict) -> list[dict]:
    columns, labels = [], set()
    items = raw_columns if isinstance(raw_columns, list) else []
    for i, raw in enumerate(items):
        raw = raw if isinstance(raw, dict) else {}
        label = str(raw.get("label") or "").strip()
        if not label:
            continue
        type_ = str(raw.get("type") or "text")
        if type_ not in COLUMN_TYPES:
            add_error(errors, "columns", _("第 %(n)s 列的类型无效", n=i + 1))
        if len(label) > 30 or label in labels or label in ("日期", "登记人", "登记方式"):
            add_error(errors, "columns", _("第 %(n)s 列的名称无效或重复", n=i + 1))
        labels.add(label)
        choices = raw.get("choices") or []
        if isinstance(choices, str):
            choices = [c for c in choices.replace("，", "、").replace(",", "、").split("、")]
        choices = [str(c).strip()[:30] for c in choices if str(c).strip()]
        if type_ == "choice" and not choices:
            add_error(errors, "columns", _("第 %(n)s 列为选项，请列出可选的值", n=i + 1))
        if len(choices) > MAX_CHOICES:
            add_error(errors, "columns", _("选项最多 %(n)s 个", n=MAX_CHOICES))
        columns.append({"key": f"c{i + 1}", "label": label, "type": type_, "choices": choices,
                        "required": bool(raw.get("required"))})
    if not columns:
        add_error(errors, "columns", _("请至少定义一列"))
    elif len(columns) > MAX_COLUMNS:
        add_error(errors, "columns", _("最多 %(n)s 列", n=MAX_COLUMNS))
    return columns


def define_ledger(unit: Unit, raw: dict) -> LedgerDefinition:
    """A kept ledger added to the catalogue of a province or city (every unit below inherits it)."""
    if unit.level not in (UnitLevel.PROVINCE, UnitLevel.CITY):
        raise InvalidInput({"unit": [_("台账目录由省、市纪委监委制定")]})
    errors: dict = {}
    title = _text(raw, "title", TITLE_LIMIT, errors, required=_("请填写台账名称"))
    period = str(raw.get("period") or "")
    if period not in PERIODS:
        add_error(errors, "period", _("请选择登记周期"))
    columns = _clean_columns(raw.get("columns"), errors)
    rows = ensure_catalogue(unit)
    if title and any(d.title == title and not d.archived for d in rows):
        add_error(errors, "title", _("目录中已有同名台账"))
    if len(rows) >= MAX_DEFINITIONS:
        add_error(errors, "title", _("台账目录最多 %(n)s 项", n=MAX_DEFINITIONS))
    if errors:
        raise InvalidInput(errors)
    taken, n = {d.code for d in rows}, len(rows) + 1
    while f"k{n}" in taken:
        n += 1
    definition = LedgerDefinition(unit_id=unit.id, unit_path=unit.path, code=f"k{n}", title=title, kind="kept",
                                  source=None, period=period, columns=columns,
                                  position=max((d.position for d in rows), default=0) + 1, archived=False)
    db.session.add(definition)
    db.session.flush()
    record("ledger_definition.add", unit_id=unit.id, object_type="ledger_definitions", object_id=definition.id,
           detail={"title": title, "period": period, "columns": len(columns)})
    jobs.enqueue_after_commit(REFRESH_BELOW_JOB, unit.id)  # every township below now keeps one ledger more
    return definition


def archive_definition(unit: Unit, code: str) -> LedgerDefinition:
    if unit.level not in (UnitLevel.PROVINCE, UnitLevel.CITY):
        raise InvalidInput({"unit": [_("台账目录由省、市纪委监委制定")]})
    definition = next((d for d in ensure_catalogue(unit) if d.code == code and not d.archived), None)
    if definition is None:
        raise InvalidInput({"code": [_("目录中没有这项台账")]})
    definition.archived = True
    db.session.flush()
    record("ledger_definition.archive", unit_id=unit.id, object_type="ledger_definitions", object_id=definition.id,
           detail={"title": definition.title})
    jobs.enqueue_after_commit(REFRESH_BELOW_JOB, unit.id)  # and one ledger fewer
    return definition


# ---------------------------------------------------------------- a kept ledger's rows (the township)


def clean_row(definition: LedgerDefinition, raw: dict) -> tuple[date | None, dict, dict]:
    """The row's day and typed values, with every reason in Chinese: (day, values, errors)."""
    errors: dict = {}
    day = _day(raw.get("entry_date"), "entry_date", errors, _("请填写日期"))
    values: dict = {}
    for c in definition.columns:
        key, label, value = c["key"], c["label"], raw.get(c["key"])
        if value is None:
            value = raw.get(label)
        text = "" if value is None else (str(int(value)) if isinstance(value, float) and value.is_integer()
                                         else value if isinstance(value, (date, datetime)) else str(value).strip())
        if text in ("", None):
            if c.get("required"):
                add_error(errors, key, _("请填写“%(c)s”", c=label))
            continue
        type_ = c["type"]
        if type_ == "number":
            try:
                number = Decimal(str(text).replace(",", ""))
                if not number.is_finite() or abs(number) > 10**12:
                    raise InvalidOperation
            except InvalidOperation:
                add_error(errors, key, _("“%(c)s”应为数字", c=label))
                continue
            values[key] = int(number) if number == number.to_integral_value() else float(number)
        elif type_ == "date":
            parsed = _day(text, key, errors, None)
            if parsed:
                values[key] = parsed.isoformat()
        elif type_ == "choice":
            if text not in c.get("choices", []):
                add_error(errors, key, _("“%(c)s”应为以下之一：%(v)s", c=label, v="、".join(c.get("choices", []))))
                continue
            values[key] = text
        else:
            limit = 50 if type_ == "person" else 200 if type_ == "attachment" else TEXT_LIMIT
            if len(text) > limit:
                add_error(errors, key, _("“%(c)s”不能超过 %(n)s 个字", c=label, n=limit))
                continue
            values[key] = text
    return day, values, errors


def add_row(unit: Unit, definition: LedgerDefinition, raw: dict, *, origin: str = "form") -> LedgerRow:
    _ensure_township(unit)
    if definition.kind != "kept":
        raise InvalidInput({"code": [_("该台账由平台根据业务记录自动生成，无需手工登记")]})
    day, values, errors = clean_row(definition, raw)
    if errors:
        raise InvalidInput(errors)
    row = LedgerRow(unit_id=unit.id, unit_path=unit.path, code=definition.code, entry_date=day, values=values,
                    origin=origin, created_by_id=context.current().account_id)
    db.session.add(row)
    db.session.flush()
    _bump_dated(unit, "ledgers.rows", day)
    if origin == "form":
        record("ledger_row.add", unit_id=unit.id, object_type="ledger_rows", object_id=row.id,
               detail={"code": definition.code, "entry_date": day.isoformat()})
    return row


def import_rows(unit: Unit, definition: LedgerDefinition, data: bytes, *, dry_run: bool) -> dict:
    """Rows of a kept ledger from an xlsx whose first row names the columns (日期 and the ledger's column names).
    With ``dry_run`` (预检) nothing is saved; else all rows are saved, or none if any is refused."""
    from core import spreadsheets

    _ensure_township(unit)
    if definition.kind != "kept":
        raise InvalidInput({"file": [_("该台账由平台根据业务记录自动生成，无需导入")]})
    if not data:
        raise InvalidInput({"file": [_("请选择要导入的 Excel 文件（.xlsx）")]})
    rows = spreadsheets.rows(data)
    title = [str(v or "").strip() for v in next(rows, [])]
    fields = {"日期": "entry_date", "登记日期": "entry_date", **{c["label"]: c["key"] for c in definition.columns}}
    columns = {fields[name]: i for i, name in enumerate(title) if name in fields}
    if "entry_date" not in columns:
        raise InvalidInput({"file": [_("第一行应为标题行，包括“日期”和台账的各列名称")]})
    checked = []
    for number, values in enumerate(rows, start=2):
        raw = {key: (values[i] if i < len(values) else None) for key, i in columns.items()}
        if not any(v not in (None, "") for v in raw.values()):
            continue
        if len(checked) >= MAX_IMPORT_ROWS:
            raise InvalidInput({"file": [_("一次最多导入 %(n)s 行", n=MAX_IMPORT_ROWS)]})
        day, cleaned, errors = clean_row(definition, raw)
        checked.append({"row": number, "entry_date": day.isoformat() if day else "", "raw": raw,
                        "errors": [m for messages in errors.values() for m in messages]})
    if not checked:
        raise InvalidInput({"file": [_("表中没有台账数据")]})
    refused = sum(1 for line in checked if line["errors"])
    created = 0
    if not dry_run and not refused:
        for line in checked:
            add_row(unit, definition, line["raw"], origin="import")
            created += 1
        record("ledger_row.import", unit_id=unit.id, object_type="units", object_id=unit.id,
               detail={"code": definition.code, "rows": created})
    for line in checked:
        line.pop("raw", None)
    return {"rows": checked, "valid": len(checked) - refused, "refused": refused, "created": created}


# ---------------------------------------------------------------- the workbook (a job)


def request_workbook(unit: Unit, account, codes: list[str] | None = None) -> LedgerWorkbook:
    """The township's ledgers the account may read (all of them, or ``codes``) as one workbook, by a job."""
    _ensure_township(unit)
    catalogue = [d for d in queries.catalogue_of(unit) if queries.readable(d, account, unit)]
    if codes:
        catalogue = [d for d in catalogue if d.code in codes]
    if not catalogue:
        raise InvalidInput({"codes": [_("没有可导出的台账")]})
    total = sum(queries.count_of(unit, d) for d in catalogue)
    one = catalogue[0].title if len(catalogue) == 1 else _("工作台账（%(n)s项）", n=len(catalogue))
    workbook = LedgerWorkbook(unit_id=unit.id, unit_path=unit.path, codes=[d.code for d in catalogue],
                              requested_by_id=account.id, state="queued", total_rows=total, processed_rows=0,
                              filename=f"{unit.name}{one}{calendar.today():%Y%m%d}.xlsx")
    db.session.add(workbook)
    db.session.flush()
    jobs.queued(workbook)
    record("ledger_workbook.create", unit_id=unit.id, object_type="ledger_workbooks", object_id=workbook.id,
           detail={"codes": workbook.codes, "rows": total})
    jobs.enqueue_after_commit(BUILD_JOB, unit.id, workbook.id, account.id)
    return workbook


def write_workbook(unit: Unit, definitions: list[LedgerDefinition], target, *, progress=None, every: int = 0) -> int:
    """Every ledger as its own sheet of one xlsx, streamed (XlsxWriter's constant memory: each row flushed as the
    next starts); returns the rows written."""
    import xlsxwriter

    from core.timefmt import local_naive

    book = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False,
                                        "remove_timezone": True})
    bold, day_format = book.add_format({"bold": True}), book.add_format({"num_format": "yyyy-mm-dd"})
    moment_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    written, names = 0, set()
    today = calendar.today()
    for d in definitions:
        name = "".join(ch if ch not in ":\\/?*[]" else " " for ch in d.title)[:31]
        while name in names:
            name = name[:29] + f"{len(names)}"
        names.add(name)
        sheet = book.add_worksheet(name)
        header = queries.header_of(d)
        for column, text in enumerate(header):
            sheet.set_column(column, column, min(max(len(str(text)) * 2.2 + 2, 10), 40))
            sheet.write_string(0, column, str(text), bold)
        sheet.freeze_panes(1, 0)
        for number, values in enumerate(queries.rows_of(unit, d, today), start=1):
            for column, value in enumerate(values):
                if value is None or value == "":
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(number, column, value)
                elif isinstance(value, (int, float, Decimal)):
                    sheet.write_number(number, column, value)
                elif isinstance(value, datetime):
                    sheet.write_datetime(number, column, local_naive(value), moment_format)
                elif isinstance(value, date):
                    sheet.write_datetime(number, column, value, day_format)
                else:
                    sheet.write_string(number, column, "".join(ch for ch in str(value) if ch >= " " or ch in "\t\n"))
            written += 1
            if progress and every and written % every == 0:
                progress(written)
    book.close()
    return written


def _associated(workbook: LedgerWorkbook) -> bytes:
    return f"ledger_workbooks:{workbook.unit_id}:{workbook.id}:content".encode()


def build_workbook(workbook: LedgerWorkbook, unit: Unit, progress, attempt: int, every: int = 500) -> bool:
    workbook_id, associated = workbook.id, _associated(workbook)
    definitions = [d for d in queries.catalogue_of(unit) if d.code in workbook.codes]
    definitions.sort(key=lambda d: workbook.codes.index(d.code))
    try:
        with tempfile.TemporaryFile() as spool:
            rows = write_workbook(unit, definitions, spool, progress=progress, every=every)
            size = spool.tell()
            spool.seek(0)
            sealed = crypto.seal_file(spool, associated)
    except Exception:
        db.session.rollback()
        _settle(workbook_id, attempt, state="failed", failure=_("生成文件时出错，请重试"))
        db.session.commit()
        raise
    return _settle(workbook_id, attempt, content=sealed, size=size, total_rows=rows, processed_rows=rows,
                   state="done")


def _settle(workbook_id: int, attempt: int, **values) -> bool:
    return db.session.execute(
        update(LedgerWorkbook).where(LedgerWorkbook.id == workbook_id, LedgerWorkbook.attempts == attempt,
                                     LedgerWorkbook.state == "running")
        .values(finished_at=utcnow(), **values).execution_options(synchronize_session=False)).rowcount == 1


def stopped(workbook: LedgerWorkbook, reason: str) -> None:
    workbook.state, workbook.finished_at = "failed", utcnow()
    workbook.failure = _("%(reason)s，文件未生成；请重新导出", reason=reason)


def workbook_content(workbook: LedgerWorkbook) -> bytes:
    if workbook.state != "done" or workbook.content is None:
        raise Conflict(_("文件尚未生成：%(state)s", state=workbook.state_label), detail={"current_state": workbook.state})
    data = crypto.unseal_file(workbook.content, _associated(workbook))
    record("ledger_workbook.download", unit_id=workbook.unit_id, object_type="ledger_workbooks",
           object_id=workbook.id, detail={"rows": workbook.total_rows})
    return data


# ---------------------------------------------------------------- spot checks (the county)


def _end_of_day(day: date) -> datetime:
    return timefmt.day_start(day + timedelta(days=1)) - timedelta(microseconds=1)


def draw_check(county: Unit, raw: dict, *, rng: random.Random | None = None) -> SpotCheck:
    """A spot check of one township's kept ledger: rows of a period, chosen by their place in the period (第几条)
    or drawn at random; the drawn rows are shared to the checker (a leader or officer of the county) until the
    check's last day."""
    if county.level != UnitLevel.COUNTY:
        raise InvalidInput({"unit": [_("台账抽查由县（区）纪委监委开展")]})
    errors: dict = {}
    towns = {t.id: t for t in queries.townships_below(county)}
    try:
        town = towns.get(int(raw.get("township_id") or 0))
    except (TypeError, ValueError):
        town = None
    if town is None:
        add_error(errors, "township_id", _("请选择本县（区）所辖的乡镇（街道）"))
    definition = None
    if town is not None:
        definition = queries.definition_of(town, str(raw.get("code") or "")[:32])
        if definition is None or definition.kind != "kept":
            add_error(errors, "code", _("请选择要抽查的手工登记台账"))
            definition = None
    start = _day(raw.get("period_start"), "period_start", errors, _("请填写抽查期间的开始日期"))
    end = _day(raw.get("period_end"), "period_end", errors, _("请填写抽查期间的结束日期"))
    if start and end and end < start:
        add_error(errors, "period_end", _("结束日期不能早于开始日期"))
    today = calendar.today()
    ends_on = _day(raw.get("ends_on"), "ends_on", errors, _("请填写抽查截止日期"))
    if ends_on and ends_on < today:
        add_error(errors, "ends_on", _("抽查截止日期不能早于今天"))
    staff = {a.id: a for a in queries.staff_of(county)}
    try:
        checker = staff.get(int(raw.get("checker_id") or 0))
    except (TypeError, ValueError):
        checker = None
    if checker is None:
        add_error(errors, "checker_id", _("抽查人须为本单位的委领导或承办人员"))
    positions = raw.get("positions") or []
    if isinstance(positions, str):
        positions = [p for p in positions.replace("，", ",").replace("、", ",").split(",") if p.strip()]
    try:
        positions = [int(p) for p in positions]
    except (TypeError, ValueError):
        add_error(errors, "positions", _("指定抽查的条目应为序号，如 1、3、5"))
        positions = []
    try:
        count = int(raw.get("count") or 0)
    except (TypeError, ValueError):
        count = -1
    if not positions and not 0 < count <= MAX_DRAW:
        add_error(errors, "count", _("随机抽取的条数应为 1 至 %(n)s", n=MAX_DRAW))
    if errors:
        raise InvalidInput(errors)
    with context.acting(context.maintenance_context(account_id=context.current().account_id), db.session):
        ids = list(db.session.scalars(queries.kept_statement(town, definition.code, start, end)
                                      .with_only_columns(LedgerRow.id)))
    if positions:
        if any(p < 1 or p > len(ids) for p in positions) or len(positions) > MAX_DRAW:
            raise InvalidInput({"positions": [_("该期间共 %(n)s 条，指定的序号超出范围", n=len(ids))]})
        drawn = [ids[p - 1] for p in dict.fromkeys(positions)]
    else:
        if not ids:
            raise InvalidInput({"period_start": [_("该台账在这一期间没有记录，无法抽查")]})
        drawn = sorted((rng or random.SystemRandom()).sample(ids, min(count, len(ids))))
    check = SpotCheck(unit_id=county.id, unit_path=county.path, township_id=town.id, township_name=town.name,
                      code=definition.code, ledger_title=definition.title, period_start=start, period_end=end,
                      starts_on=today, ends_on=ends_on, checker_id=checker.id,
                      drawn_by_id=context.current().account_id, random=not positions, row_ids=drawn, share_ids=[],
                      state="open")
    db.session.add(check)
    db.session.flush()
    shares = []
    with context.writing_as(town.id, town.path):
        for row_id in drawn:
            shares.append(tenancy_ops.grant_share("ledger_rows", row_id, town, purpose=SHARE_PURPOSE,
                                                  grantee_account=checker, expires_at=_end_of_day(ends_on),
                                                  reason=f"spot_check:{check.id}").id)
    check.share_ids = shares
    inbox.post(county, f"spot_check:{check.id}", kind=InboxKind.TASK, object_type="ledger_spot_checks",
               object_id=check.id, account_id=checker.id, due_on=ends_on,
               title=_("台账抽查：%(town)s%(ledger)s，%(n)s 条，%(d)s 前完成", town=town.name, ledger=definition.title,
                       n=len(drawn), d=ends_on.isoformat()))
    _bump_dated(county, "ledgers.spot_checks", today)
    with context.writing_as(town.id, town.path):
        _bump_dated(town, "ledgers.spot_checked", today)
    record("ledger_spot_check.draw", unit_id=county.id, object_type="ledger_spot_checks", object_id=check.id,
           detail={"township": town.id, "code": definition.code, "rows": len(drawn), "random": not positions,
                   "period": f"{start.isoformat()}~{end.isoformat()}", "ends_on": ends_on.isoformat(),
                   "checker": checker.id})
    return check


def _ensure_checker(check: SpotCheck) -> None:
    if check.checker_id != context.current().account_id:
        raise InvalidInput({"check": [_("只有抽查人可以记录抽查结果")]})
    if check.state != "open" or not check.active_on(calendar.today()):
        raise Conflict(_("抽查已结束，不能再记录"), detail={"current_state": check.state})


def record_finding(check: SpotCheck, raw: dict) -> SpotFinding:
    """The checker's finding on one drawn row: 合格, or 不合格 with the problem (changed while the check lasts)."""
    _ensure_checker(check)
    errors: dict = {}
    try:
        row_id = int(raw.get("row_id") or 0)
    except (TypeError, ValueError):
        row_id = 0
    if row_id not in check.row_ids:
        add_error(errors, "row_id", _("只能对抽取的条目记录结果"))
    verdict = str(raw.get("verdict") or "")
    if verdict not in ("pass", "fail"):
        add_error(errors, "verdict", _("请选择合格或不合格"))
    problem = _text(raw, "problem", TEXT_LIMIT, errors,
                    required=_("不合格的请写明存在的问题") if verdict == "fail" else None)
    if errors:
        raise InvalidInput(errors)
    finding = db.session.scalar(select(SpotFinding).where(SpotFinding.check_id == check.id,
                                                          SpotFinding.row_id == row_id))
    town = db.session.get(Unit, check.township_id)
    if finding is None:
        finding = SpotFinding(unit_id=check.unit_id, unit_path=check.unit_path, check_id=check.id,
                              township_id=check.township_id, row_id=row_id, seq=check.row_ids.index(row_id) + 1,
                              verdict=verdict)
        db.session.add(finding)
        if verdict == "fail":
            _bump_dated(db.session.get(Unit, check.unit_id), "ledgers.spot_findings.failed", calendar.today())
    elif finding.verdict != verdict:
        day = timefmt.local_date(finding.created_at) or calendar.today()
        _bump_dated(db.session.get(Unit, check.unit_id), "ledgers.spot_findings.failed", day,
                    1 if verdict == "fail" else -1)
    finding.verdict, finding.problem = verdict, problem or None
    finding.recorded_by_id = context.current().account_id
    db.session.flush()
    record("ledger_spot_finding.record", unit_id=check.unit_id, object_type="ledger_spot_checks", object_id=check.id,
           detail={"row": row_id, "verdict": verdict, "township": town.id})
    return finding


def issue_rectification(finding: SpotFinding, raw: dict) -> int:
    """A 不合格 finding turned into a rectification order (整改交办单) to the township, through supervision."""
    check = finding.check
    errors: dict = {}
    if finding.verdict != "fail":
        add_error(errors, "finding", _("只有不合格的条目可以下发整改"))
    if finding.supervision_item_id:
        add_error(errors, "finding", _("该条目已下发整改交办单"))
    due = _day(raw.get("due_on"), "due_on", errors, _("请填写整改期限"))
    if errors:
        raise InvalidInput(errors)
    county, town = db.session.get(Unit, check.unit_id), db.session.get(Unit, check.township_id)
    item = supervision_ops.issue_item(
        county, town, kind="rectification", due_on=due,
        title=_("%(ledger)s抽查发现问题整改", ledger=check.ledger_title),
        body=_("%(town)s%(ledger)s抽查（%(start)s至%(end)s）第 %(n)s 条不合格", town=town.name, ledger=check.ledger_title,
               start=check.period_start.isoformat(), end=check.period_end.isoformat(), n=finding.seq),
        problems=[{"description": finding.problem or _("台账登记不规范"),
                   "requirement": str(raw.get("requirement") or "").strip()[:500]}])
    finding.supervision_item_id = item.id
    db.session.flush()
    record("ledger_spot_finding.rectify", unit_id=county.id, object_type="ledger_spot_checks", object_id=check.id,
           detail={"row": finding.row_id, "item": item.id})
    return item.id


def conclude(check: SpotCheck, raw: dict) -> SpotCheck:
    """The checker's overall conclusion (合格/不合格 and its text) once every drawn row has a finding; the rows'
    shares end with it."""
    _ensure_checker(check)
    errors: dict = {}
    result = str(raw.get("result") or "")
    if result not in ("qualified", "unqualified"):
        add_error(errors, "result", _("请选择总体结论：合格或不合格"))
    text = _text(raw, "conclusion", TEXT_LIMIT, errors, required=_("请填写抽查结论"))
    if len(check.findings) < len(check.row_ids):
        add_error(errors, "conclusion", _("还有 %(n)s 条未记录抽查结果", n=len(check.row_ids) - len(check.findings)))
    if errors:
        raise InvalidInput(errors)
    today = calendar.today()
    check.state, check.result, check.conclusion, check.concluded_on = "concluded", result, text, today
    end_shares(check, _("抽查已出结论"))
    inbox.close("ledger_spot_checks", check.id, unit_id=check.unit_id)
    county = db.session.get(Unit, check.unit_id)
    _bump_dated(county, "ledgers.spot_checks.concluded", today)
    if result == "unqualified":
        _bump_dated(county, "ledgers.spot_checks.unqualified", today)
    db.session.flush()
    record("ledger_spot_check.conclude", unit_id=check.unit_id, object_type="ledger_spot_checks", object_id=check.id,
           detail={"result": result})
    return check


def end_shares(check: SpotCheck, reason: str) -> None:
    town = db.session.get(Unit, check.township_id)
    with context.writing_as(town.id, town.path):
        for share in db.session.scalars(select(Share).where(Share.id.in_(check.share_ids or [0]))):
            tenancy_ops.revoke_share(share, reason)
        db.session.flush()


# ---------------------------------------------------------------- figures


def completeness_figures(unit: Unit, today: date) -> dict[str, int]:
    if unit.level != UnitLevel.TOWNSHIP or not unit.is_active:
        return {}
    summary = queries.summarise(queries.ledger_states(unit, today))
    return {"ledgers.current": summary["current"], "ledgers.stale": summary["stale"],
            "ledgers.missing": summary["missing"], "ledgers.total": summary["total"],
            "ledgers.complete_units": int(summary["total"] > 0 and summary["current"] == summary["total"]),
            "ledgers.townships": 1}


def refresh(unit: Unit, today: date) -> None:
    """A township's completeness figures, recounted (time-based: a ledger turns stale with the days)."""
    figures = completeness_figures(unit, today)
    if not figures:
        return
    with context.writing_as(unit.id, unit.path):
        for metric, value in figures.items():
            tenancy_ops.set_stat(unit, metric, value)


def refresh_townships(today: date) -> dict[str, int]:
    towns = list(db.session.scalars(select(Unit).where(Unit.level == UnitLevel.TOWNSHIP, Unit.archived_at.is_(None))))
    for town in towns:
        refresh(town, today)
    return {"townships": len(towns)}


def recount(unit: Unit, today: date) -> dict[tuple[str, str], int]:
    """The ledgers' figures of ``unit`` counted from its records (rows kept, spot checks): the nightly reconcile's.
    The completeness figures are time-based, set by ``refresh``, and not among them."""
    counted: Counter = Counter()
    for day, n in db.session.execute(select(LedgerRow.entry_date, func.count()).where(LedgerRow.unit_id == unit.id)
                                     .group_by(LedgerRow.entry_date)):
        counted[("ledgers.rows", day.isoformat())] += n
        counted[("ledgers.rows", "")] += n
    for check in db.session.scalars(select(SpotCheck).where(SpotCheck.unit_id == unit.id)):
        counted[("ledgers.spot_checks", check.starts_on.isoformat())] += 1
        counted[("ledgers.spot_checks", "")] += 1
        if check.state == "concluded":
            counted[("ledgers.spot_checks.concluded", check.concluded_on.isoformat())] += 1
            counted[("ledgers.spot_checks.concluded", "")] += 1
            if check.result == "unqualified":
                counted[("ledgers.spot_checks.unqualified", check.concluded_on.isoformat())] += 1
                counted[("ledgers.spot_checks.unqualified", "")] += 1
        for finding in check.findings:
            if finding.verdict == "fail":
                day = timefmt.local_date(finding.created_at).isoformat()
                counted[("ledgers.spot_findings.failed", day)] += 1
                counted[("ledgers.spot_findings.failed", "")] += 1
    for day in db.session.scalars(select(SpotCheck.starts_on).where(SpotCheck.township_id == unit.id)):
        counted[("ledgers.spot_checked", day.isoformat())] += 1
        counted[("ledgers.spot_checked", "")] += 1
    stock = {k: v for k, v in counted.items() if k[1] == ""}
    dated = {k: v for k, v in counted.items() if k[1] != ""}
    return {**{k: v for k, v in stock.items() if v}, **with_coarser_keys(dated)}



def recount_rows(unit: Unit, today: date) -> dict[tuple[str, str], int]:
    return {k: v for k, v in recount(unit, today).items() if k[0].startswith("ledgers.rows")}


def recount_spot(unit: Unit, today: date) -> dict[tuple[str, str], int]:
    return {k: v for k, v in recount(unit, today).items() if k[0].startswith("ledgers.spot")}
