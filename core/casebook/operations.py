"""Every write of the guidance case library (典型案例 · 指导案例): a case published by a province's or city's leader for
its subtree, edited or withdrawn; a case proposed from below (its text through the anonymisation check against the
proposing unit's records), resubmitted after a return, published (edited) or returned with a reason by the leader of
the upper unit chosen; the 参照案例 links of a record. Each write is audited and moves the unit's figures
(``casebook.published`` of the publisher, ``casebook.proposed`` of the proposer) in the same transaction;
``recount`` counts them again from the records."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from core import calendar
from core.audit.operations import record
from core.casebook import anonymity
from core.casebook.models import CaseProposal, CaseReference, GuidanceCase
from core.casebook.workflow import MAX_TAGS, TAG_FAMILIES, TAG_VALUE_LIMIT
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, add_error
from core.extensions import db
from core.inbox import operations as inbox
from core.inbox.models import InboxKind
from core.models import check_version
from tenants import operations as tenancy_ops
from tenants.models import Role, Unit, UnitLevel
from tenants.stats import with_coarser_keys

TITLE_LIMIT, PART_LIMIT, NARRATIVE_LIMIT, TEMPLATE_LIMIT, MAX_TEMPLATES, REASON_LIMIT = 200, 2000, 10000, 100, 20, 1000
SPLIT = re.compile(r"[、，,;；\n\r]+")
PUBLISHERS = (UnitLevel.PROVINCE, UnitLevel.CITY)
TEXT_FIELDS = ("title", "situation", "scope", "method", "templates", "narrative")


# ---------------------------------------------------------------- the form's fields


def _text(raw: dict, field: str, limit: int, errors: dict, required: str | None = None) -> str:
    value = str(raw.get(field) if raw.get(field) is not None else "").strip()
    if not value and required:
        add_error(errors, field, required)
    elif len(value) > limit:
        add_error(errors, field, _("不能超过 %(n)s 个字", n=limit))
    return value


def _list(value) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else SPLIT.split(str(value or ""))
    return list(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))


def _tags(raw: dict, errors: dict) -> list[str]:
    """"family:value" tags (a full-width colon too): the family one of the known ones, the value at most 20 字."""
    tags, bad = [], []
    for item in _list(raw.get("tags")) + _list(raw.get("extra_tags")):
        family, sep, value = item.replace("：", ":").partition(":")
        family, value = family.strip(), value.strip()
        if not sep or family not in TAG_FAMILIES or not value or len(value) > TAG_VALUE_LIMIT or "|" in value:
            bad.append(item[:30])
            continue
        tags.append(f"{family}:{value}")
    tags = list(dict.fromkeys(tags))
    if bad:
        add_error(errors, "tags", _("标签应写作“类别:内容”，类别为%(f)s之一，内容不超过%(n)s个字；有误的：%(b)s",
                                    f="、".join(TAG_FAMILIES), n=TAG_VALUE_LIMIT, b="、".join(bad)))
    elif not tags:
        add_error(errors, "tags", _("请至少选择一个标签（如 澄清情形、澄清范围、澄清方式）"))
    elif len(tags) > MAX_TAGS:
        add_error(errors, "tags", _("标签最多 %(n)s 个", n=MAX_TAGS))
    return tags


def _fields(raw: dict, errors: dict, units: list[Unit]) -> tuple[dict, dict]:
    """The case's fields, every one checked (errors collected), then the anonymisation check against ``units``'
    records: a name refuses its field; ID-number and phone patterns come back as warnings."""
    values = {
        "title": _text(raw, "title", TITLE_LIMIT, errors, _("请填写案例标题")),
        "situation": _text(raw, "situation", PART_LIMIT, errors, _("请填写适用情形（如：反映问题经核查失实）")),
        "scope": _text(raw, "scope", PART_LIMIT, errors, _("请填写澄清（适用）范围")),
        "method": _text(raw, "method", PART_LIMIT, errors, _("请填写方式方法")),
        "narrative": _text(raw, "narrative", NARRATIVE_LIMIT, errors, _("请填写案例正文（已隐去人名的经过与做法）")),
    }
    templates = _list(raw.get("templates"))
    if len(templates) > MAX_TEMPLATES:
        add_error(errors, "templates", _("文书模板最多 %(n)s 个", n=MAX_TEMPLATES))
    elif any(len(t) > TEMPLATE_LIMIT for t in templates):
        add_error(errors, "templates", _("每个文书模板名称不能超过 %(n)s 个字", n=TEMPLATE_LIMIT))
    values["templates"] = templates
    values["tags"] = _tags(raw, errors)
    warnings = anonymity.check({**{k: values[k] for k in ("title", "situation", "scope", "method", "narrative")},
                                "templates": "\n".join(templates),
                                "tags": "\n".join(values["tags"])}, units, errors)
    return values, warnings


def _apply(row, values: dict, warnings: dict) -> None:
    for field in ("title", "situation", "scope", "method", "narrative", "templates", "tags"):
        setattr(row, field, values[field])
    row.tag_index = "|" + "".join(f"{t}|" for t in values["tags"])
    row.warnings = warnings


def _ensure_publisher(unit: Unit) -> None:
    if unit.level not in PUBLISHERS:
        raise InvalidInput({"unit": [_("指导案例由省、市纪委监委发布")]})


def _bump_dated(unit: Unit, metric: str, day: date) -> None:
    tenancy_ops.bump_stat(unit, metric, 1)
    tenancy_ops.bump_stat(unit, metric, 1, day.isoformat())


def _next_seq(unit: Unit) -> int:
    return (db.session.scalar(select(func.max(GuidanceCase.seq)).where(GuidanceCase.unit_id == unit.id)) or 0) + 1


def _new_case(unit: Unit, values: dict, warnings: dict, account, *, proposal: CaseProposal | None = None):
    today = calendar.today()
    case = GuidanceCase(unit_id=unit.id, unit_path=unit.path, seq=_next_seq(unit), state="published",
                        published_on=today, published_by_id=getattr(account, "id", None),
                        proposal_id=proposal.id if proposal else None,
                        source_unit_name=proposal.unit.name if proposal else None)
    _apply(case, values, warnings)
    db.session.add(case)
    db.session.flush()
    _bump_dated(unit, "casebook.published", today)
    return case


# ---------------------------------------------------------------- the publisher's own cases


def publish_case(unit: Unit, raw: dict, account) -> GuidanceCase:
    """A guidance case published by a province or city for its subtree; its text checked against the unit's records
    (422 in Chinese naming the field, nothing saved); ID/phone patterns saved as warnings, shown to the publisher."""
    _ensure_publisher(unit)
    errors: dict = {}
    values, warnings = _fields(raw, errors, [unit])
    if errors:
        raise InvalidInput(errors)
    case = _new_case(unit, values, warnings, account)
    record("casebook_case.publish", unit_id=unit.id, object_type="casebook_cases", object_id=case.id,
           detail={"seq": case.seq, "tags": case.tags, "warnings": sorted(warnings)})
    return case


def edit_case(case: GuidanceCase, raw: dict, account, *, expected_version: int | None = None) -> GuidanceCase:
    check_version(case, expected_version)
    if case.state != "published":
        raise Conflict(_("该案例已撤回，不能再修改"))
    unit = db.session.get(Unit, case.unit_id)
    errors: dict = {}
    values, warnings = _fields(raw, errors, [unit])
    if errors:
        raise InvalidInput(errors)
    _apply(case, values, warnings)
    db.session.flush()
    record("casebook_case.edit", unit_id=unit.id, object_type="casebook_cases", object_id=case.id,
           detail={"seq": case.seq, "warnings": sorted(warnings)})
    return case


def withdraw_case(case: GuidanceCase, raw: dict, account, *, expected_version: int | None = None) -> GuidanceCase:
    """A published case withdrawn (撤回): the units below no longer find it; its 参照案例 links stay, marked."""
    check_version(case, expected_version)
    if case.state != "published":
        raise Conflict(_("该案例已撤回"))
    errors: dict = {}
    reason = _text(raw, "reason", REASON_LIMIT, errors, _("请填写撤回理由"))
    if errors:
        raise InvalidInput(errors)
    case.state, case.withdrawn_at, case.withdraw_reason = "withdrawn", utcnow(), reason
    db.session.flush()
    record("casebook_case.withdraw", unit_id=case.unit_id, object_type="casebook_cases", object_id=case.id,
           detail={"seq": case.seq, "reason": reason})
    return case


# ---------------------------------------------------------------- proposals from below


def publishers_for(unit: Unit) -> list[Unit]:
    """The upper units a unit may propose to: its city and its province (ancestors of those levels)."""
    ids = [int(p) for p in unit.path.split(".") if p and int(p) != unit.id]
    if not ids:
        return []
    rows = db.session.scalars(select(Unit).where(Unit.id.in_(ids), Unit.level.in_(PUBLISHERS),
                                                 Unit.archived_at.is_(None))).all()
    return sorted(rows, key=lambda u: len(u.path), reverse=True)


def propose(unit: Unit, raw: dict, account) -> CaseProposal:
    """A case proposed from the unit's own work to an upper unit it chooses (its city or province): checked against
    the proposing unit's records; the publisher's leaders find it in their inbox."""
    errors: dict = {}
    publishers = {u.id: u for u in publishers_for(unit)}
    try:
        publisher_id = int(str(raw.get("publisher_id") or "").strip())
    except ValueError:
        publisher_id = None
    if publisher_id not in publishers:
        add_error(errors, "publisher_id", _("请选择报送的上级单位（所在市或省纪委监委）"))
    values, warnings = _fields(raw, errors, [unit])
    if errors:
        raise InvalidInput(errors)
    today = calendar.today()
    proposal = CaseProposal(unit_id=unit.id, unit_path=unit.path, publisher_id=publisher_id, state="proposed",
                            proposed_on=today, proposed_by_id=getattr(account, "id", None))
    _apply(proposal, values, warnings)
    db.session.add(proposal)
    db.session.flush()
    _bump_dated(unit, "casebook.proposed", today)
    _notify_publisher(proposal)
    record("casebook_proposal.propose", unit_id=unit.id, object_type="casebook_proposals", object_id=proposal.id,
           detail={"publisher": publishers[publisher_id].name, "tags": proposal.tags, "warnings": sorted(warnings)})
    return proposal


def _notify_publisher(proposal: CaseProposal) -> None:
    publisher = db.session.get(Unit, proposal.publisher_id)
    inbox.post(publisher, f"casebook-proposal:{proposal.id}:{proposal.version}", kind=InboxKind.TASK,
               object_type="casebook_proposals", object_id=proposal.id, roles=(Role.LEADER.value,),
               title=_("%(u)s推荐典型案例待审核：%(t)s", u=proposal.unit.name, t=proposal.title))


def resubmit(proposal: CaseProposal, raw: dict, account, *, expected_version: int | None = None) -> CaseProposal:
    """A returned proposal, edited by its unit and sent up again."""
    check_version(proposal, expected_version)
    if proposal.state != "returned":
        raise Conflict(_("只有被退回的推荐案例可以修改后重新报送"))
    unit = db.session.get(Unit, proposal.unit_id)
    errors: dict = {}
    values, warnings = _fields(raw, errors, [unit])
    if errors:
        raise InvalidInput(errors)
    _apply(proposal, values, warnings)
    proposal.state = "proposed"
    db.session.flush()
    inbox.close("casebook_proposals", proposal.id, unit_id=unit.id)
    _notify_publisher(proposal)
    record("casebook_proposal.resubmit", unit_id=unit.id, object_type="casebook_proposals", object_id=proposal.id,
           detail={"warnings": sorted(warnings)})
    return proposal


def _ensure_pending(proposal: CaseProposal, publisher: Unit) -> None:
    if proposal.publisher_id != publisher.id:
        raise InvalidInput({"publisher_id": [_("该推荐案例不是报送本单位的")]})
    if proposal.state != "proposed":
        raise Conflict(_("该推荐案例已处理（已发布或已退回）"), detail={"current_state": proposal.state})


def publish_proposal(proposal: CaseProposal, publisher: Unit, raw: dict, account, *,
                     expected_version: int | None = None) -> GuidanceCase:
    """The publisher's leader publishes a proposal, as proposed or edited (``raw`` gives every field; an empty form
    keeps the proposal's text): the text is checked again, against the proposing unit's records and the
    publisher's own; the case is the publisher's, naming the proposing unit."""
    check_version(proposal, expected_version)
    _ensure_pending(proposal, publisher)
    source = db.session.get(Unit, proposal.unit_id)
    given = {k: raw.get(k) for k in (*TEXT_FIELDS, "tags", "extra_tags") if raw.get(k) not in (None, "", [])}
    base = {"title": proposal.title, "situation": proposal.situation, "scope": proposal.scope,
            "method": proposal.method, "narrative": proposal.narrative, "templates": proposal.templates,
            "tags": proposal.tags}
    errors: dict = {}
    values, warnings = _fields({**base, **given} if given else base, errors, [source, publisher])
    if errors:
        raise InvalidInput(errors)
    case = _new_case(publisher, values, warnings, account, proposal=proposal)
    proposal.state, proposal.case_id = "published", case.id
    proposal.decided_by_id, proposal.decided_at = getattr(account, "id", None), utcnow()
    db.session.flush()
    inbox.close("casebook_proposals", proposal.id, unit_id=publisher.id)
    record("casebook_proposal.publish", unit_id=publisher.id, object_type="casebook_proposals",
           object_id=proposal.id, detail={"case": case.id, "seq": case.seq, "from": source.name,
                                          "edited": sorted(given)})
    record("casebook_case.publish", unit_id=publisher.id, object_type="casebook_cases", object_id=case.id,
           detail={"seq": case.seq, "tags": case.tags, "proposal": proposal.id})
    return case


def return_proposal(proposal: CaseProposal, publisher: Unit, raw: dict, account, *,
                    expected_version: int | None = None) -> CaseProposal:
    """Returned to the proposing unit with a reason (it may edit and send it again)."""
    check_version(proposal, expected_version)
    _ensure_pending(proposal, publisher)
    errors: dict = {}
    reason = _text(raw, "reason", REASON_LIMIT, errors, _("请填写退回理由"))
    if errors:
        raise InvalidInput(errors)
    proposal.state, proposal.return_reason = "returned", reason
    proposal.decided_by_id, proposal.decided_at = getattr(account, "id", None), utcnow()
    db.session.flush()
    inbox.close("casebook_proposals", proposal.id, unit_id=publisher.id)
    source = db.session.get(Unit, proposal.unit_id)
    inbox.post(source, f"casebook-proposal:{proposal.id}:returned:{proposal.version}", kind=InboxKind.TASK,
               object_type="casebook_proposals", object_id=proposal.id,
               roles=(Role.LEADER.value, Role.OFFICER.value),
               title=_("推荐的典型案例被%(u)s退回：%(t)s", u=publisher.name, t=proposal.title))
    record("casebook_proposal.return", unit_id=publisher.id, object_type="casebook_proposals", object_id=proposal.id,
           detail={"reason": reason})
    return proposal


# ---------------------------------------------------------------- 参照案例 links


def add_reference(unit: Unit, record_type: str, record_obj, case: GuidanceCase, account) -> CaseReference:
    """The record (the unit's own) names a published case visible to the unit as 参照案例; once."""
    if case.state != "published":
        raise InvalidInput({"case_id": [_("该案例已撤回，不能再引用")]})
    existing = db.session.scalar(select(CaseReference).where(
        CaseReference.unit_id == unit.id, CaseReference.record_type == record_type,
        CaseReference.record_id == record_obj.id, CaseReference.case_id == case.id,
        CaseReference.removed_at.is_(None)))
    if existing is not None:
        raise InvalidInput({"case_id": [_("已引用该参照案例")]})
    ref = CaseReference(unit_id=unit.id, unit_path=unit.path, record_type=record_type, record_id=record_obj.id,
                        case_id=case.id, added_by_id=getattr(account, "id", None))
    db.session.add(ref)
    db.session.flush()
    record("casebook_reference.add", unit_id=unit.id, object_type=record_type, object_id=record_obj.id,
           detail={"case": case.id, "publisher": case.unit.name, "seq": case.seq})
    return ref


def remove_reference(ref: CaseReference, account) -> CaseReference:
    if ref.removed_at is not None:
        raise Conflict(_("该参照案例已移除"))
    ref.removed_at, ref.removed_by_id = utcnow(), getattr(account, "id", None)
    db.session.flush()
    record("casebook_reference.remove", unit_id=ref.unit_id, object_type=ref.record_type, object_id=ref.record_id,
           detail={"case": ref.case_id})
    return ref


# ---------------------------------------------------------------- the recount


def recount(unit: Unit, today: date) -> dict[tuple[str, str], int]:
    """The unit's casebook figures counted from its records: cases it published, proposals it sent."""
    figures: Counter = Counter()
    for (day,) in db.session.execute(select(GuidanceCase.published_on).where(GuidanceCase.unit_id == unit.id)):
        figures[("casebook.published", "")] += 1
        figures[("casebook.published", day.isoformat())] += 1
    for (day,) in db.session.execute(select(CaseProposal.proposed_on).where(CaseProposal.unit_id == unit.id)):
        figures[("casebook.proposed", "")] += 1
        figures[("casebook.proposed", day.isoformat())] += 1
    return with_coarser_keys(figures)

