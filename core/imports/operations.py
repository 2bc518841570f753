"""Every write of imports (大起底): upload, the column mapping, the dry run and the all-or-nothing commit.

The dry run and the commit read the sheet the same way, row by row from the stored file (never a
list of every row): each row goes through the registration's own validation
(``core.petitions.operations.clean_registration``), then the duplicate checks against the unit's
petitions and the rows above it. The commit repeats the whole check inside its one transaction
and writes the rows in batches, so a file that changed nothing since its clean dry run goes in
whole, and anything else leaves nothing behind.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl.utils.datetime import from_excel
from sqlalchemy import func, insert, select, text

from core import calendar, context, crypto, dictionaries, jobs, spreadsheets
from core.audit.operations import record
from core.clock import as_utc, utcnow
from core.errors import Conflict, InvalidInput, add_error
from core.extensions import db
from core.identity.models import Account
from core.imports.models import ImportJob, ImportKind
from core.imports.workflow import IMPORT_FLOW, RUNNING
from core.models import check_version
from core.numbering import NumberCounter, next_number
from core.petitions.models import ACCUSED_LEVEL_LABELS, CHANNEL_LABELS, AccusedLevel, Channel, Petition
from core.petitions.operations import categories_for, clean_registration, store_informant
from core.petitions.workflow import PETITION_FLOW
from core.workflow import TransitionRecord
from core import parameters
from tenants import operations as tenancy_ops
from tenants.models import Unit

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
BATCH = 1_000  # rows checked, and written, together: bounds memory and the size of each INSERT
KEPT_ERRORS = 200  # the per-row problems an import keeps for its result page
MEMORY_MB = 1024  # what a check or commit job may take beyond the worker's own memory (core.jobs.memory_limit)
TOO_BIG = _l("文件内容超出后台处理的内存上限，未写入任何记录；请把表格拆分后分别导入")
# The jobs of the dry run and of the commit, queued by name: core.imports.jobs declares them and imports this
# module, never the reverse.
CHECK_JOB = "core.imports.jobs.check_import"
COMMIT_JOB = "core.imports.jobs.commit_import"


# ---------------------------------------------------------------- the fields a sheet can fill


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    # Column titles seen in the offices' ledgers, most specific first; matched after normalising.
    aliases: tuple[str, ...]
    required: bool = False


FIELDS = (
    Field("source_ref", _l("原受理编号"), ("原受理编号", "原编号", "受理编号", "信访编号", "来件编号", "件号", "编号")),
    Field("channel", _l("受理方式"), ("受理方式", "信访方式", "举报方式", "反映方式", "来源方式", "来源", "渠道"), True),
    Field("received_on", _l("受理日期"), ("受理日期", "受理时间", "收件日期", "来信日期", "登记日期", "收到日期",
                                        "信访日期", "举报日期"), True),
    Field("anonymous", _l("是否匿名"), ("是否匿名", "匿名", "实名匿名")),
    Field("informant_name", _l("举报人姓名"), ("举报人姓名", "信访人姓名", "反映人姓名", "来信人姓名", "举报人",
                                            "信访人", "反映人", "来信人")),
    Field("informant_id_number", _l("举报人身份证号"), ("举报人身份证号", "身份证号码", "身份证号", "证件号码")),
    Field("informant_phone", _l("举报人联系电话"), ("举报人联系电话", "举报人电话", "联系电话", "联系方式", "手机号码",
                                               "手机号", "电话")),
    Field("informant_address", _l("举报人地址"), ("举报人地址", "举报人住址", "联系地址", "家庭住址", "通讯地址", "住址",
                                              "地址")),
    Field("accused_name", _l("被反映人姓名"), ("被反映人姓名", "被举报人姓名", "被反映人", "被举报人", "被反映对象"), True),
    Field("accused_position", _l("被反映人职务"), ("被反映人职务", "被举报人职务", "职务")),
    Field("accused_work_unit", _l("被反映人单位"), ("被反映人单位", "被反映人工作单位", "被举报人单位", "工作单位", "所在单位",
                                              "单位")),
    Field("accused_level", _l("被反映人级别"), ("被反映人级别", "被举报人级别", "职级", "级别")),
    Field("accused_party_member", _l("是否党员"), ("是否党员", "是否中共党员", "政治面貌", "党员")),
    Field("category", _l("问题类别"), ("问题类别", "反映问题类别", "问题类型", "问题性质", "类别")),
    Field("summary", _l("反映问题摘要"), ("反映问题摘要", "问题摘要", "反映问题", "主要问题", "摘要", "标题"), True),
    Field("content", _l("反映问题内容"), ("反映问题内容", "反映内容", "主要内容", "具体内容", "详细内容", "内容")),
)
FIELDS_BY_KEY = {f.key: f for f in FIELDS}
INFORMANT_KEYS = ("name", "id_number", "phone", "address")


def _norm(value: str) -> str:
    """How titles and words are compared: no spaces, no required-field stars, half-width brackets, lower case."""
    return re.sub(r"[\s*＊:：]", "", value).replace("（", "(").replace("）", ")").lower()


def _keyed(words: dict) -> dict:
    return {_norm(written): value for written, value in words.items()}


# Values written by hand in the ledgers, to what the model stores.
CHANNEL_WORDS = _keyed({
    **{c.value: c.value for c in Channel},
    **dict.fromkeys(("来信", "信", "信件", "书信", "来信举报"), Channel.LETTER.value),
    **dict.fromkeys(("来访", "访", "走访", "来访举报", "上访"), Channel.VISIT.value),
    **dict.fromkeys(("来电", "电", "电话", "电话举报", "12388"), Channel.PHONE.value),
    **dict.fromkeys(("网络举报", "网", "网络", "网上举报", "网信", "网站", "互联网"), Channel.WEB.value),
})
LEVEL_WORDS = _keyed({
    **{lvl.value: lvl.value for lvl in AccusedLevel},
    **dict.fromkeys(("村（社区）干部", "村干部", "社区干部", "村级", "村"), AccusedLevel.VILLAGE.value),
    **dict.fromkeys(("乡科级", "科级", "乡镇级", "乡科级干部"), AccusedLevel.TOWNSHIP.value),
    **dict.fromkeys(("县处级", "处级", "县处级干部"), AccusedLevel.COUNTY.value),
    **dict.fromkeys(("厅局级", "厅级", "局级", "地厅级"), AccusedLevel.CITY.value),
    **dict.fromkeys(("省部级", "部级", "省级"), AccusedLevel.PROVINCE.value),
})
YES_NO = _keyed({**dict.fromkeys(("是", "1", "y", "yes", "true", "√", "匿名"), True),
                 **dict.fromkeys(("否", "0", "n", "no", "false", "×", "实名"), False)})
PARTY_WORDS = _keyed({
    **dict.fromkeys(("是", "1", "y", "yes", "true", "√", "党员", "中共党员", "中共预备党员", "预备党员"), True),
    **dict.fromkeys(("否", "0", "n", "no", "false", "×", "非党员", "群众", "共青团员", "团员", "民主党派", "无党派人士",
                     "无党派"), False),
})
UNREADABLE = object()  # a cell with a value that means nothing here (the row gets an error)
UNREADABLE_MESSAGES = {  # lazy: translated only for a row that has the error, not for 100,000 good ones
    "channel": _l("受理方式无法识别，应为来信、来访、来电或网络举报（或信、访、电、网）"),
    "received_on": _l("受理日期无法识别，请写成 2024-03-01 这样的日期"),
    "accused_level": _l("被反映人级别应为村（社区）干部、乡科级、县处级、厅局级或省部级"),
    "accused_party_member": _l("是否党员应填写“是”或“否”"),
    "anonymous": _l("是否匿名应填写“是”或“否”"),
}
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def suggest_mapping(headers: list[str]) -> dict[str, str]:
    """A first guess of field -> column from the titles: exact titles first, then titles that contain an
    alias of three characters or more (the longest wins), each column used once. The user confirms it."""
    candidates = []
    for index, header in enumerate(headers):
        title = _norm(header)
        if not title:
            continue
        for f in FIELDS:
            for alias in f.aliases:
                alias = _norm(alias)
                if title == alias:
                    candidates.append((1000 + len(alias), index, f.key))
                elif len(alias) >= 3 and alias in title and not (f.key.startswith("informant") and "被" in title):
                    candidates.append((len(alias), index, f.key))  # 被反映人电话 is not the informant's phone
    mapping, used = {}, set()
    for _score, index, key in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if key not in mapping and index not in used:
            mapping[key] = headers[index]
            used.add(index)
    return {f.key: mapping[f.key] for f in FIELDS if f.key in mapping}


# ---------------------------------------------------------------- the stored file


def _associated(job: ImportJob) -> bytes:
    return f"import_jobs:{job.id}:content".encode()


def unseal(blob: bytes, associated: bytes) -> bytes:
    try:
        return crypto.unseal_file(blob, associated)
    except crypto.UnknownKey:
        raise InvalidInput({"file": [_("文件加密密钥已不可用，请重新上传")]}) from None
    except crypto.DecryptionError:
        raise InvalidInput({"file": [_("存储的文件已损坏，请重新上传")]}) from None


def _kind(filename: str) -> str:
    return filename.lower().rsplit(".", 1)[-1]


def _sheet_rows(kind: str, data: bytes, encoding: str | None) -> Iterator[list]:
    """Every row of the first sheet, title row included, one at a time."""
    read = 0
    try:
        if kind == "xlsx":
            for values in spreadsheets.rows(data):  # bounded: a file that would cost too much is refused
                read += 1
                yield values
        else:
            for values in spreadsheets.csv_rows(data, encoding):  # bounded the same way, a record at a time
                read += 1
                yield values
    except InvalidInput:
        raise
    except MemoryError:
        raise InvalidInput({"file": [str(TOO_BIG)]}) from None
    except Exception:  # a damaged file: whatever the parser trips on, the user learns where
        raise InvalidInput({"file": [_("文件第 %(n)s 行之后的内容无法读取，请在 Excel 中打开检查后另存再上传",
                                       n=read)]}) from None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a text column comes back as 13812345678.0
    if isinstance(value, datetime):
        value = value.date() if not (value.hour or value.minute or value.second) else value
    return str(value).replace("\x00", "").strip()  # a NUL (CSV allows it) can never be stored: dropped


def _titles(row: list) -> list[str]:
    """The column titles, each unique and never empty, so a mapping can name a column by its title.
    Stored with the import, so written in the sheet's language rather than the user's."""
    cells = [_cell_text(v)[:100] for v in row]
    while cells and not cells[-1]:
        cells.pop()
    titles, seen = [], set()
    for index, title in enumerate(cells, start=1):
        if not title or title in seen:
            title = f"{title}（第{index}列）"
        seen.add(title)
        titles.append(title)
    return titles


def _read_head(kind: str, data: bytes) -> tuple[list[str], str | None, int]:
    """The titles of the first row, the text encoding (CSV) and an estimate of the data rows."""
    encoding = None
    if kind == "csv":
        encoding = spreadsheets.csv_encoding(data)
        if encoding is None:
            raise InvalidInput({"file": [_("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK")]})
        estimate = max(data.count(b"\n") - 1 + (0 if data.endswith(b"\n") else 1), 0)
        first = next(_sheet_rows(kind, data, encoding), [])
    else:
        first, estimate = spreadsheets.head(data)  # the stated size; a file that would cost too much is refused
    titles = _titles(first)
    if not titles:
        raise InvalidInput({"file": [_("第一行应为列标题（如“受理日期”“被反映人姓名”），请检查文件")]})
    return titles, encoding, estimate


# ---------------------------------------------------------------- upload and mapping


def _clean_filename(filename: str) -> str:
    name = re.split(r"[\\/]", filename or "")[-1].strip()
    stem, dot, ext = name.rpartition(".")
    return (stem[:190] + dot + ext) if dot else name[:200]


def upload(unit: Unit, filename: str, data: bytes) -> ImportJob:
    """Keep the file (sealed) and read its titles; the rows are read by the dry run."""
    name = _clean_filename(filename)
    if _kind(name) not in ("xlsx", "csv"):
        raise InvalidInput({"file": [_("请上传 .xlsx 或 .csv 文件（.xls 请先在 Excel 中另存为 .xlsx）")]})
    if not data:
        raise InvalidInput({"file": [_("文件是空的")]})
    if len(data) > MAX_BYTES:
        raise InvalidInput({"file": [_("文件不能超过 %(n)s MB", n=MAX_BYTES // (1024 * 1024))]})
    headers, encoding, estimate = _read_head(_kind(name), data)
    job = ImportJob(unit_id=unit.id, unit_path=unit.path, kind=ImportKind.PETITIONS.value, filename=name,
                    size=len(data), encoding=encoding, headers=headers, total_rows=estimate, state="uploaded",
                    errors=[], created_by_id=context.current().account_id)
    db.session.add(job)
    db.session.flush()  # the id binds the sealed file to this import
    job.content = crypto.seal_file(data, _associated(job))
    IMPORT_FLOW.begin(job, detail={"filename": name, "size": len(data)})
    return job


def mapping_errors(unit: Unit, headers: list[str], mapping: dict) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The mapping as the import keeps it (only mapped fields) and the errors of each field."""
    errors: dict[str, list[str]] = {}
    kept: dict[str, str] = {}
    for key, header in (mapping or {}).items():
        header = str(header or "").strip()
        if key not in FIELDS_BY_KEY:
            add_error(errors, "mapping", _("没有“%(key)s”这个字段", key=key))
        elif header:
            if header not in headers:
                add_error(errors, key, _("“%(field)s”对应的列“%(header)s”不在文件的标题行中",
                                         field=FIELDS_BY_KEY[key].label, header=header))
            kept[key] = header
    required = [f for f in FIELDS if f.required]
    if categories_for(unit):  # the unit has a taxonomy: every row must name one of it
        required.append(FIELDS_BY_KEY["category"])
    for f in required:
        if f.key not in kept:
            add_error(errors, f.key, _("请为必填项“%(field)s”选择对应的列", field=f.label))
    used = Counter(kept.values())
    for key, header in kept.items():
        if used[header] > 1:
            add_error(errors, key, _("“%(header)s”列同时对应了多个字段，请只选一个", header=header))
    return kept, errors


def may_map(job: ImportJob) -> bool:
    """The mapping can change until the rows are in, but not under a running job (unless it has stalled: the
    sweep resumes or fails a job whose worker died within a minute; this covers a job that never started)."""
    if job.state in RUNNING:
        return job.heartbeat_at is None and as_utc(job.updated_at) < utcnow() - jobs.LOST_AFTER
    return "map" in {t.name for t in IMPORT_FLOW.available(job)}


def save_mapping(job: ImportJob, unit: Unit, mapping: dict, *, expected_version: int | None = None) -> None:
    check_version(job, expected_version)
    if not may_map(job):
        if job.state in RUNNING:
            raise Conflict(_("正在处理这个文件，请等待完成后再修改"), detail={"current_state": job.state})
        raise IMPORT_FLOW.not_now(job, "map")
    kept, errors = mapping_errors(unit, job.headers, mapping)
    if errors:
        raise InvalidInput(errors)
    job.mapping = kept
    _reset_results(job)
    IMPORT_FLOW.apply(job, "map", detail={"fields": sorted(kept)})


def _reset_results(job: ImportJob) -> None:
    job.processed_rows = job.error_count = job.duplicate_count = 0
    job.errors, job.failure, job.checked_at = [], None, None


def request_check(job: ImportJob, *, expected_version: int | None = None, transition: str = "check") -> None:
    """Queue the dry run; the progress page follows it. ``transition``: "retry" for an import that failed."""
    check_version(job, expected_version)
    _reset_results(job)
    IMPORT_FLOW.apply(job, transition)
    jobs.queued(job)
    jobs.enqueue_after_commit(CHECK_JOB, job.unit_id, job.id, context.current().account_id)


def retry(job: ImportJob, *, expected_version: int | None = None) -> None:
    """An import that failed (a job that stopped, a file it could not read) is checked again from the start,
    with its mapping: its commit follows a clean dry run, as always. Nothing of the failed attempt was kept."""
    request_check(job, expected_version=expected_version, transition="retry")


def request_commit(job: ImportJob, *, expected_version: int | None = None) -> None:
    """Queue the commit of an import whose dry run was clean (the ``checked`` state says so)."""
    check_version(job, expected_version)
    IMPORT_FLOW.apply(job, "commit")
    job.processed_rows = 0
    jobs.queued(job)
    jobs.enqueue_after_commit(COMMIT_JOB, job.unit_id, job.id, context.current().account_id)


# ---------------------------------------------------------------- reading and checking rows


@dataclass
class Row:
    number: int  # the row as the user sees it in the sheet (the title row is 1)
    columns: dict  # the petition's plain columns, from clean_registration
    people: dict  # the informant's fields, encrypted on the way in
    source_ref: str | None
    key: bytes = b""  # what makes two rows the same petition (duplicates)


@dataclass
class Batch:
    rows: list[Row]  # the good rows
    problems: list[dict] = field(default_factory=list)  # {"row", "field", "column", "message"}, row order
    bad_rows: int = 0
    duplicate_rows: int = 0
    read: int = 0  # rows read so far, this batch included


def _to_date(value):
    """A received date from a cell: a date, an Excel serial number or a written date; None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20_000 <= value < 80_000:  # a date cell without a date format: its serial (1954-2119)
            return from_excel(value).date()
        value = _cell_text(value)
    written = str(value).strip()
    if re.fullmatch(r"\d{5}(\.0+)?", written) and 20_000 <= float(written) < 80_000:  # a serial saved to CSV
        return from_excel(float(written)).date()
    match = _DATE_TEXT.fullmatch(written) or _COMPACT_DATE.fullmatch(written)
    try:
        return date(*map(int, match.groups())) if match else UNREADABLE
    except ValueError:  # 2024-02-30
        return UNREADABLE


def _with_labels(words: dict, dictionary) -> dict:
    """The known words and the dictionary's current labels and codes (数据字典: a relabelled or added entry)."""
    return {**_keyed({label: code for code, label in dictionary.items()}), **_keyed({c: c for c in dictionary}),
            **words}


def _word(value, words: dict):
    """None for an empty cell, the stored value of a known word, else UNREADABLE."""
    word = _norm(_cell_text(value))
    return words.get(word, UNREADABLE) if word else None


def _raw_row(values: list, columns: dict[str, int]) -> tuple[dict, dict[str, list[str]], str | None]:
    """The row as clean_registration takes it, with the errors only a sheet can make (a word for the
    channel, a date written by hand). Messages never repeat a cell's value: the result page and the
    stored errors must not show an informant's name that sits in a wrongly mapped column."""
    def cell(key):
        index = columns.get(key)
        return values[index] if index is not None and index < len(values) else None

    errors: dict[str, list[str]] = {}

    def read(key, value):
        if value is UNREADABLE:
            add_error(errors, key, str(UNREADABLE_MESSAGES[key]))
            return None
        return value

    raw = {k: _cell_text(cell(k)) for k in ("accused_name", "accused_position", "accused_work_unit", "category",
                                            "summary", "content")}
    raw["channel"] = read("channel", _word(cell("channel"), _with_labels(CHANNEL_WORDS, CHANNEL_LABELS))) or ""
    raw["received_on"] = read("received_on", _to_date(cell("received_on")))
    raw["accused_level"] = read("accused_level", _word(cell("accused_level"),
                                                       _with_labels(LEVEL_WORDS, ACCUSED_LEVEL_LABELS))) or ""
    raw["accused_party_member"] = read("accused_party_member", _word(cell("accused_party_member"), PARTY_WORDS))
    informant = {k: _cell_text(cell(f"informant_{k}")) for k in INFORMANT_KEYS}
    anonymous = read("anonymous", _word(cell("anonymous"), YES_NO))
    # A ledger leaves the informant empty for an anonymous report rather than saying so.
    raw["anonymous"] = anonymous if anonymous is not None else not any(informant.values())
    raw["informant"] = informant
    source_ref = _cell_text(cell("source_ref")) or None
    if source_ref and len(source_ref) > 64:
        add_error(errors, "source_ref", _("原受理编号不能超过 64 个字"))
    return raw, errors, source_ref


def _key(source_ref: str | None, received_on: date | None = None, accused_key: str = "", summary: str = "") -> bytes:
    """Two petitions are the same when their original numbers agree, or (a row without one) their received
    date, accused person and summary; a digest keeps 100,000 keys small."""
    basis = f"ref\x1f{source_ref}" if source_ref else f"row\x1f{received_on.isoformat()}\x1f{accused_key}\x1f{summary}"
    return hashlib.blake2b(basis.encode(), digest_size=16).digest()


def _row_key(row: Row) -> bytes:
    c = row.columns
    return _key(row.source_ref, c["received_on"], c["accused_key"], c["summary"])


def _registered_like(unit: Unit, rows: list[Row]) -> dict[bytes, str]:
    """The unit's petitions these rows would repeat, as key -> number: two indexed lookups per batch."""
    found: dict[bytes, str] = {}
    refs = {r.source_ref for r in rows if r.source_ref}
    if refs:
        for ref, number in db.session.execute(select(Petition.source_ref, Petition.number).where(
                Petition.unit_id == unit.id, Petition.source_ref.in_(refs))):
            found[_key(ref)] = number
    plain = [r for r in rows if not r.source_ref]
    if plain:
        for received_on, accused_key, summary, number in db.session.execute(
                select(Petition.received_on, Petition.accused_key, Petition.summary, Petition.number).where(
                    Petition.unit_id == unit.id, Petition.accused_key.in_({r.columns["accused_key"] for r in plain}),
                    Petition.received_on.in_({r.columns["received_on"] for r in plain}))):
            found[_key(None, received_on, accused_key, summary)] = number
    return found


def _registered_before(unit: Unit):
    """The same question, answered from the unit's petitions read once, before the commit writes any.

    Asking the database batch by batch would search the import's own new rows too, and its
    planner, whose statistics predate them, scans the table for it: quadratic (110 s of a 100,000
    row commit). The unit's counter is locked by then, so no petition of the unit can appear
    meanwhile. Memory: a 16-byte key and an id per petition of the unit.
    """
    ids: dict[bytes, int] = {}
    for pid, ref, received_on, accused_key, summary in db.session.execute(
            select(Petition.id, Petition.source_ref, Petition.received_on, Petition.accused_key, Petition.summary)
            .where(Petition.unit_id == unit.id).execution_options(yield_per=5_000)):
        if ref:
            ids.setdefault(_key(ref), pid)
        ids.setdefault(_key(None, received_on, accused_key, summary), pid)

    def lookup(unit: Unit, rows: list[Row]) -> dict[bytes, str]:
        hits = {r.key: ids[r.key] for r in rows if r.key in ids}
        if not hits:
            return {}
        numbers = dict(db.session.execute(select(Petition.id, Petition.number).where(
            Petition.id.in_(set(hits.values())))).all())
        return {key: numbers[pid] for key, pid in hits.items()}

    return lookup


def _problem(number: int, key: str, columns: dict[str, int], headers: list[str], message: str) -> dict:
    index = columns.get(key)
    return {"row": number, "field": key, "column": headers[index] if index is not None else "", "message": message}


def examine(job: ImportJob, unit: Unit, data: bytes, registered=_registered_like) -> Iterator[Batch]:
    """The sheet's rows in batches: the good ones ready to write, every other one with its problems.
    ``registered(unit, rows)``: the unit's petitions the rows repeat, as key -> number."""
    headers = job.headers
    columns = {key: headers.index(header) for key, header in (job.mapping or {}).items() if header in headers}
    ref_column = "source_ref" if "source_ref" in columns else "duplicate"
    categories = categories_for(unit)
    seen: dict[bytes, int] = {}  # key -> the first row with it
    read = 0
    rows = _sheet_rows(_kind(job.filename), data, job.encoding)
    next(rows, None)  # the title row
    numbered = ((n, values) for n, values in enumerate(rows, start=2) if any(_cell_text(v) for v in values))
    while chunk := list(islice(numbered, BATCH)):
        read += len(chunk)
        if read > MAX_ROWS:
            raise InvalidInput({"file": [_("一次最多导入 %(n)s 行，请把文件拆分后分别导入", n=f"{MAX_ROWS:,}")]})
        batch = Batch(rows=[], read=read)
        for number, values in chunk:
            raw, errors, source_ref = _raw_row(values, columns)
            try:
                petition_columns, people = clean_registration(raw, categories=categories)
            except InvalidInput as exc:
                for key, messages in exc.errors.items():
                    errors.setdefault(key, messages)  # a sheet-specific message of the field stays first
            if errors:
                batch.bad_rows += 1
                batch.problems += [_problem(number, key, columns, headers, m)
                                   for key, messages in errors.items() for m in messages]
                continue
            row = Row(number, petition_columns, people, source_ref)
            row.key = _row_key(row)
            batch.rows.append(row)
        known = registered(unit, batch.rows)
        kept = []
        for row in batch.rows:
            first = seen.setdefault(row.key, row.number)
            if row.key in known and row.source_ref:
                message = _("与已登记的 %(number)s 原受理编号相同", number=known[row.key])
            elif row.key in known:
                message = _("与已登记的 %(number)s 重复（受理日期、被反映人和摘要均相同）", number=known[row.key])
            elif first != row.number:
                message = _("与第 %(n)s 行重复", n=first)
            else:
                kept.append(row)
                continue
            batch.duplicate_rows += 1
            batch.problems.append(_problem(row.number, ref_column, columns, headers, message))
        batch.rows = kept
        batch.problems.sort(key=lambda p: p["row"])
        yield batch


def open_file(job: ImportJob) -> bytes:
    if job.content is None:
        raise InvalidInput({"file": [_("文件已不在系统中，请重新上传")]})
    return unseal(job.content, _associated(job))


def check(job: ImportJob, unit: Unit, *, progress=lambda read: None) -> None:
    """The dry run: every row's problems (the first ones kept for the page), nothing written but the
    import's own result. ``progress(rows_read)`` after each batch."""
    data = open_file(job)
    kept: list[dict] = []
    bad = duplicates = read = 0
    for batch in examine(job, unit, data):
        bad, duplicates, read = bad + batch.bad_rows, duplicates + batch.duplicate_rows, batch.read
        kept += batch.problems[:KEPT_ERRORS - len(kept)]
        progress(read)
    if not read:
        raise InvalidInput({"file": [_("文件中没有可导入的数据行")]})
    job.total_rows = job.processed_rows = read
    job.error_count, job.duplicate_count, job.errors = bad, duplicates, kept
    job.checked_at = utcnow()
    IMPORT_FLOW.apply(job, "reject" if bad or duplicates else "pass",
                      detail={"rows": read, "errors": bad, "duplicates": duplicates})


# ---------------------------------------------------------------- the commit


class ImportRefused(Exception):
    """The commit found a row it cannot take: nothing of the import is written."""


class Superseded(Exception):
    """Another run of the same commit holds the import (or has finished it): this one writes nothing."""


def _reserve_numbers(unit: Unit, year: int, count: int) -> Iterator[tuple[int, str]]:
    """``count`` consecutive petition numbers in one advance of the unit's counter. The counter row stays
    locked until the import's transaction ends, so the unit's registrations wait for it (and a
    rolled-back import gives its numbers back, as a rolled-back registration does)."""
    first, number = next_number(unit, "petition", year)
    counter = db.session.scalar(select(NumberCounter).where(
        NumberCounter.unit_id == unit.id, NumberCounter.series == "petition", NumberCounter.year == year))
    counter.last_value = first + count - 1
    stem = number.removesuffix(f"{first}号")  # the number's form stays core.numbering's
    return ((seq, f"{stem}{seq}号") for seq in range(first, first + count))


def _reserve_ids(count: int) -> list[int]:
    """Petition ids for a batch before it is written: each informant field is encrypted bound to its row's
    id, and a single INSERT then writes the batch (no second pass to update it)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return list(db.session.scalars(text(
            "SELECT nextval(pg_get_serial_sequence('petitions', 'id')) FROM generate_series(1, :n)"), {"n": count}))
    # SQLite: this transaction already writes (the number counter), so no one else can take ids meanwhile.
    top = db.session.execute(select(func.max(Petition.__table__.c.id))
                             .execution_options(skip_tenant_filter=True)).scalar() or 0
    return list(range(top + 1, top + 1 + count))


def commit(job: ImportJob, unit: Unit, *, progress=lambda read: None) -> None:
    """Check every row again and write them all, in this one transaction; the first problem refuses the
    whole import (ImportRefused). Each petition ends as a registration leaves it: numbered, informant
    encrypted with its matching keys, deadline, history; the unit's figures move once for the import."""
    data = open_file(job)
    account_id = context.current().account_id
    year = calendar.today().year  # numbered in the year of registration, like every registration
    attempt = job.attempts  # as claimed by this run's job
    numbers = _reserve_numbers(unit, year, job.total_rows)
    # The counter stays locked until this transaction ends: a second run of this commit (delivered twice, or
    # resumed while this one still ran) waits here, then finds the import committed, or taken by another run.
    if db.session.execute(select(ImportJob.state, ImportJob.attempts).where(ImportJob.id == job.id)).one() != (
            "committing", attempt):
        raise Superseded()
    registered = _registered_before(unit)  # read under the counter's lock, before any row of ours
    workdays = parameters.get("PETITION_HANDLING_WORKDAYS")
    due_on: dict[date, date] = {}  # the deadline by received date: a few hundred dates, not 100,000 lookups
    received: Counter[date] = Counter()
    created, first_number, last_number = 0, None, None
    now = utcnow()
    for batch in examine(job, unit, data, registered):
        if batch.problems:
            p = batch.problems[0]
            raise ImportRefused(_("第 %(row)s 行：%(message)s", row=p["row"], message=p["message"]))
        if created + len(batch.rows) > job.total_rows:
            raise ImportRefused(_("文件的行数与检查时不同，请重新检查"))
        petitions, history = [], []
        for row, pid in zip(batch.rows, _reserve_ids(len(batch.rows))):
            seq, number = next(numbers)
            c = row.columns
            if c["received_on"] not in due_on:
                due_on[c["received_on"]] = calendar.add_workdays(c["received_on"], workdays)
            # transient: the informant and the accused person are sealed bound to the row's unit and id
            sealed = Petition(id=pid, unit_id=unit.id, accused_name=c["accused_name"],
                              accused_position=c["accused_position"], accused_work_unit=c["accused_work_unit"])
            store_informant(sealed, row.people)
            petitions.append(dict(
                c, id=pid, unit_id=unit.id, unit_path=unit.path, year=year, seq=seq, number=number,
                state="registered", due_on=due_on[c["received_on"]], registered_by_id=account_id, flags=[],
                source_ref=row.source_ref, created_at=now, updated_at=now, version=1,
                **{f"informant_{k}": getattr(sealed, f"informant_{k}") for k in INFORMANT_KEYS},
                informant_id_key=sealed.informant_id_key, informant_phone_key=sealed.informant_phone_key,
                **crypto.sealed_columns(sealed)))
            history.append(dict(
                unit_id=unit.id, unit_path=unit.path, counterpart_unit_id=None, object_type=PETITION_FLOW.object_type,
                object_id=pid, transition="create", from_state="", to_state="registered", account_id=account_id,
                acting_unit_id=unit.id, reason=None, occurred_at=now,
                detail={"number": number, "channel": c["channel"], "import_id": job.id}))
            received[c["received_on"]] += 1
            first_number = first_number or number
            last_number = number
        if petitions:
            db.session.execute(insert(Petition.__table__), petitions)
            db.session.execute(insert(TransitionRecord.__table__), history)
            for channel in {p["channel"] for p in petitions}:  # an added channel in use can no longer be removed
                dictionaries.note_use(CHANNEL_LABELS.name, channel)
        created += len(petitions)
        progress(batch.read)
    if created != job.total_rows:
        raise ImportRefused(_("文件的行数与检查时不同，请重新检查"))
    # The figures a registration moves, once per metric for the whole import.
    tenancy_ops.bump_stat(unit, "petitions.open", created)
    tenancy_ops.bump_stat(unit, "petitions.received", created)
    for day, count in sorted(received.items()):
        tenancy_ops.bump_stat(unit, "petitions.received", count, day.isoformat())
    job.processed_rows, job.created_count = created, created
    job.first_number, job.last_number, job.committed_at = first_number, last_number, utcnow()
    job.content = None  # the rows are in (their informants encrypted); the sheet is not kept
    IMPORT_FLOW.apply(job, "finish", detail={"created": created})
    record("petition.import", unit_id=unit.id, object_type="import_jobs", object_id=job.id,
           account=db.session.get(Account, account_id) if account_id else None,
           detail={"filename": job.filename, "created": created, "first": first_number, "last": last_number})


def record_failure(job: ImportJob, reason: str) -> None:
    """A check or commit that could not finish: the reason for the page; nothing else was written."""
    job.failure = reason[:2000]
    IMPORT_FLOW.apply(job, "fail", detail={"reason": job.failure})


def stopped_reason(reason: str) -> str:
    """Why the sweep failed an import whose job stopped (core.jobs names the cause)."""
    return _("%(reason)s，未写入任何记录；请点击“重试”重新检查并导入", reason=reason)


def failure_reason(exc: Exception) -> str:
    if isinstance(exc, InvalidInput):
        return "；".join(exc.messages)
    if isinstance(exc, ImportRefused):
        return str(exc)
    if isinstance(exc, MemoryError):
        return str(TOO_BIG)
    return _("处理时发生系统错误，未写入任何记录；请联系系统管理员")
