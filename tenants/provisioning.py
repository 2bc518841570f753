"""Bulk provisioning: read a sheet of division codes and names, check every row, report.

A dry run and a commit share this module: ``check_sheet`` reports every row's result with
its row number as the user sees it in the sheet; ``tenants.operations.import_units`` then
inserts the rows only when no row has an error (all or nothing).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from core import spreadsheets
from core.errors import InvalidInput
from core.extensions import db
from tenants import codes
from tenants.models import ALLOWED_PARENTS, LEVEL_LABELS, Unit, UnitLevel
from tenants.operations import NewUnit

HEADERS = {
    "code": {"code", "代码", "区划代码", "行政区划代码", "单位代码"},
    "name": {"name", "名称", "单位名称", "单位"},
    "level": {"level", "级别", "层级"},
    "parent_code": {"parent_code", "parent", "上级代码", "上级区划代码", "上级单位代码"},
}
LEVEL_WORDS = {
    **{lvl.value: lvl for lvl in UnitLevel},
    **{label: lvl for lvl, label in LEVEL_LABELS.items()},
    "县": UnitLevel.COUNTY, "区": UnitLevel.COUNTY, "县级": UnitLevel.COUNTY, "市级": UnitLevel.CITY,
    "乡镇": UnitLevel.TOWNSHIP, "乡": UnitLevel.TOWNSHIP, "镇": UnitLevel.TOWNSHIP, "街道": UnitLevel.TOWNSHIP,
    "省级": UnitLevel.PROVINCE,
}
MAX_ROWS = 50_000


@dataclass
class RowResult:
    row: int
    code: str
    name: str
    level: str = ""
    parent_code: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class SheetCheck:
    rows: list[RowResult]

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if not r.ok)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and self.error_count == 0

    def new_units(self) -> list[NewUnit]:
        return [NewUnit(r.code, r.name, UnitLevel(r.level), r.parent_code) for r in self.rows]


def read_sheet(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """Rows of an .xlsx or .csv file as (row number, {column: text}); header row required. Read a row at a
    time (an .xlsx through core.spreadsheets, which refuses a file that would cost too much to read)."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        raw_rows = spreadsheets.rows(data)
    elif name.endswith(".csv"):
        raw_rows = spreadsheets.csv_rows(data)  # bounded: a record that would cost too much is refused
    else:
        raise InvalidInput({"file": [_("请上传 .xlsx 或 .csv 文件")]})
    rows, index = [], 1
    try:
        header = next(raw_rows, None)
        if header is None:
            raise InvalidInput({"file": [_("文件是空的")]})
        columns = _header_columns([_cell(v) for v in header])
        for index, raw in enumerate(raw_rows, start=2):
            values = {key: (_cell(raw[col]) if col < len(raw) else "") for key, col in columns.items()}
            if any(values.values()):
                rows.append((index, values))
                if len(rows) > MAX_ROWS:  # stop reading here: the rest of the file is never held
                    raise InvalidInput({"file": [_("一次最多导入 %(n)s 行", n=MAX_ROWS)]})
    except InvalidInput:
        raise
    except MemoryError:
        raise InvalidInput({"file": [_("文件内容超出处理的内存上限，请把表格拆分后分别导入")]}) from None
    except Exception:  # a damaged file: whatever the parser trips on, the user learns where
        raise InvalidInput({"file": [_("文件第 %(n)s 行之后的内容无法读取，请在 Excel 中打开检查后另存再上传",
                                       n=index)]}) from None
    return rows


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number comes back as 330100.0
    return str(value).strip()


def _header_columns(header: list[str]) -> dict[str, int]:
    columns = {}
    for index, title in enumerate(header):
        key = next((k for k, names in HEADERS.items() if title.strip().lower() in names), None)
        if key and key not in columns:
            columns[key] = index
    missing = [k for k in ("code", "name") if k not in columns]
    if missing:
        raise InvalidInput({"file": [_("表头缺少必需的列：区划代码、名称（可选：级别、上级代码）")]})
    return columns


def check_sheet(rows: list[tuple[int, dict[str, str]]]) -> SheetCheck:
    """Validate every row against the format rules, each other and the units already provisioned."""
    results = [RowResult(row=n, code=v.get("code", ""), name=v.get("name", "")) for n, v in rows]
    sheet_levels: dict[str, UnitLevel] = {}
    first_row: dict[str, int] = {}
    for result, (_row, values) in zip(results, rows):
        _check_own_fields(result, values)
        if result.code in first_row:
            result.errors.append(_("区划代码与第 %(n)s 行重复", n=first_row[result.code]))
        else:
            first_row[result.code] = result.row
        if result.ok:
            sheet_levels[result.code] = UnitLevel(result.level)

    wanted = {c for r in results for c in [r.code, r.parent_code, *_candidates(r)] if c}
    existing = {u.code: u for u in db.session.scalars(select(Unit).where(Unit.code.in_(wanted)))} if wanted else {}
    for result, (_row, values) in zip(results, rows):
        if not result.ok:
            continue
        if result.code in existing:
            result.errors.append(_("区划代码 %(c)s 已存在（%(name)s）", c=result.code, name=existing[result.code].name))
            continue
        _resolve_parent(result, values, sheet_levels, existing)
    return SheetCheck(results)


def _candidates(result: RowResult) -> list[str]:
    level = codes.infer_level(result.code)
    return codes.parent_code_candidates(result.code, level) if level else []


def _check_own_fields(result: RowResult, values: dict[str, str]) -> None:
    if not result.code:
        result.errors.append(_("区划代码为空"))
    if not result.name:
        result.errors.append(_("名称为空"))
    elif len(result.name) > 100:
        result.errors.append(_("名称超过 100 个字"))
    level_text = values.get("level", "").strip()
    if level_text:
        level = LEVEL_WORDS.get(level_text) or LEVEL_WORDS.get(level_text.lower())
        if level is None:
            result.errors.append(_("级别“%(l)s”无法识别（可填：省、市、县、乡镇、派驻组）", l=level_text))
            return
    else:
        level = codes.infer_level(result.code) if result.code else None
        if result.code and level is None:
            result.errors.append(_("区划代码“%(c)s”格式不正确", c=result.code))
            return
    if level is None:
        return
    result.level = level.value
    if result.code and not codes.code_matches_level(result.code, level):
        result.errors.append(_("区划代码格式不符：%(lvl)s应为%(fmt)s", lvl=LEVEL_LABELS[level], fmt=codes.LEVEL_FORMATS[level]))


def _resolve_parent(result: RowResult, values, sheet_levels, existing) -> None:
    level = UnitLevel(result.level)
    explicit = values.get("parent_code", "").strip()
    if level == UnitLevel.PROVINCE:
        if explicit:
            result.errors.append(_("省级单位不应填写上级代码"))
        return
    candidates = [explicit] if explicit else codes.parent_code_candidates(result.code, level)
    for candidate in candidates:
        parent_level = sheet_levels.get(candidate) or (
            UnitLevel(existing[candidate].level) if candidate in existing else None)
        if candidate in existing and not existing[candidate].is_active:
            result.errors.append(_("上级单位 %(c)s 已撤销", c=candidate))
            return
        if parent_level is None:
            continue
        if parent_level not in ALLOWED_PARENTS[level]:
            result.errors.append(_("%(lvl)s不能设在%(plvl)s（%(c)s）之下", lvl=LEVEL_LABELS[level],
                                   plvl=LEVEL_LABELS[parent_level], c=candidate))
            return
        if not codes.code_under_parent(result.code, candidate, parent_level):
            result.errors.append(_("区划代码与上级代码 %(c)s 不一致", c=candidate))
            return
        result.parent_code = candidate
        return
    if explicit:
        result.errors.append(_("上级代码 %(c)s 既不在表中也未建立", c=explicit))
    else:
        result.errors.append(_("找不到上级单位（应为 %(c)s），请先建立上级或在表中一并导入",
                               c=" 或 ".join(candidates)))
