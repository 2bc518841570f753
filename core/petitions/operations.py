"""Every write of petitions: registration (informant encrypted at rest), the audited reveal, and handling:
verification, the outcome (an unfounded one enters the clearing pool), feedback to the informant."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

from flask_babel import gettext as _

from core import calendar, context
from core.audit.operations import record
from core.crypto import decrypt_field, encrypt_field, hmac_sm3_hex, name_key, person_key
from core.errors import InvalidInput, add_error
from core.extensions import db
from core.handlers import operations as handler_ops
from core.clock import utcnow
from core.models import check_version
from core.numbering import next_number
from flask import current_app, g, has_request_context
from sqlalchemy import func, or_, select
from werkzeug.exceptions import TooManyRequests

from core.petitions.models import (ACCUSED_LEVEL_LABELS, CHANNEL_LABELS, COMPETENT_LEVEL, FEEDBACK_WAYS,
                                   INFORMANT_FIELDS, ROUTING_LABELS, SANDUO, AccusedLevel, Flag, Outcome, Petition,
                                   PetitionCategory, PetitionLink, ReplyTemplate, RoutingMode, WorkArea)
from core.petitions.workflow import HANDLING_STEPS, OPEN, PETITION_FLOW, UNFOUNDED_FOLLOW_UPS
from core import dictionaries, parameters
from tenants import operations as tenancy_ops
from tenants.models import Share, Unit
from tenants.stats import with_coarser_keys

_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
_PHONE = re.compile(r"^[\d\-+() ]{3,30}$")
_INFORMANT_LIMITS = {"name": 50, "id_number": 18, "phone": 30, "address": 200}


def _associated(petition: Petition, field: str) -> str:
    return f"petitions:{petition.id}:{field}"


def _parse_date(value) -> date | None:
    if isinstance(value, date) or value is None:
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def categories_for(unit: Unit) -> list[str]:
    """The problem categories in force at the unit: its own and its ancestors' (inherited), not archived.

    Filtered by the unit's own path, not only by the acting context: an import job or a routing
    step runs in another context, and a sibling city's taxonomy must never apply here."""
    return list(db.session.scalars(select(PetitionCategory.name).where(
        PetitionCategory.unit_id.in_([*unit.ancestor_ids, unit.id]), PetitionCategory.archived.is_(False))
        .order_by(PetitionCategory.name).distinct()))


def clean_registration(raw: dict, *, categories: list[str] | None = None) -> tuple[dict, dict]:
    """Validate one petition's fields (a form, the API or an imported row) without writing anything.

    Returns the petition's plain columns and the informant's fields (empty when anonymous);
    raises InvalidInput with every field's error. ``categories``: the unit's taxonomy; when it
    is not empty the category must be one of it. The channel and the accused's level: an entry of their
    dictionaries (数据字典), active or not (the forms offer the active ones; a routed copy, a reception's visit or an
    imported ledger keeps the code it carries).
    """
    errors: dict[str, list[str]] = {}
    text = {k: str(raw.get(k) or "").strip() for k in ("accused_name", "accused_position", "accused_work_unit",
                                                       "accused_level", "category", "summary", "content")}
    # The summary shows on lists, link proposals and the clearing pool: it describes the matter, the accused is
    # named in their own (sealed) column; checked for length as stored. The content stays as the letter says it
    # (the record of what was reported, shown on the detail page only).
    text["summary"] = without_accused(text["summary"], text["accused_name"])
    channel = str(raw.get("channel") or "")
    if channel not in CHANNEL_LABELS:
        add_error(errors, "channel", _("请选择受理方式（%(choices)s）", choices="、".join(CHANNEL_LABELS.values())))
    received = _parse_date(raw.get("received_on"))
    if received is None:
        add_error(errors, "received_on", _("请填写受理日期（如 2026-03-01）"))
    elif received > calendar.today():
        add_error(errors, "received_on", _("受理日期不能晚于今天"))
    if not text["accused_name"]:
        add_error(errors, "accused_name", _("请填写被反映人姓名"))
    elif len(text["accused_name"]) > 50:
        add_error(errors, "accused_name", _("被反映人姓名不能超过 50 个字"))
    for field, label in (("accused_position", _("被反映人职务")), ("accused_work_unit", _("被反映人单位"))):
        if len(text[field]) > 100:
            add_error(errors, field, _("%(label)s不能超过 100 个字", label=label))
    level = text["accused_level"]
    if level and level not in ACCUSED_LEVEL_LABELS:
        add_error(errors, "accused_level", _("请选择被反映人级别"))
    if categories:
        if text["category"] not in categories:
            add_error(errors, "category", _("请从问题类别中选择（由省纪委监委统一设定）"))
    elif len(text["category"]) > 50:
        add_error(errors, "category", _("问题类别不能超过 50 个字"))
    if not text["summary"]:
        add_error(errors, "summary", _("请填写反映问题摘要"))
    elif len(text["summary"]) > 300:
        add_error(errors, "summary", _("反映问题摘要不能超过 300 个字"))
    areas = raw.get("accused_work_areas") or []
    areas = [areas] if isinstance(areas, str) else list(areas)
    if not set(areas) <= set(WorkArea.__members__.values()):
        add_error(errors, "accused_work_areas", _("被反映人工作领域只能从基层一线、改革发展、乡村振兴、征地拆迁中选择"))
    party = raw.get("accused_party_member")
    party = {"1": True, "yes": True, "是": True, "0": False, "no": False, "否": False}.get(str(party).strip().lower(),
                                                                                         party if isinstance(party, bool) else None)

    anonymous = raw.get("anonymous") in (True, "1", "true", "yes", "是", "匿名")
    informant = raw.get("informant") or {}
    people = {} if anonymous else {f: str(informant.get(f) or "").strip() for f in INFORMANT_FIELDS}
    if not anonymous:
        people["id_number"] = people["id_number"].upper()
        if not people["name"]:
            add_error(errors, "informant_name", _("实名举报须填写举报人姓名；否则请勾选“匿名”"))
        for field, limit in _INFORMANT_LIMITS.items():
            if len(people[field]) > limit:
                add_error(errors, f"informant_{field}", _("举报人%(label)s不能超过 %(n)s 个字",
                                                     label=INFORMANT_FIELDS[field], n=limit))
        if people["id_number"] and not _ID_NUMBER.match(people["id_number"]):
            add_error(errors, "informant_id_number", _("身份证号应为 18 位（前 17 位为数字，末位为数字或 X）"))
        if people["phone"] and not _PHONE.match(people["phone"]):
            add_error(errors, "informant_phone", _("联系电话格式不正确"))
    if errors:
        raise InvalidInput(errors)
    columns = dict(text, channel=channel, received_on=received, anonymous=anonymous, accused_party_member=party,
                   accused_work_areas=[a for a in WorkArea.__members__.values() if a in areas],
                   accused_key=person_key(text["accused_name"], text["accused_work_unit"]),
                   accused_name_key=name_key(text["accused_name"]))
    return columns, people


ACCUSED_STANDIN = "被反映人"


def without_accused(text: str, accused_name: str) -> str:
    """``text`` with the accused's name, written out in full, replaced by 被反映人 (a one-character "name" would
    replace a common character, so it is left)."""
    return text.replace(accused_name, ACCUSED_STANDIN) if len(accused_name) >= 2 else text


def informant_keys(people: dict) -> tuple[str | None, str | None]:
    """HMAC-SM3 of the normalised id number and phone: equal for the same informant in any unit,
    useless without MATCHING_KEY (a dump reveals nothing; a guessed phone cannot be confirmed)."""
    key = current_app.config["MATCHING_KEY"].encode()
    id_number = (people.get("id_number") or "").upper()
    phone = re.sub(r"\D", "", people.get("phone") or "")
    if len(phone) == 13 and phone.startswith("86"):
        phone = phone[2:]
    return (hmac_sm3_hex(key, b"id:" + id_number.encode()) if id_number else None,
            hmac_sm3_hex(key, b"phone:" + phone.encode()) if len(phone) >= 7 else None)


def store_informant(petition: Petition, people: dict) -> None:
    """Encrypt each informant field bound to the petition (its id must be assigned) and set its matching keys."""
    for field, value in people.items():
        if value:
            setattr(petition, f"informant_{field}", encrypt_field(value, _associated(petition, field)))
    petition.informant_id_key, petition.informant_phone_key = informant_keys(people)


THIN_MATTER_CHARS = 30  # summary and content together shorter than this: a registration that is hardly a matter


def identifiers_only(columns: dict, people: dict) -> bool:
    """A registration that carries an informant's id number or phone and scarcely a matter: no work unit of the
    accused and a few words in all (what probing "has this phone petitioned anywhere?" looks like)."""
    matter = re.sub(r"\s+", "", columns["summary"] + columns["content"])
    return bool(people.get("id_number") or people.get("phone")) and (
        not columns["accused_work_unit"] or len(matter) < THIN_MATTER_CHARS)


def _throttle_identifiers_only(unit: Unit) -> None:
    """At most PETITION_IDENTIFIERS_ONLY_PER_HOUR such registrations per account an hour; the refusal is audited."""
    from core.audit.models import AuditEvent

    account_id = context.current().account_id
    limit = current_app.config.get("PETITION_IDENTIFIERS_ONLY_PER_HOUR", 10)
    if account_id is None or not has_request_context():  # pages and API; seeders and jobs are not probes
        return
    since = utcnow() - timedelta(hours=1)
    with context.acting(context.maintenance_context(account_id=account_id), db.session):
        recent = db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.account_id == account_id, AuditEvent.action == "petition.register_identifiers_only",
            AuditEvent.occurred_at >= since))
    if recent >= limit:
        # Audited as denied in its own transaction once the request is rolled back (core: _finish).
        g.audit_denial = dict(action="petition.register_identifiers_only", unit_id=unit.id, object_type="petitions",
                              object_id=None)
        raise TooManyRequests(_("一小时内登记仅有举报人身份信息、缺少反映内容的件过多，请补充被反映人单位和反映内容，"
                                "或稍后再试"))


def register_petition(unit: Unit, raw: dict, *, origin: Petition | None = None, again_of: Petition | None = None,
                      categories: list[str] | None | bool = True) -> Petition:
    """Validate everything, number the petition, store the informant encrypted, propose repeat links;
    audited without the informant. ``categories=None``: a routed copy keeps the origin's category.
    A registration with identifiers and scarcely a matter is throttled per account and audited as such."""
    columns, people = clean_registration(raw, categories=categories_for(unit) if categories is True else categories)
    thin = origin is None and identifiers_only(columns, people)
    if thin:
        _throttle_identifiers_only(unit)
    year = calendar.today().year  # numbered in the year of registration, like every other series
    seq, number = next_number(unit, "petition", year)
    due_on = _parse_date(raw.get("due_on")) or calendar.add_workdays(
        columns["received_on"], parameters.get("PETITION_HANDLING_WORKDAYS"))
    petition = Petition(unit_id=unit.id, unit_path=unit.path, year=year, seq=seq, number=number, state="registered",
                        due_on=due_on, registered_by_id=context.current().account_id, flags=[],
                        origin_petition_id=getattr(origin, "id", None), again_of_id=getattr(again_of, "id", None),
                        **columns)
    db.session.add(petition)
    db.session.flush()  # the id is part of each field's associated data
    store_informant(petition, people)
    db.session.flush()
    PETITION_FLOW.begin(petition, detail={"number": number, "channel": petition.channel})
    dictionaries.note_use(CHANNEL_LABELS.name, petition.channel)  # an added channel in use: no longer removable
    handler_ops.assign_at_registration(petition, unit)  # 承办人: the registering officer, when they handle
    tenancy_ops.bump_stat(unit, "petitions.open", 1)
    tenancy_ops.bump_stat(unit, "petitions.received", 1)
    tenancy_ops.bump_stat(unit, "petitions.received", 1, petition.received_on.isoformat())
    record("petition.register", unit_id=unit.id, object_type="petitions", object_id=petition.id,
           detail={"number": number, "channel": petition.channel, "anonymous": petition.anonymous})
    if thin:
        record("petition.register_identifiers_only", unit_id=unit.id, object_type="petitions", object_id=petition.id,
               detail={"number": number, "identifiers": [f for f in ("id_number", "phone") if people.get(f)]})
    if again_of is not None:
        link = _link_pair(petition, again_of, same_accused=True, same_informant=True, similarity=100)
        for side in link:
            side.state = "confirmed"
        refresh_flags(again_of)
    propose_links(petition)
    refresh_flags(petition)
    return petition


def _decrypted(petition: Petition) -> dict[str, str]:
    values = {}
    for field in INFORMANT_FIELDS:
        token = getattr(petition, f"informant_{field}")
        values[field] = decrypt_field(token, _associated(petition, field)) if token else ""
    return values


def reveal_informant(petition: Petition, reason: str) -> dict[str, str]:
    """The informant in plain text, for this response only; the reason (never the values) is audited."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [_("查看举报人信息须填写事由")]})
    if len(reason) > 500:
        raise InvalidInput({"reason": [_("事由不能超过 500 个字")]})
    if petition.anonymous:
        raise InvalidInput({"_schema": [_("匿名举报，没有可查看的举报人信息")]})
    if petition.informant_moved:
        raise InvalidInput({"_schema": [_("举报人信息已随件转交%(unit)s，由其办理并反馈",
                                          unit=petition.routing["to_unit_name"])]})
    values = _decrypted(petition)
    record("petition.informant_reveal", unit_id=petition.unit_id, object_type="petitions", object_id=petition.id,
           detail={"number": petition.number, "reason": reason})
    return values


def _mask(field: str, value: str) -> str:
    if not value:
        return ""
    if field == "name":
        return value[0] + "*" * max(len(value) - 1, 1)
    if field == "id_number":
        return value[:4] + "*" * (len(value) - 8) + value[-4:] if len(value) > 8 else "*" * len(value)
    if field == "phone":
        return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else "*" * len(value)
    return _("已加密")


def masked_informant(petition: Petition) -> dict[str, str]:
    """What every page but the reveal shows: 张** / 1101**********1234 / 138****5678 / 已加密, or 匿名."""
    if petition.anonymous:
        return dict.fromkeys(INFORMANT_FIELDS, _("匿名"))
    return {field: _mask(field, value) for field, value in _decrypted(petition).items()}


# ---------------------------------------------------------------- handling


def take_step(petition: Petition, step: str, data: dict, *, expected_version: int | None = None,
              share: Share | None = None) -> None:
    """Verification starts, the outcome concludes it, feedback to the informant closes it.

    ``share``: the step is taken by another township's staff through a cross-handling share (交叉办案); the
    petition, its figures and what follows from the step (the clearing pool, the 交办件) stay its owner's,
    and the step is logged on the owner's side (tenants.operations.record_share_access)."""
    check_version(petition, expected_version)
    if step not in HANDLING_STEPS:
        raise InvalidInput({"transition": [_("没有这个办理环节")]})
    if step not in {t.name for t in PETITION_FLOW.available(petition)}:
        raise PETITION_FLOW.not_now(petition, step)
    unit = db.session.get(Unit, petition.unit_id)
    if step == "start":
        PETITION_FLOW.apply(petition, "start")
        with context.writing_as(unit.id, unit.path):
            item = _routing_item(petition)
            if item is not None and item.state == "issued":
                from core.supervision import operations as supervision_ops

                supervision_ops.receive(item)  # starting verification signs for the 交办件
                db.session.flush()
    elif step == "conclude":
        _conclude(petition, unit, data)
        if petition.origin_petition_id is not None:
            with context.writing_as(unit.id, unit.path):
                _report_outcome_upward(petition)
                db.session.flush()
    elif step == "settle":
        PETITION_FLOW.apply(petition, "settle", reason=str(data.get("note") or "").strip() or None)
    else:
        _feedback(petition, data)
    if share is not None:
        tenancy_ops.record_share_access(share, action=step)


def _conclude(petition: Petition, unit: Unit, data: dict) -> None:
    errors: dict[str, list[str]] = {}
    outcome = str(data.get("outcome") or "")
    if outcome not in Outcome.__members__.values():
        add_error(errors, "outcome", _("请选择核查结论（属实、部分属实、不属实或无法查实）"))
    findings = str(data.get("findings") or "").strip()
    if not findings:
        add_error(errors, "findings", _("请填写核查情况"))
    concluded_on = _parse_date(data.get("concluded_on") or calendar.today())
    if concluded_on is None:
        add_error(errors, "concluded_on", _("办结日期不是有效日期"))
    elif concluded_on > calendar.today() or concluded_on < petition.received_on:
        add_error(errors, "concluded_on", _("办结日期应在受理日期与今天之间"))
    if errors:
        raise InvalidInput(errors)
    petition.outcome, petition.findings, petition.concluded_on = outcome, findings, concluded_on
    PETITION_FLOW.apply(petition, "conclude", detail={"outcome": outcome})
    tenancy_ops.bump_stat(unit, "petitions.open", -1)
    tenancy_ops.bump_stat(unit, f"petitions.concluded.{outcome}", 1)
    tenancy_ops.bump_stat(unit, f"petitions.concluded.{outcome}", 1, concluded_on.isoformat())
    if outcome == Outcome.UNFOUNDED:
        # 失实检举控告: the accused person is owed a clearing; the pool links back to this petition. The pool is
        # the owner's, also when a cross-handler concluded (written as the owner).
        with context.writing_as(unit.id, unit.path):
            for follow_up in UNFOUNDED_FOLLOW_UPS.values():
                follow_up.record(unit, petition)
            db.session.flush()


def _feedback(petition: Petition, data: dict) -> None:
    errors: dict[str, list[str]] = {}
    given_on = _parse_date(data.get("given_on") or None)
    if given_on is None:
        add_error(errors, "given_on", _("请填写反馈日期"))
    elif given_on > calendar.today() or (petition.concluded_on and given_on < petition.concluded_on):
        add_error(errors, "given_on", _("反馈日期应在办结日期与今天之间"))
    way = str(data.get("way") or ("none" if petition.anonymous else ""))
    if way not in FEEDBACK_WAYS or (way == "none") != petition.anonymous:
        add_error(errors, "way", _("请选择反馈方式"))
    content = str(data.get("content") or "").strip()
    if not content:
        add_error(errors, "content", _("请填写反馈内容"))
    satisfied = str(data.get("satisfied") or ("unknown" if petition.anonymous else ""))
    if satisfied not in ("yes", "no", "unknown"):
        add_error(errors, "satisfied", _("请选择举报人是否满意"))
    if errors:
        raise InvalidInput(errors)
    petition.feedback = {"given_on": given_on.isoformat(), "way": way, "content": content, "satisfied": satisfied}
    PETITION_FLOW.apply(petition, "feedback", detail={"way": way, "satisfied": satisfied})


# ---------------------------------------------------------------- repeat links and the 三多

_LEVEL_RANK = {"province": 0, "city": 1, "county": 2, "township": 3, "stationed": 3}
MAX_PROPOSALS = 20


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"\s+", "", text or "")
    return {text[i:i + 2] for i in range(len(text) - 1)}


def similarity(a: Petition, b: Petition) -> int:
    """Content likeness in percent: Jaccard of character bigrams of summary and opening of content."""
    x, y = _bigrams(a.summary + a.content[:300]), _bigrams(b.summary + b.content[:300])
    return round(100 * len(x & y) / len(x | y)) if x and y else 0


def _chain_root(petition: Petition) -> int:
    """The top of a routing chain: copies routed down the tree are the same petition, not repeats."""
    seen = petition
    for _hop in range(8):
        if seen.origin_petition_id is None:
            break
        seen = db.session.get(Petition, seen.origin_petition_id)
    return seen.id


def _side(petition: Petition, other: Petition, other_unit: Unit, **reasons) -> PetitionLink:
    link = PetitionLink(unit_id=petition.unit_id, unit_path=petition.unit_path, petition_id=petition.id,
                        other_petition_id=other.id, other_unit_id=other_unit.id, other_unit_name=other_unit.name,
                        other_unit_level=other_unit.level, other_received_on=other.received_on,
                        other_channel=other.channel, state="proposed", **reasons)
    with context.writing_as(petition.unit_id, petition.unit_path):
        db.session.add(link)
        db.session.flush()
    return link


def _link_pair(petition: Petition, other: Petition, **reasons) -> tuple[PetitionLink, PetitionLink]:
    """Both sides of a link, each owned by its petition's unit (written as that unit under RLS)."""
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_({petition.unit_id, other.unit_id})))}
    return (_side(petition, other, units[other.unit_id], **reasons),
            _side(other, petition, units[petition.unit_id], **reasons))


def _holds_informant():
    """A petition whose identity is still here: neither anonymous nor routed away with its informant (a row
    routed before the keys moved too may still carry them; it never matches an informant again)."""
    return Petition.informant_name.is_not(None)


CROSS_UNIT_MIN_SIMILARITY = 20  # the matter must agree too before a link crosses units


def propose_links(petition: Petition) -> int:
    """Find earlier petitions about the same matter anywhere in the tree and propose links at both ends.

    Matching reads across unit boundaries, so it runs in a maintenance context and keeps only the facts each
    side's flags need; neither side can open the other's record. The informant is matched (by keyed hash)
    only among the unit's own petitions, the copies routed to it included: across units a link rests on the
    same accused person and a like matter, and never records whether the informant matched, so registering
    a guessed phone or id number tells nothing about any other unit (issue 16).
    """
    proposed = 0
    informant = [key == value for key, value in ((Petition.informant_id_key, petition.informant_id_key),
                                                  (Petition.informant_phone_key, petition.informant_phone_key))
                 if value]
    with context.acting(context.maintenance_context(account_id=context.current().account_id), db.session):
        matches = [Petition.accused_key == petition.accused_key]
        if informant:
            matches.append(or_(*informant) & (Petition.unit_id == petition.unit_id) & _holds_informant())
        already = select(PetitionLink.other_petition_id).where(PetitionLink.petition_id == petition.id)
        candidates = db.session.scalars(
            select(Petition).where(or_(*matches), Petition.id != petition.id, Petition.id.not_in(already))
            .order_by(Petition.received_on.desc(), Petition.id.desc()).limit(MAX_PROPOSALS * 2)).all()
        root = _chain_root(petition)
        for other in candidates:
            if proposed >= MAX_PROPOSALS or _chain_root(other) == root:
                continue
            same_unit = other.unit_id == petition.unit_id
            same_informant = same_unit and other.informant_name is not None and bool(
                (petition.informant_id_key and petition.informant_id_key == other.informant_id_key)
                or (petition.informant_phone_key and petition.informant_phone_key == other.informant_phone_key))
            same_accused = petition.accused_key == other.accused_key
            score = similarity(petition, other)
            needed = 0 if petition.accused_work_unit else 30  # a bare name matches too many people
            if not same_unit:
                needed = max(needed, CROSS_UNIT_MIN_SIMILARITY)  # another unit's petition: the matter must agree
            if not same_informant and score < needed:
                continue
            _link_pair(petition, other, same_accused=same_accused, same_informant=same_informant, similarity=score)
            proposed += 1
            _notify_links(other)
    if proposed:
        record("petition.links_proposed", unit_id=petition.unit_id, object_type="petitions", object_id=petition.id,
               detail={"proposed": proposed})
    return proposed


def _notify_links(petition: Petition) -> None:
    """The other side learns that a new petition may concern its own (an inbox task, no details)."""
    from core.inbox import operations as inbox
    from core.inbox.models import InboxKind
    from tenants.access import Role

    unit = db.session.get(Unit, petition.unit_id)
    inbox.post(unit, f"petition:{petition.id}:links:{calendar.today().isoformat()}", kind=InboxKind.TASK,
               object_type="petitions", object_id=petition.id,
               roles=(Role.INTAKE.value, Role.OFFICER.value, Role.LEADER.value),
               title=_("疑似重复件待确认：%(label)s", label=petition.label))


def decide_link(link: PetitionLink, decision: str) -> None:
    """The officer confirms (same matter) or rejects a proposed link of the unit's own petition."""
    if decision not in ("confirmed", "rejected"):
        raise InvalidInput({"decision": [_("请选择确认或排除")]})
    link.state, link.decided_by_id, link.decided_at = decision, context.current().account_id, utcnow()
    db.session.flush()
    petition = db.session.get(Petition, link.petition_id)
    record("petition.link_" + decision, unit_id=link.unit_id, object_type="petitions", object_id=petition.id,
           detail={"link": link.id})
    refresh_flags(petition)
    undecided = db.session.scalar(select(PetitionLink.id).where(
        PetitionLink.petition_id == petition.id, PetitionLink.state == "proposed").limit(1))
    if undecided is None:  # the "疑似重复件待确认" task is done once nothing waits for a decision
        from core.inbox import operations as inbox

        inbox.close("petitions", petition.id, unit_id=link.unit_id, key_prefix=f"petition:{petition.id}:links:")


def compute_flags(petition: Petition, unit_level: str, links: list[PetitionLink]) -> list[str]:
    confirmed = [link for link in links if link.state == "confirmed"]
    levels = {unit_level} | {link.other_unit_level for link in confirmed}
    dates = [petition.received_on] + [link.other_received_on for link in confirmed]
    channels = {petition.channel} | {link.other_channel for link in confirmed}
    flags = []
    if confirmed:
        flags.append(Flag.REPEAT)
    if petition.accused_level:
        competent = _LEVEL_RANK[COMPETENT_LEVEL[AccusedLevel(petition.accused_level)]]
        if any(_LEVEL_RANK.get(level, 9) < competent for level in levels):
            flags.append(Flag.SKIP_LEVEL)
    if (max(dates) - min(dates)).days > 365:
        flags.append(Flag.MULTI_YEAR)
    if len({_LEVEL_RANK.get(level) for level in levels}) >= 2:
        flags.append(Flag.MULTI_LEVEL)
    if len(channels) >= 2 or any(not link.same_informant for link in confirmed):
        flags.append(Flag.MULTI_SOURCE)
    return [str(f) for f in flags]


def refresh_flags(petition: Petition) -> None:
    """Recompute the petition's flags from its own unit's link rows; the unit's repeat and 三多 counts follow."""
    unit = db.session.get(Unit, petition.unit_id)
    with context.writing_as(unit.id, unit.path):
        links = db.session.scalars(select(PetitionLink).where(PetitionLink.petition_id == petition.id)).all()
        old, new = set(petition.flags or []), set(compute_flags(petition, unit.level, links))
        if old == new:
            return
        petition.flags = sorted(new)
        db.session.flush()
        for metric, had, has in (("petitions.repeat", Flag.REPEAT in old, Flag.REPEAT in new),
                                 ("petitions.sanduo", bool(old & set(SANDUO)), bool(new & set(SANDUO)))):
            if had != has:
                tenancy_ops.bump_stat(unit, metric, 1 if has else -1)


# ---------------------------------------------------------------- routing down the tree (转办/交办)


def route_petition(petition: Petition, to_unit: Unit | None, *, mode: str, due_on=None, instructions: str = "",
                   expected_version: int | None = None) -> Petition:
    """Hand the petition to a descendant: the receiver gets its own linked record, the origin a tracking share
    of it and a 交办件 with the deadline.

    The informant moves with the petition (issue 16, decided): the unit that handles it and gives the feedback
    becomes the receiving unit, and DESIGN §3's "identity never leaves the receiving unit" holds of it; the
    origin keeps the matter and the outcome, but neither the identity nor its matching keys."""
    from core.supervision import operations as supervision_ops

    check_version(petition, expected_version)
    if "route" not in {t.name for t in PETITION_FLOW.available(petition)}:
        raise PETITION_FLOW.not_now(petition, "route")
    origin_unit = db.session.get(Unit, petition.unit_id)
    errors: dict[str, list[str]] = {}
    if mode not in RoutingMode.__members__.values():
        add_error(errors, "mode", _("请选择转办或交办"))
    if to_unit is None or to_unit.id == origin_unit.id or not origin_unit.contains(to_unit) or not to_unit.takes_casework:
        add_error(errors, "to_unit_id", _("只能转交本单位下辖的单位"))
    due = _parse_date(due_on) if due_on else calendar.add_workdays(calendar.today(),
                                                                    parameters.get("PETITION_HANDLING_WORKDAYS"))
    if due is None or due < calendar.today():
        add_error(errors, "due_on", _("办理期限应是今天或以后的日期"))
    instructions = (instructions or "").strip()
    if len(instructions) > 2000:
        add_error(errors, "instructions", _("转交意见不能超过 2000 个字"))
    if errors:
        raise InvalidInput(errors)

    informant = {} if petition.anonymous else _decrypted(petition)
    raw = {c: getattr(petition, c) for c in ("channel", "received_on", "anonymous", "accused_name",
                                             "accused_position", "accused_work_unit", "accused_level",
                                             "accused_party_member", "accused_work_areas", "summary", "content")}
    raw.update(informant=informant, due_on=due, category=petition.category)
    with context.writing_as(to_unit.id, to_unit.path):
        copy = register_petition(to_unit, raw, origin=petition, categories=None)
    item = supervision_ops.issue_item(
        origin_unit, to_unit, kind="assigned", due_on=due, subject_number=copy.number,
        title=_("%(mode)s：%(label)s", mode=ROUTING_LABELS[RoutingMode(mode)], label=copy.label),
        body=instructions or _("请按期办结并反馈结果。"))
    with context.writing_as(to_unit.id, to_unit.path):
        tenancy_ops.grant_share("petitions", copy.id, to_unit, purpose="routing", grantee_unit=origin_unit,
                                reason=petition.number)
    for field in INFORMANT_FIELDS:  # moved, not copied: sealed again for the copy above, dropped here
        setattr(petition, f"informant_{field}", None)
    # The matching keys go with the identity: kept here, they would let the origin confirm the informant's
    # phone or id number by registering it again (propose_links matches inside the unit).
    petition.informant_id_key = petition.informant_phone_key = None
    own_item = _routing_item(petition)
    if own_item is not None and own_item.state == "issued":
        supervision_ops.receive(own_item)  # a unit that routes what it was handed has signed for it
    petition.routing = {"mode": mode, "to_unit_id": to_unit.id, "to_unit_name": to_unit.name,
                        "petition_id": copy.id, "number": copy.number, "item_id": item.id,
                        "on": calendar.today().isoformat(), "due_on": due.isoformat(), "instructions": instructions}
    PETITION_FLOW.apply(petition, "route", detail={"mode": mode, "to_unit": to_unit.id, "number": copy.number})
    tenancy_ops.bump_stat(origin_unit, "petitions.open", -1)
    tenancy_ops.bump_stat(origin_unit, "petitions.routed", 1)
    return copy


def _routing_item(petition: Petition):
    from core.supervision.models import SupervisionItem

    return db.session.scalar(select(SupervisionItem).where(
        SupervisionItem.kind == "assigned", SupervisionItem.subject_type == "petitions",
        SupervisionItem.subject_id == petition.id))


def _report_outcome_upward(petition: Petition) -> None:
    """A routed petition's outcome reaches every unit up its routing chain, and its 交办件 is reported done."""
    from core.supervision import operations as supervision_ops

    item = _routing_item(petition)
    if item is not None and item.is_open and item.state != "reported_done":
        supervision_ops.report_done(item, _("已办结（%(outcome)s）：%(findings)s", outcome=petition.outcome_label,
                                            findings=petition.findings or ""))
    child, origin_id = petition, petition.origin_petition_id
    while origin_id is not None:
        with context.acting(context.maintenance_context(account_id=context.current().account_id), db.session):
            origin = db.session.get(Petition, origin_id)
            origin_unit = db.session.get(Unit, origin.unit_id)
        with context.writing_as(origin_unit.id, origin_unit.path):
            origin.outcome, origin.concluded_on = child.outcome, child.concluded_on
            origin.findings = child.findings
            if origin.state == "routed":
                PETITION_FLOW.apply(origin, "report_outcome", detail={"outcome": child.outcome,
                                                                      "from_unit": petition.unit_id})
                tenancy_ops.bump_stat(origin_unit, "petitions.routed", -1)
            db.session.flush()
            # A copy in the middle of the chain was itself handed down: its 交办件 is done too, reported
            # by the middle unit (its recipient), or the higher unit's item would wait forever.
            middle_item = _routing_item(origin) if origin.origin_petition_id is not None else None
            if middle_item is not None and middle_item.is_open and middle_item.state != "reported_done":
                supervision_ops.report_done(middle_item, _("下级已办结（%(outcome)s）：%(findings)s",
                                                           outcome=origin.outcome_label,
                                                           findings=origin.findings or ""))
        child, origin_id = origin, origin.origin_petition_id


# ================================================================ writes of the petition pages
# (categories page, 再次信访); added with the pages, API and tests of routing and repeat links.

CATEGORY_NAME_LIMIT = 50


def add_category(unit: Unit, name: str) -> PetitionCategory:
    """A problem category of the unit's taxonomy; every unit below inherits it. Who may: tenants.access."""
    name = re.sub(r"\s+", " ", name or "").strip()
    if not name:
        raise InvalidInput({"name": [_("请填写类别名称")]})
    if len(name) > CATEGORY_NAME_LIMIT:
        raise InvalidInput({"name": [_("类别名称不能超过 %(n)s 个字", n=CATEGORY_NAME_LIMIT)]})
    if name in categories_for(unit):
        raise InvalidInput({"name": [_("已有同名的问题类别：%(name)s", name=name)]})
    category = PetitionCategory(unit_id=unit.id, unit_path=unit.path, name=name, archived=False)
    db.session.add(category)
    db.session.flush()
    record("petition.category_add", unit_id=unit.id, object_type="petition_categories", object_id=category.id,
           detail={"name": name})
    return category


def archive_category(category: PetitionCategory, *, expected_version: int | None = None) -> None:
    """Stop offering a category for new petitions; petitions already filed under it keep it (nothing is deleted)."""
    check_version(category, expected_version)
    if category.archived:
        return
    category.archived = True
    db.session.flush()
    record("petition.category_archive", unit_id=category.unit_id, object_type="petition_categories",
           object_id=category.id, detail={"name": category.name})


AGAIN_FROM_STATES = ("closed", "settled")


def register_again(unit: Unit, raw: dict, again_of: Petition, *, same_informant: bool = True) -> Petition:
    """再次信访: a new petition of the unit linked to a closed one of its own.

    ``same_informant``: the informant is carried over from the earlier record server-side (decrypted
    and encrypted again for the new one), so the form never shows it in plain text."""
    if again_of.unit_id != unit.id:
        raise InvalidInput({"again_of": [_("只能就本单位的件登记再次信访")]})
    if again_of.state not in AGAIN_FROM_STATES:
        raise InvalidInput({"again_of": [_("原件尚未结案（当前：%(state)s），不能登记再次信访",
                                           state=again_of.state_label)]})
    raw = dict(raw)
    if same_informant:
        raw.update(anonymous=again_of.anonymous, informant={} if again_of.anonymous else _decrypted(again_of))
    return register_petition(unit, raw, again_of=again_of)


# ---------------------------------------------------------------- deadlines recounted when a year's holidays arrive


def _log_deadline(petition: Petition, old: date, new: date, year: int) -> None:
    PETITION_FLOW.note(petition, "deadline", reason=calendar.deadline_change_reason(year, old, new),
                       detail={"from": old.isoformat(), "to": new.isoformat()})


calendar.register_deadline_source(calendar.DeadlineSource(
    Petition, lambda: Petition.state.in_(OPEN),
    lambda p: [(p.received_on, parameters.get("PETITION_HANDLING_WORKDAYS"))], _log_deadline))


def recount(unit: Unit, today: date) -> dict[tuple[str, str], int]:
    """The unit's petition figures counted from its records: what the stats rows must hold (the nightly reconcile)."""
    figures: Counter = Counter()
    rows = db.session.execute(select(Petition.state, Petition.received_on, Petition.concluded_on, Petition.outcome,
                                     Petition.flags, Petition.due_on).where(Petition.unit_id == unit.id))
    for state, received_on, concluded_on, outcome, flags, due_on in rows:
        figures[("petitions.received", "")] += 1
        figures[("petitions.received", received_on.isoformat())] += 1
        if state in OPEN:
            figures[("petitions.open", "")] += 1
            if due_on is not None and due_on < today:
                figures[("petitions.overdue", "")] += 1
        elif state == "routed":
            figures[("petitions.routed", "")] += 1
        elif state in ("concluded", "closed", "settled") and outcome:
            figures[(f"petitions.concluded.{outcome}", "")] += 1
            figures[(f"petitions.concluded.{outcome}", concluded_on.isoformat())] += 1
        flags = set(flags or [])
        figures[("petitions.repeat", "")] += Flag.REPEAT in flags
        figures[("petitions.sanduo", "")] += bool(flags & set(SANDUO))
    return with_coarser_keys(figures)


# ---------------------------------------------------------------- reply templates of the feedback (反馈)

REPLY_TITLE_LIMIT, REPLY_TEXT_LIMIT = 50, 2000


def add_reply_template(unit: Unit, title: str, text: str) -> ReplyTemplate:
    """A standard text of the unit's feedback to informants; the officer picks it and edits it per petition."""
    title = re.sub(r"\s+", " ", title or "").strip()
    text = (text or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        add_error(errors, "title", _("请填写模板名称"))
    elif len(title) > REPLY_TITLE_LIMIT:
        add_error(errors, "title", _("模板名称不能超过 %(n)s 个字", n=REPLY_TITLE_LIMIT))
    if not text:
        add_error(errors, "text", _("请填写反馈内容"))
    elif len(text) > REPLY_TEXT_LIMIT:
        add_error(errors, "text", _("反馈内容不能超过 %(n)s 个字", n=REPLY_TEXT_LIMIT))
    if errors:
        raise InvalidInput(errors)
    template = ReplyTemplate(unit_id=unit.id, unit_path=unit.path, title=title, text=text, archived=False)
    db.session.add(template)
    db.session.flush()
    record("petition.reply_template_add", unit_id=unit.id, object_type="reply_templates", object_id=template.id,
           detail={"title": title})
    return template


def archive_reply_template(template: ReplyTemplate, *, expected_version: int | None = None) -> None:
    """Stop offering a template (feedback already given keeps its text; nothing is deleted)."""
    check_version(template, expected_version)
    if template.archived:
        return
    template.archived = True
    db.session.flush()
    record("petition.reply_template_archive", unit_id=template.unit_id, object_type="reply_templates",
           object_id=template.id, detail={"title": template.title})
