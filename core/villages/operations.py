"""Every write of villages (清廉村居): villages added one by one or imported (with a dry run) and archived, the
county's grading rounds, the townships' scores, a leader's override, the submission and the county's confirmation,
a C village's plan (一村一方案) with its items closed out (销号) and its monthly reports, the extraordinary regrade
a township proposes once every item is closed. Each write is audited and moves the township's figures in the same
transaction; ``recount`` counts them again from the records (the nightly reconcile) and ``refresh_overdue`` sets
the time-based ones (items past their deadline, months without a report)."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from core import calendar, context, dictionaries
from core.audit.operations import record
from core.clock import utcnow
from core.errors import InvalidInput, add_error
from core.extensions import db
from core.inbox import operations as inbox
from core.inbox.models import InboxKind
from core.models import check_version
from core.numbering import short_name
from core.villages.models import GradingRound, Village, VillageGrading, VillagePlan, VillagePlanItem, VillageReport
from core.villages.workflow import (CRITERIA_LABELS, DEFAULT_CRITERIA, DEFAULT_THRESHOLD_A, DEFAULT_THRESHOLD_B,
                                    EDITABLE, GRADES, KIND_LABELS, MAX_CRITERIA, MAX_SCORE, grade_of, weighted_total)
from tenants import operations as tenancy_ops
from tenants.models import Role, Unit, UnitLevel, UnitStat
from tenants.stats import with_coarser_keys

CODE = re.compile(r"\d{12}")
NAME_LIMIT, PERSON_LIMIT, POSITION_LIMIT, NOTE_LIMIT, TEXT_LIMIT = 100, 50, 100, 500, 2000
MAX_ITEMS = 50
MAX_IMPORT_ROWS = 2000
# The import's columns, by their titles in the sheet's first row (名称 and 区划代码 required, the rest optional).
IMPORT_COLUMNS = {"name": ("名称", "村（社区）名称", "村名称"), "code": ("区划代码", "统计用区划代码", "代码"),
                  "kind": ("类型", "类别"), "secretary_name": ("党组织书记", "支部书记", "书记"),
                  "secretary_position": ("书记职务",), "head_name": ("村（居）委会主任", "村委会主任", "主任"),
                  "head_position": ("主任职务",)}
KIND_WORDS = {"村": "village", "village": "village", "社区": "community", "居": "community", "community": "community"}


# ---------------------------------------------------------------- small helpers


def _parse_date(value) -> date | None:
    if isinstance(value, date) or value is None:
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _text(raw: dict, field: str, limit: int, errors: dict, *, required: str | None = None) -> str:
    value = str(raw.get(field) if raw.get(field) is not None else "").strip()
    if not value and required:
        add_error(errors, field, required)
    elif len(value) > limit:
        add_error(errors, field, _("不能超过 %(n)s 个字", n=limit))
    return value


def _as(unit: Unit):
    """Write a township's own rows (a village, its figures) as the township: the county confirming a grade."""
    return context.writing_as(unit.id, unit.path)


def _g(grade: str | None) -> str:
    """A grade as the audit trail says it (A类), never the bare letter."""
    return f"{grade}类" if grade else ""


def _unit(unit_id: int) -> Unit:
    return db.session.get(Unit, unit_id)


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _months(first: date, last: date) -> list[str]:
    """YYYY-MM of every month from ``first``'s to ``last``'s, both included."""
    months, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def last_completed_month(today: date) -> date:
    """The last day of the month before ``today``'s."""
    return today.replace(day=1) - timedelta(days=1)


# ---------------------------------------------------------------- villages


def clean_village(unit: Unit, raw: dict, *, village: Village | None = None, prefix: str = "") -> dict:
    """One village's fields, validated (the code: 12 digits, the township's own 9 first, not yet registered)."""
    errors: dict[str, list[str]] = {}
    name = _text(raw, "name", NAME_LIMIT, errors, required=_("请填写村（社区）名称"))
    code = str(raw.get("code") or "").strip()
    if village is not None:
        code = village.code  # the division code names the village: it does not change
    elif not CODE.fullmatch(code):
        add_error(errors, "code", _("区划代码应为 12 位数字"))
    elif code[:9] != unit.code[:9]:
        add_error(errors, "code", _("区划代码前 9 位应为本乡镇（街道）的代码 %(c)s", c=unit.code[:9]))
    elif code[9:] == "000":
        add_error(errors, "code", _("区划代码后 3 位不能为 000（那是乡镇本身的代码）"))
    elif db.session.scalar(select(Village.id).where(Village.code == code)) is not None:
        add_error(errors, "code", _("区划代码 %(c)s 已登记（含已归档的村）", c=code))
    kind = str(raw.get("kind") or "").strip()
    kind = KIND_WORDS.get(kind, kind)
    if kind not in KIND_LABELS:
        add_error(errors, "kind", _("请选择类型：村或社区"))
    fields = {"name": name, "code": code, "kind": kind}
    for person, position in (("secretary_name", "secretary_position"), ("head_name", "head_position")):
        fields[person] = _text(raw, person, PERSON_LIMIT, errors)
        fields[position] = _text(raw, position, POSITION_LIMIT, errors)
    if errors:
        raise InvalidInput({f"{prefix}{k}": v for k, v in errors.items()})
    return fields


def _ensure_township(unit: Unit) -> None:
    if unit.level != UnitLevel.TOWNSHIP:
        raise InvalidInput({"_schema": [_("村（社区）由乡镇（街道）登记")]})


def add_village(unit: Unit, raw: dict) -> Village:
    _ensure_township(unit)
    fields = clean_village(unit, raw)
    if not fields["secretary_position"] and fields["secretary_name"]:
        fields["secretary_position"] = "村党组织书记" if fields["kind"] == "village" else "社区党组织书记"
    if not fields["head_position"] and fields["head_name"]:
        fields["head_position"] = "村委会主任" if fields["kind"] == "village" else "居委会主任"
    village = Village(unit_id=unit.id, unit_path=unit.path, created_by_id=context.current().account_id, **fields)
    db.session.add(village)
    db.session.flush()
    tenancy_ops.bump_stat(unit, "villages.count", 1)
    record("village.add", unit_id=unit.id, object_type="villages", object_id=village.id,
           detail={"name": village.name, "code": village.code})
    return village


def update_village(village: Village, raw: dict, *, expected_version: int | None = None) -> Village:
    """Name, kind and the two office holders (a new 书记 or 主任 after an election); the code stays."""
    check_version(village, expected_version)
    unit = _unit(village.unit_id)
    fields = clean_village(unit, raw, village=village)
    changed = [k for k, v in fields.items() if getattr(village, k) != v]
    for key, value in fields.items():
        setattr(village, key, value)
    record("village.update", unit_id=unit.id, object_type="villages", object_id=village.id,
           detail={"changed": ", ".join(changed)})
    return village


def archive_village(village: Village, reason: str) -> None:
    """归档 (a merged or dissolved village): kept with its history, out of the lists and figures."""
    errors: dict = {}
    reason = _text({"reason": reason}, "reason", TEXT_LIMIT, errors, required=_("请填写归档理由（如撤并）"))
    if village.archived_at is not None:
        add_error(errors, "_schema", _("该村（社区）已归档"))
    plan = active_plan(village)
    if plan is not None and any(item.state == "open" for item in plan.items):
        add_error(errors, "_schema", _("该村一村一方案尚有未销号事项，不能归档"))
    if errors:
        raise InvalidInput(errors)
    unit = _unit(village.unit_id)
    village.archived_at, village.archive_reason = utcnow(), reason
    tenancy_ops.bump_stat(unit, "villages.count", -1)
    if village.grade:
        tenancy_ops.bump_stat(unit, f"villages.grade.{village.grade.lower()}", -1)
    if plan is not None and village.grade == "C":
        tenancy_ops.bump_stat(unit, "villages.c_with_plan", -1)
    record("village.archive", unit_id=unit.id, object_type="villages", object_id=village.id,
           detail={"name": village.name, "reason": reason})
    refresh_overdue(unit, calendar.today())


def _import_columns(title_row: list) -> dict[str, int]:
    titles = [str(value or "").strip() for value in title_row]
    found = {}
    for field, names in IMPORT_COLUMNS.items():
        for i, title in enumerate(titles):
            if title in names:
                found[field] = i
                break
    return found


def import_villages(unit: Unit, data: bytes, *, dry_run: bool) -> dict:
    """Villages from an xlsx of codes (名称, 区划代码, 类型, 党组织书记, 村（居）委会主任 …). Every row is checked;
    with ``dry_run`` (预检) nothing is saved; else the rows are saved only if none is refused (all or nothing).
    Returns {"rows": [{row, name, code, kind, errors}], "valid", "refused", "created"}."""
    from core import spreadsheets

    _ensure_township(unit)
    if not data:
        raise InvalidInput({"file": [_("请选择要导入的 Excel 文件（.xlsx）")]})
    rows = spreadsheets.rows(data)
    columns = _import_columns(next(rows, []))
    if "name" not in columns or "code" not in columns:
        raise InvalidInput({"file": [_("第一行应为标题行，至少包括“名称”和“区划代码”两列")]})
    checked, seen = [], set()
    for number, values in enumerate(rows, start=2):
        raw = {field: (values[i] if i < len(values) else None) for field, i in columns.items()}
        if not any(v not in (None, "") for v in raw.values()):
            continue
        if len(checked) >= MAX_IMPORT_ROWS:
            raise InvalidInput({"file": [_("一次最多导入 %(n)s 行", n=MAX_IMPORT_ROWS)]})
        raw = {k: ("" if v is None else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
               for k, v in raw.items()}
        raw.setdefault("kind", "")
        if not raw["kind"]:
            raw["kind"] = "community" if raw.get("name", "").endswith("社区") else "village"
        line = {"row": number, "name": raw.get("name", ""), "code": raw.get("code", ""), "errors": [], "raw": raw}
        try:
            line["fields"] = clean_village(unit, raw)
        except InvalidInput as exc:
            line["errors"] = exc.messages
        if raw.get("code") in seen:
            line["errors"].append(_("与表中前面的行区划代码重复"))
        seen.add(raw.get("code"))
        line["kind"] = str(KIND_LABELS.get(line.get("fields", {}).get("kind", raw["kind"]), ""))
        checked.append(line)
    if not checked:
        raise InvalidInput({"file": [_("表中没有村（社区）数据")]})
    refused = sum(1 for line in checked if line["errors"])
    created = 0
    if not dry_run and not refused:
        for line in checked:
            add_village(unit, line["raw"])
            created += 1
        record("village.import", unit_id=unit.id, object_type="units", object_id=unit.id, detail={"rows": created})
    for line in checked:
        line.pop("raw", None)
        line.pop("fields", None)
    return {"rows": checked, "valid": len(checked) - refused, "refused": refused, "created": created}


# ---------------------------------------------------------------- grading rounds (the county)


def default_criteria() -> list[dict]:
    weights = {key: weight for key, _name, weight in DEFAULT_CRITERIA}
    return [{"key": entry.code, "name": entry.label_zh, "weight": weights[entry.code]}
            for entry in dictionaries.entries(CRITERIA_LABELS.name, active_only=False)]


def _clean_criteria(raw_criteria, errors: dict) -> list[dict]:
    if not raw_criteria:
        return default_criteria()
    criteria, names, default_keys = [], set(), {c["name"]: c["key"] for c in default_criteria()}
    for i, raw in enumerate(raw_criteria if isinstance(raw_criteria, list) else []):
        raw = raw if isinstance(raw, dict) else {}
        name = str(raw.get("name") or "").strip()
        weight_text = str(raw.get("weight") if raw.get("weight") is not None else "").strip()
        if not name and not weight_text:
            continue
        if not name or len(name) > 20:
            add_error(errors, f"criteria.{i}.name", _("请填写第 %(n)s 项评定内容的名称（不超过 20 个字）", n=i + 1))
        elif name in names:
            add_error(errors, f"criteria.{i}.name", _("评定内容“%(name)s”重复", name=name))
        try:
            weight = int(weight_text)
        except ValueError:
            weight = 0
        if not 1 <= weight <= 100:
            add_error(errors, f"criteria.{i}.weight", _("第 %(n)s 项评定内容的权重应为 1 到 100 的整数", n=i + 1))
        names.add(name)
        criteria.append({"key": default_keys.get(name, f"c{i + 1}"), "name": name, "weight": weight})
    if not criteria:
        return default_criteria()
    if len(criteria) > MAX_CRITERIA:
        add_error(errors, "criteria", _("评定内容不能超过 %(n)s 项", n=MAX_CRITERIA))
    elif not any(k.startswith("criteria.") for k in errors) and sum(c["weight"] for c in criteria) != 100:
        add_error(errors, "criteria", _("各项评定内容的权重合计应为 100（现为 %(n)s）",
                                        n=sum(c["weight"] for c in criteria)))
    keys = [c["key"] for c in criteria]
    if len(set(keys)) != len(keys):  # a custom name in a default's place: number them all
        for i, criterion in enumerate(criteria):
            criterion["key"] = f"c{i + 1}"
    return criteria


def _threshold(raw: dict, field: str, default: int, errors: dict) -> int:
    value = raw.get(field)
    if value in (None, ""):
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if not 1 <= number <= MAX_SCORE:
        add_error(errors, field, _("分数线应为 1 到 100 的整数"))
    return number


def open_round(county: Unit, raw: dict) -> GradingRound:
    """定期研判: a round of the county's townships' villages (period, weighted criteria, the lines of A and B)."""
    errors: dict[str, list[str]] = {}
    if county.level == UnitLevel.TOWNSHIP:
        add_error(errors, "_schema", _("评定由县（区）纪委监委组织"))
    name = _text(raw, "name", NAME_LIMIT, errors, required=_("请填写评定名称"))
    period = _text(raw, "period", 20, errors, required=_("请填写评定期次（如 2026上半年）"))
    criteria = _clean_criteria(raw.get("criteria"), errors)
    threshold_a = _threshold(raw, "threshold_a", DEFAULT_THRESHOLD_A, errors)
    threshold_b = _threshold(raw, "threshold_b", DEFAULT_THRESHOLD_B, errors)
    if "threshold_a" not in errors and "threshold_b" not in errors and threshold_b >= threshold_a:
        add_error(errors, "threshold_b", _("B 类分数线应低于 A 类分数线"))
    opened_on = _parse_date(raw.get("opened_on") or calendar.today())
    if opened_on is None or opened_on > calendar.today():
        add_error(errors, "opened_on", _("开始日期应为不晚于今天的有效日期"))
    if period and db.session.scalar(select(GradingRound.id).where(
            GradingRound.unit_id == county.id, GradingRound.period == period)) is not None:
        add_error(errors, "period", _("本期（%(p)s）已有评定", p=period))
    if errors:
        raise InvalidInput(errors)
    needs = raw.get("needs_confirmation", True)
    needs = needs if isinstance(needs, bool) else str(needs).lower() in ("1", "true", "on", "yes", "是")
    round_ = GradingRound(unit_id=county.id, unit_path=county.path, name=name, period=period, criteria=criteria,
                          threshold_a=threshold_a, threshold_b=threshold_b, needs_confirmation=needs, state="open",
                          opened_on=opened_on, created_by_id=context.current().account_id)
    db.session.add(round_)
    db.session.flush()
    record("grading_round.open", unit_id=county.id, object_type="grading_rounds", object_id=round_.id,
           detail={"name": name, "period": period})
    return round_


def close_round(round_: GradingRound) -> None:
    if round_.state != "open":
        raise InvalidInput({"_schema": [_("该评定已结束")]})
    round_.state, round_.closed_on = "closed", calendar.today()
    record("grading_round.close", unit_id=round_.unit_id, object_type="grading_rounds", object_id=round_.id,
           detail={"period": round_.period})


# ---------------------------------------------------------------- gradings (the township; the county confirms)


def start_grading(village: Village, round_: GradingRound) -> VillageGrading:
    """The village's grading in the round (made once; the same one is returned after)."""
    if village.archived_at is not None:
        raise InvalidInput({"_schema": [_("已归档的村（社区）不参加评定")]})
    town = _unit(village.unit_id)
    if round_.unit_id != town.parent_id:
        raise InvalidInput({"round_id": [_("只能参加本县（区）组织的评定")]})
    found = db.session.scalar(select(VillageGrading).where(VillageGrading.village_id == village.id,
                                                           VillageGrading.round_id == round_.id))
    if found is not None:
        return found
    if round_.state != "open":
        raise InvalidInput({"round_id": [_("该评定已结束")]})
    grading = VillageGrading(unit_id=town.id, unit_path=town.path, village_id=village.id, round_id=round_.id,
                             county_id=round_.unit_id, kind="round", village_name=village.name,
                             village_code=village.code, scores={}, state="draft",
                             scored_by_id=context.current().account_id)
    db.session.add(grading)
    db.session.flush()
    record("village_grading.start", unit_id=town.id, object_type="village_gradings", object_id=grading.id,
           detail={"name": village.name, "period": round_.period})
    return grading


def _editable(grading: VillageGrading) -> None:
    if grading.kind != "round" or grading.state not in EDITABLE:
        raise InvalidInput({"_schema": [_("该评定已提交，不能再修改")]})
    if grading.round.state != "open":
        raise InvalidInput({"_schema": [_("该评定已结束")]})


def _recompute(grading: VillageGrading) -> None:
    round_ = grading.round
    grading.total = weighted_total(round_.criteria, grading.scores)
    grading.computed_grade = (grade_of(grading.total, round_.threshold_a, round_.threshold_b)
                              if grading.total is not None else None)
    grading.grade = grading.override_grade or grading.computed_grade


def score(grading: VillageGrading, raw_scores: dict, *, expected_version: int | None = None) -> VillageGrading:
    """Each criterion's score (0–100) and note; what is left empty stays unscored (the grading waits for it)."""
    check_version(grading, expected_version)
    _editable(grading)
    errors: dict[str, list[str]] = {}
    scores = {}
    raw_scores = raw_scores if isinstance(raw_scores, dict) else {}
    for criterion in grading.round.criteria:
        key = criterion["key"]
        raw = raw_scores.get(key) or {}
        raw = raw if isinstance(raw, dict) else {"score": raw}
        text = str(raw.get("score") if raw.get("score") is not None else "").strip()
        note = str(raw.get("note") or "").strip()
        value = None
        if text:
            try:
                value = float(text)
            except ValueError:
                value = -1.0
            if not 0 <= value <= MAX_SCORE or value != value:
                add_error(errors, f"scores.{key}.score", _("“%(c)s”的得分应为 0 到 100", c=criterion["name"]))
            elif value.is_integer():
                value = int(value)
        if len(note) > NOTE_LIMIT:
            add_error(errors, f"scores.{key}.note", _("“%(c)s”的说明不能超过 %(n)s 个字", c=criterion["name"],
                                                      n=NOTE_LIMIT))
        scores[key] = {"score": value, "note": note}
    if errors:
        raise InvalidInput(errors)
    grading.scores = scores
    grading.scored_by_id = context.current().account_id
    _recompute(grading)
    record("village_grading.score", unit_id=grading.unit_id, object_type="village_gradings", object_id=grading.id,
           detail={"name": grading.village_name, "total": grading.total, "grade": _g(grading.computed_grade)})
    return grading


def override(grading: VillageGrading, grade: str, reason: str) -> VillageGrading:
    """A leader's grade other than the thresholds give, kept with its reason (an empty grade removes it)."""
    _editable(grading)
    errors: dict[str, list[str]] = {}
    grade = str(grade or "").strip().upper()
    reason = str(reason or "").strip()
    if grade and grade not in GRADES:
        add_error(errors, "grade", _("请选择 A、B 或 C 类"))
    if grade and not reason:
        add_error(errors, "reason", _("调整评定等次须写明理由"))
    elif len(reason) > TEXT_LIMIT:
        add_error(errors, "reason", _("不能超过 %(n)s 个字", n=TEXT_LIMIT))
    if errors:
        raise InvalidInput(errors)
    grading.override_grade = grade or None
    grading.override_reason = reason if grade else None
    grading.override_by_id = context.current().account_id if grade else None
    _recompute(grading)
    record("village_grading.override", unit_id=grading.unit_id, object_type="village_gradings",
           object_id=grading.id, detail={"name": grading.village_name, "from": _g(grading.computed_grade),
                                         "to": _g(grade or grading.computed_grade), "reason": reason})
    return grading


def submit(grading: VillageGrading, *, on: date | None = None) -> VillageGrading:
    """The township's grade: in force at once, or proposed to the county where the round wants its confirmation."""
    _editable(grading)
    if grading.total is None:
        missing = [c["name"] for c in grading.round.criteria
                   if grading.scores.get(c["key"], {}).get("score") is None]
        raise InvalidInput({"scores": [_("尚未评分：%(names)s", names="、".join(missing))]})
    on = on or calendar.today()
    grading.state, grading.submitted_on = "proposed", on
    grading.submitted_by_id = context.current().account_id
    grading.return_reason = None
    town = _unit(grading.unit_id)
    record("village_grading.submit", unit_id=town.id, object_type="village_gradings", object_id=grading.id,
           detail={"name": grading.village_name, "grade": _g(grading.grade)})
    if grading.round.needs_confirmation:
        county = _unit(grading.county_id)
        inbox.post(county, f"village-grading:{grading.id}:proposed:{grading.version}", kind=InboxKind.TASK,
                   object_type="village_gradings", object_id=grading.id, roles=(Role.LEADER.value,),
                   title=_("待确认村（社区）评定等次：%(t)s %(v)s", t=town.name, v=grading.village_name))
    else:
        _in_force(grading, on)
    return grading


def _county_check(grading: VillageGrading, county: Unit) -> None:
    if grading.county_id != county.id:
        raise InvalidInput({"_schema": [_("只能确认本县（区）乡镇的评定")]})
    if grading.state != "proposed":
        raise InvalidInput({"_schema": [_("该评定不在待确认状态")]})


def confirm(grading: VillageGrading, county: Unit, *, on: date | None = None) -> VillageGrading:
    """The county confirms the proposed grade: it comes into force for the village."""
    _county_check(grading, county)
    on = on or calendar.today()
    grading.decided_by_id = context.current().account_id
    record("village_grading.confirm", unit_id=county.id, object_type="village_gradings", object_id=grading.id,
           detail={"name": grading.village_name, "grade": _g(grading.grade)})
    inbox.close("village_gradings", grading.id, unit_id=county.id)
    _in_force(grading, on)
    return grading


def send_back(grading: VillageGrading, county: Unit, reason: str) -> VillageGrading:
    """The county sends a proposed grade back with its reason: the township scores again (an extraordinary
    regrade is refused instead, and the village stays C)."""
    _county_check(grading, county)
    reason = str(reason or "").strip()
    if not reason or len(reason) > TEXT_LIMIT:
        raise InvalidInput({"reason": [_("请填写退回理由（不超过 %(n)s 个字）", n=TEXT_LIMIT)]})
    grading.state, grading.return_reason = "returned", reason
    grading.decided_by_id = context.current().account_id
    record("village_grading.send_back", unit_id=county.id, object_type="village_gradings", object_id=grading.id,
           detail={"name": grading.village_name, "reason": reason})
    inbox.close("village_gradings", grading.id, unit_id=county.id)
    town = _unit(grading.unit_id)
    inbox.post(town, f"village-grading:{grading.id}:returned:{grading.version}", kind=InboxKind.TASK,
               object_type="village_gradings", object_id=grading.id, roles=(Role.LEADER.value, Role.OFFICER.value),
               title=_("县纪委退回村（社区）评定：%(v)s", v=grading.village_name))
    return grading


def _in_force(grading: VillageGrading, on: date) -> None:
    """The grade becomes the village's: the figures by grade move; a village leaving C lifts its plan."""
    town = _unit(grading.unit_id)
    with _as(town):
        village = db.session.get(Village, grading.village_id)
        previous, grade = village.grade, grading.grade
        grading.state, grading.in_force_on, grading.previous_grade = "in_force", on, previous
        village.grade, village.graded_on, village.grading_id = grade, on, grading.id
        if village.archived_at is None:
            if previous:
                tenancy_ops.bump_stat(town, f"villages.grade.{previous.lower()}", -1)
            tenancy_ops.bump_stat(town, f"villages.grade.{grade.lower()}", 1)
        plan = active_plan(village)
        if grade != "C":
            if plan is not None:
                plan.state, plan.lifted_on = "lifted", on
                for item in plan.items:
                    if item.state == "open":
                        item.state = "withdrawn"
                        tenancy_ops.bump_stat(town, "villages.plan_items.open", -1)
                if previous == "C" and village.archived_at is None:
                    tenancy_ops.bump_stat(town, "villages.c_with_plan", -1)
                inbox.close("village_plans", plan.id, unit_id=town.id)
            if previous == "C":
                tenancy_ops.bump_stat(town, "villages.lifted_from_c", 1)
                tenancy_ops.bump_stat(town, "villages.lifted_from_c", 1, on.isoformat())
        elif plan is not None and previous != "C" and village.archived_at is None:
            tenancy_ops.bump_stat(town, "villages.c_with_plan", 1)
        record("village.grade", unit_id=town.id, object_type="villages", object_id=village.id,
               detail={"name": village.name, "from": _g(previous), "to": _g(grade), "on": on.isoformat()})
        refresh_overdue(town, calendar.today())


def propose_regrade(village: Village, grade: str, reason: str, *, on: date | None = None) -> VillageGrading:
    """提请重新评定: a C village whose plan is all closed out; the county confirms (or refuses) the new grade."""
    errors: dict[str, list[str]] = {}
    grade = str(grade or "").strip().upper()
    reason = str(reason or "").strip()
    plan = active_plan(village)
    if village.grade != "C":
        add_error(errors, "_schema", _("只有 C 类村（社区）可提请重新评定"))
    elif plan is None or plan.state != "closed":
        add_error(errors, "_schema", _("一村一方案全部销号后方可提请重新评定"))
    elif db.session.scalar(select(VillageGrading.id).where(VillageGrading.village_id == village.id,
                                                           VillageGrading.state == "proposed")) is not None:
        add_error(errors, "_schema", _("已有待县纪委确认的评定"))
    if grade not in ("A", "B"):
        add_error(errors, "grade", _("请选择提请评定的等次（A 或 B 类）"))
    if not reason:
        add_error(errors, "reason", _("请填写提请理由（整改成效）"))
    elif len(reason) > TEXT_LIMIT:
        add_error(errors, "reason", _("不能超过 %(n)s 个字", n=TEXT_LIMIT))
    if errors:
        raise InvalidInput(errors)
    town = _unit(village.unit_id)
    on = on or calendar.today()
    grading = VillageGrading(unit_id=town.id, unit_path=town.path, village_id=village.id, round_id=None,
                             county_id=town.parent_id, kind="extraordinary", village_name=village.name,
                             village_code=village.code, scores={}, override_grade=grade, override_reason=reason,
                             override_by_id=context.current().account_id, grade=grade, state="proposed",
                             submitted_on=on, submitted_by_id=context.current().account_id)
    db.session.add(grading)
    db.session.flush()
    record("village_grading.propose_regrade", unit_id=town.id, object_type="village_gradings",
           object_id=grading.id, detail={"name": village.name, "to": _g(grade), "reason": reason})
    inbox.post(_unit(town.parent_id), f"village-grading:{grading.id}:proposed:{grading.version}",
               kind=InboxKind.TASK, object_type="village_gradings", object_id=grading.id, roles=(Role.LEADER.value,),
               title=_("待确认提请重新评定：%(t)s %(v)s", t=town.name, v=village.name))
    return grading


# ---------------------------------------------------------------- the C village's plan (一村一方案)


def active_plan(village: Village) -> VillagePlan | None:
    """The village's plan not lifted yet (at most one)."""
    return db.session.scalar(select(VillagePlan).where(VillagePlan.village_id == village.id,
                                                       VillagePlan.state != "lifted").order_by(VillagePlan.id.desc()))


def _clean_item(raw: dict, errors: dict, prefix: str, issued_on: date) -> dict:
    raw = raw if isinstance(raw, dict) else {}
    sub: dict[str, list[str]] = {}
    problem = _text(raw, "problem", TEXT_LIMIT, sub, required=_("请填写问题"))
    measure = _text(raw, "measure", TEXT_LIMIT, sub, required=_("请填写整改措施"))
    responsible = _text(raw, "responsible", PERSON_LIMIT, sub, required=_("请填写责任人（如联村干部）"))
    position = _text(raw, "responsible_position", POSITION_LIMIT, sub)
    deadline = _parse_date(raw.get("deadline") or None)
    if deadline is None:
        add_error(sub, "deadline", _("请填写整改时限（如 2026-03-31）"))
    elif deadline < issued_on or deadline > issued_on + timedelta(days=366 * 2):
        add_error(sub, "deadline", _("整改时限应在方案下发之日起两年内"))
    for key, messages in sub.items():
        for message in messages:
            add_error(errors, f"{prefix}{key}", message)
    return {"problem": problem, "measure": measure, "responsible": responsible, "responsible_position": position,
            "deadline": deadline}


def create_plan(village: Village, raw: dict) -> VillagePlan:
    """一村一方案 of a C village with its problems, and the 重点问题督改单 issued with it (its number, its day, signed
    by the township's party secretary and discipline secretary)."""
    errors: dict[str, list[str]] = {}
    if village.grade != "C" or village.archived_at is not None:
        add_error(errors, "_schema", _("只有 C 类村（社区）制定一村一方案"))
    elif active_plan(village) is not None:
        add_error(errors, "_schema", _("该村已有一村一方案"))
    today = calendar.today()
    issued_on = _parse_date(raw.get("issued_on") or today)
    if issued_on is None or issued_on > today or (village.graded_on and issued_on < village.graded_on):
        add_error(errors, "issued_on", _("下发日期应在评定为 C 类之后、不晚于今天"))
        issued_on = today
    party = _text(raw, "party_secretary", PERSON_LIMIT, errors, required=_("请填写乡镇（街道）党（工）委书记姓名"))
    discipline = _text(raw, "discipline_secretary", PERSON_LIMIT, errors,
                       required=_("请填写乡镇（街道）纪（工）委书记姓名"))
    requirements = _text(raw, "requirements", TEXT_LIMIT, errors)
    raw_items = [i for i in (raw.get("items") or []) if isinstance(i, dict) and any(str(v or "").strip()
                                                                                 for v in i.values())]
    items = [_clean_item(item, errors, f"items.{n}.", issued_on) for n, item in enumerate(raw_items)]
    if not items:
        add_error(errors, "items", _("请至少列出一个问题及其整改措施"))
    elif len(items) > MAX_ITEMS:
        add_error(errors, "items", _("问题不能超过 %(n)s 个", n=MAX_ITEMS))
    if errors:
        raise InvalidInput(errors)
    town = _unit(village.unit_id)
    year = issued_on.year
    seq = (db.session.scalar(select(func.max(VillagePlan.seq)).where(VillagePlan.unit_id == town.id,
                                                                     VillagePlan.year == year)) or 0) + 1
    plan = VillagePlan(unit_id=town.id, unit_path=town.path, village_id=village.id, grading_id=village.grading_id,
                       year=year, seq=seq, number=f"{short_name(town.name)}纪督改〔{year}〕{seq}号", state="open",
                       issued_on=issued_on, party_secretary=party, discipline_secretary=discipline,
                       requirements=requirements, created_by_id=context.current().account_id)
    db.session.add(plan)
    db.session.flush()
    for n, item in enumerate(items, start=1):
        db.session.add(VillagePlanItem(unit_id=town.id, unit_path=town.path, plan_id=plan.id, seq=n, state="open",
                                       **item))
    db.session.flush()
    db.session.expire(plan, ["items"])
    tenancy_ops.bump_stat(town, "villages.c_with_plan", 1)
    tenancy_ops.bump_stat(town, "villages.plan_items.open", len(items))
    record("village_plan.create", unit_id=town.id, object_type="village_plans", object_id=plan.id,
           detail={"name": village.name, "items": len(items)})
    refresh_overdue(town, today)
    return plan


def add_item(plan: VillagePlan, raw: dict) -> VillagePlanItem:
    if plan.state == "lifted":
        raise InvalidInput({"_schema": [_("该村已摘帽，方案不再增加问题")]})
    errors: dict[str, list[str]] = {}
    fields = _clean_item(raw, errors, "", plan.issued_on)
    if len(plan.items) >= MAX_ITEMS:
        add_error(errors, "_schema", _("问题不能超过 %(n)s 个", n=MAX_ITEMS))
    if errors:
        raise InvalidInput(errors)
    town = _unit(plan.unit_id)
    item = VillagePlanItem(unit_id=town.id, unit_path=town.path, plan_id=plan.id,
                           seq=max((i.seq for i in plan.items), default=0) + 1, state="open", **fields)
    db.session.add(item)
    if plan.state == "closed":
        plan.state, plan.closed_on = "open", None
    db.session.flush()
    db.session.expire(plan, ["items"])
    tenancy_ops.bump_stat(town, "villages.plan_items.open", 1)
    record("village_plan.add_item", unit_id=town.id, object_type="village_plans", object_id=plan.id,
           detail={"seq": item.seq})
    refresh_overdue(town, calendar.today())
    return item


def update_item(item: VillagePlanItem, raw: dict, *, expected_version: int | None = None) -> VillagePlanItem:
    """An open item corrected: its problem, measure, responsible person or deadline (fields not given keep theirs).
    A moved deadline needs its reason; every change is audited old and new, and the overdue figure follows."""
    check_version(item, expected_version)
    plan = item.plan
    errors: dict[str, list[str]] = {}
    if item.state != "open":
        add_error(errors, "_schema", _("只有未销号的问题可以修改"))
    merged = {"problem": item.problem, "measure": item.measure, "responsible": item.responsible,
              "responsible_position": item.responsible_position or "", "deadline": item.deadline.isoformat(),
              **{key: value for key, value in raw.items() if key in ("problem", "measure", "responsible",
                                                                     "responsible_position", "deadline")}}
    fields = _clean_item(merged, errors, "", plan.issued_on)
    reason = _text(raw, "reason", TEXT_LIMIT, errors)
    if fields["deadline"] is not None and fields["deadline"] != item.deadline and not reason:
        add_error(errors, "reason", _("调整整改时限须填写理由"))
    if errors:
        raise InvalidInput(errors)
    changed = {}
    for key, value in fields.items():
        before = getattr(item, key) or ("" if key == "responsible_position" else None)
        if before != value:
            changed[key] = {"from": before.isoformat() if isinstance(before, date) else before,
                            "to": value.isoformat() if isinstance(value, date) else value}
            setattr(item, key, value)
    if changed:
        town = _unit(item.unit_id)
        db.session.flush()
        record("village_plan.update_item", unit_id=town.id, object_type="village_plans", object_id=plan.id,
               detail={"seq": item.seq, "changed": changed, "reason": reason})
        refresh_overdue(town, calendar.today())
    return item


def close_item(item: VillagePlanItem, raw: dict, *, expected_version: int | None = None) -> VillagePlanItem:
    """销号: the item closed with its evidence (what was done, where the proof is; files through the attachments).
    When the last one closes, the plan is closed and the township's leaders may propose a regrade."""
    check_version(item, expected_version)
    plan = item.plan
    errors: dict[str, list[str]] = {}
    if item.state != "open":
        add_error(errors, "_schema", _("该问题已随等次提升撤销") if item.state == "withdrawn" else _("该问题已销号"))
    evidence = _text(raw, "evidence", TEXT_LIMIT, errors, required=_("请填写销号依据（整改情况及佐证材料）"))
    today = calendar.today()
    closed_on = _parse_date(raw.get("closed_on") or today)
    if closed_on is None or closed_on > today or closed_on < plan.issued_on:
        add_error(errors, "closed_on", _("销号日期应在方案下发之后、不晚于今天"))
    if errors:
        raise InvalidInput(errors)
    town = _unit(item.unit_id)
    item.state, item.closed_on, item.evidence = "closed", closed_on, evidence
    item.closed_by_id = context.current().account_id
    tenancy_ops.bump_stat(town, "villages.plan_items.open", -1)
    tenancy_ops.bump_stat(town, "villages.plan_items.closed", 1)
    tenancy_ops.bump_stat(town, "villages.plan_items.closed", 1, closed_on.isoformat())
    record("village_plan.close_item", unit_id=town.id, object_type="village_plans", object_id=plan.id,
           detail={"seq": item.seq, "on": closed_on.isoformat()})
    inbox.close("village_plans", plan.id, unit_id=town.id, key_prefix=f"village-item:{item.id}:")
    db.session.flush()
    if plan.state == "open" and all(i.state == "closed" for i in plan.items):
        plan.state, plan.closed_on = "closed", closed_on
        if plan.village.grade == "C":
            inbox.post(town, f"village-plan:{plan.id}:closed", kind=InboxKind.TASK, object_type="village_plans",
                       object_id=plan.id, roles=(Role.LEADER.value,),
                       title=_("一村一方案已全部销号，可提请重新评定：%(v)s", v=plan.village.name))
    refresh_overdue(town, today)
    return item


def log_report(plan: VillagePlan, raw: dict) -> VillageReport:
    """每月听取1次汇报: the month, the day the 一把手 heard it, who, and what the village reported."""
    errors: dict[str, list[str]] = {}
    today = calendar.today()
    month = str(raw.get("month") or "").strip()
    if not re.fullmatch(r"\d{4}-\d{2}", month) or not "01" <= month[5:] <= "12":
        add_error(errors, "month", _("请填写汇报所属月份（如 2026-03）"))
    elif month < _month(plan.issued_on) or month > _month(today):
        add_error(errors, "month", _("月份应在方案下发当月至本月之间"))
    elif db.session.scalar(select(VillageReport.id).where(VillageReport.village_id == plan.village_id,
                                                          VillageReport.month == month)) is not None:
        add_error(errors, "month", _("%(m)s 的汇报已记录", m=month))
    heard_on = _parse_date(raw.get("heard_on") or today)
    if heard_on is None or heard_on > today or heard_on < plan.issued_on:
        add_error(errors, "heard_on", _("汇报日期应在方案下发之后、不晚于今天"))
    heard_by = _text(raw, "heard_by", PERSON_LIMIT, errors, required=_("请填写听取汇报的“一把手”姓名"))
    content = _text(raw, "content", TEXT_LIMIT, errors,
                    required=_("请填写汇报内容（作风纪律、三资管理、村级工程、村务管理运行、群众反映等情况）"))
    if plan.state == "lifted":
        add_error(errors, "_schema", _("该村已摘帽，不再按月听取汇报"))
    if errors:
        raise InvalidInput(errors)
    town = _unit(plan.unit_id)
    report = VillageReport(unit_id=town.id, unit_path=town.path, village_id=plan.village_id, plan_id=plan.id,
                           month=month, heard_on=heard_on, heard_by=heard_by, content=content,
                           logged_by_id=context.current().account_id)
    db.session.add(report)
    db.session.flush()
    record("village_plan.report", unit_id=town.id, object_type="village_plans", object_id=plan.id,
           detail={"month": month, "held_on": heard_on.isoformat()})
    inbox.close("village_plans", plan.id, unit_id=town.id, key_prefix=f"village-report:{plan.id}:{month}")
    refresh_overdue(town, today)
    return report


# ---------------------------------------------------------------- time-based figures, warnings, the recount


def _plans_due_reports(unit_id: int):
    """The township's plans whose village hears monthly reports: not lifted, the village not archived."""
    return db.session.scalars(select(VillagePlan).join(Village, Village.id == VillagePlan.village_id).where(
        VillagePlan.unit_id == unit_id, VillagePlan.state != "lifted", Village.archived_at.is_(None)))


def missed_months(plan: VillagePlan, today: date, reported: set[str] | None = None) -> list[str]:
    """The completed months since the plan's issue without a logged report."""
    last = last_completed_month(today)
    if last < plan.issued_on.replace(day=1):
        return []
    if reported is None:
        reported = set(db.session.scalars(select(VillageReport.month).where(VillageReport.village_id == plan.village_id)))
    return [m for m in _months(plan.issued_on, last) if m not in reported]


def _time_figures(unit_id: int, today: date) -> tuple[int, int]:
    overdue = db.session.scalar(select(func.count(VillagePlanItem.id)).where(
        VillagePlanItem.unit_id == unit_id, VillagePlanItem.state == "open", VillagePlanItem.deadline < today))
    missed = sum(len(missed_months(plan, today)) for plan in _plans_due_reports(unit_id))
    return overdue or 0, missed


def refresh_overdue(unit: Unit, today: date) -> None:
    """The township's ``villages.plan_items.overdue`` and ``villages.monthly_reports.missed``, recounted."""
    overdue, missed = _time_figures(unit.id, today)
    tenancy_ops.set_stat(unit, "villages.plan_items.overdue", overdue)
    tenancy_ops.set_stat(unit, "villages.monthly_reports.missed", missed)


def scan(today: date) -> dict[str, int]:
    """Warn in the township's inbox of every plan item past its deadline and of every C village whose 一把手 heard
    no report last month (once each); then the time-based figures of every township concerned, recounted."""
    posted = 0
    for item in db.session.scalars(select(VillagePlanItem).where(VillagePlanItem.state == "open",
                                                                 VillagePlanItem.deadline < today)):
        unit = _unit(item.unit_id)
        posted += inbox.post(unit, f"village-item:{item.id}:overdue", kind=InboxKind.OVERDUE,
                             object_type="village_plans", object_id=item.plan_id, due_on=item.deadline,
                             roles=(Role.LEADER.value, Role.OFFICER.value),
                             title=_("一村一方案问题逾期未销号：%(v)s 第%(n)s项", v=item.plan.village.name, n=item.seq))
    last_month = _month(last_completed_month(today))
    units = set(db.session.scalars(select(VillagePlanItem.unit_id).where(VillagePlanItem.state == "open")))
    for plan in db.session.scalars(select(VillagePlan).join(Village, Village.id == VillagePlan.village_id).where(
            VillagePlan.state != "lifted", Village.archived_at.is_(None))):
        units.add(plan.unit_id)
        if last_month in missed_months(plan, today):
            posted += inbox.post(_unit(plan.unit_id), f"village-report:{plan.id}:{last_month}", kind=InboxKind.OVERDUE,
                                 object_type="village_plans", object_id=plan.id, roles=(Role.LEADER.value,),
                                 title=_("C类村 %(v)s %(m)s 未听取汇报（每月听取1次）", v=plan.village.name,
                                         m=last_month))
    units |= set(db.session.scalars(select(UnitStat.unit_id).where(
        UnitStat.metric.in_(("villages.plan_items.overdue", "villages.monthly_reports.missed")),
        UnitStat.period == "", UnitStat.value != 0)))
    for unit_id in sorted(units):
        refresh_overdue(_unit(unit_id), today)
    return {"warned": posted, "units": len(units)}


def recount(unit: Unit, today: date) -> dict[tuple[str, str], int]:
    """The township's village figures counted from its records: what the stats rows must hold."""
    figures: Counter = Counter()
    planned = set(db.session.scalars(select(VillagePlan.village_id).where(VillagePlan.unit_id == unit.id,
                                                                          VillagePlan.state != "lifted")))
    for village_id, grade in db.session.execute(select(Village.id, Village.grade).where(
            Village.unit_id == unit.id, Village.archived_at.is_(None))):
        figures[("villages.count", "")] += 1
        if grade:
            figures[(f"villages.grade.{grade.lower()}", "")] += 1
        if grade == "C" and village_id in planned:
            figures[("villages.c_with_plan", "")] += 1
    for state, closed_on in db.session.execute(select(VillagePlanItem.state, VillagePlanItem.closed_on).where(
            VillagePlanItem.unit_id == unit.id)):
        if state == "open":
            figures[("villages.plan_items.open", "")] += 1
        elif state == "closed":
            figures[("villages.plan_items.closed", "")] += 1
            figures[("villages.plan_items.closed", closed_on.isoformat())] += 1
    for (on,) in db.session.execute(select(VillageGrading.in_force_on).where(
            VillageGrading.unit_id == unit.id, VillageGrading.state == "in_force",
            VillageGrading.previous_grade == "C", VillageGrading.grade != "C")):
        figures[("villages.lifted_from_c", "")] += 1
        figures[("villages.lifted_from_c", on.isoformat())] += 1
    overdue, missed = _time_figures(unit.id, today)
    figures[("villages.plan_items.overdue", "")] += overdue
    figures[("villages.monthly_reports.missed", "")] += missed
    return with_coarser_keys(figures)
