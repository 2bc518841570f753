"""Demo collaboration zones (协作区) for the demo province.

松林县 (990121) gets secretaries for the townships that lack one, two township zones — 第一协作区 城关镇, 新桥镇,
石桥乡 and 第二协作区 河口镇, 龙潭镇, 东坪街道 — led by county-leader and guided by a supervision office, and a
zone of its two stationed groups (created here under the county). Each zone was set up at the start of the
previous quarter, so the rota has a past term and a current one: 第一协作区's past convener (城关镇) has
reported, 第二协作区's (河口镇) is still asked to. 新桥镇, the current convener of 第一协作区, held a joint
meeting ten days ago: minutes and two decisions, the first turned into tasks for 城关镇 and 石桥乡. Cross-handling:
新桥镇's staff handle a petition and a clearing case of 城关镇 (active), 石桥乡 inspected a clearing case of
新桥镇 last month (expired), 龙潭镇's grant on a petition of 河口镇 was revoked; a cross-inspection round of
第一协作区 is open, 城关镇 has filed its findings on 新桥镇 and the county issued a rectification order.
石门县 (990122) has one zone of three townships.

Everything goes through the real operations (the zones' start given to them as an explicit date, the past
term rotated by the rota's own job function). What no operation can do on a past day is adjusted afterwards
and only that: the expired grant's days, its share's expiry and the time of the one reading made under it.
Runs from ``flask demo`` after the clearing and casework seeders (it works on their records).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from core import calendar, context
from core.clearing import operations as clearing_ops
from core.clearing.models import ClearingCase
from core.extensions import db
from core.identity import operations as identity_ops
from core.identity.models import Account
from core.petitions import operations as petition_ops
from core.petitions.models import Petition
from core.zones import operations as ops
from core.zones import queries
from core.zones.models import ConvenerTerm, CrossGrant, InspectionPair, MeetingDecision, ZoneKind
from tenants import operations as tenancy_ops
from tenants.demo import DEMO_PASSWORD
from tenants.models import Share, ShareAccess, Unit, UnitLevel

COUNTY, SECOND_COUNTY = "990121", "990122"
# (username, display name, unit code, role): the secretaries (纪委书记) the demo tree lacks, two more officers,
# the stationed groups' heads and 石门县's leader.
ACCOUNTS = [
    ("xinqiao-leader", "新桥镇纪委书记", "990121002", "leader"),
    ("shiqiao-leader", "石桥乡纪委书记", "990121003", "leader"),
    ("shiqiao-officer", "石桥乡承办人", "990121003", "officer"),
    ("hekou-leader", "河口镇纪委书记", "990121004", "leader"),
    ("longtan-leader", "龙潭镇纪委书记", "990121005", "leader"),
    ("longtan-officer", "龙潭镇承办人", "990121005", "officer"),
    ("dongping-leader", "东坪街道纪工委书记", "990121006", "leader"),
    ("paizhu1-head", "派驻第一纪检监察组组长", "990121P01", "leader"),
    ("paizhu2-head", "派驻第二纪检监察组组长", "990121P02", "leader"),
    ("shimen-leader", "石门县纪委领导", SECOND_COUNTY, "leader"),
]
STATIONED = [("990121P01", "松林县纪委监委派驻第一纪检监察组"), ("990121P02", "松林县纪委监委派驻第二纪检监察组")]
ASSESS = {"verified_fully": 1, "conclusion_clear": 1, "handling_done": 1,
          "opinion": "新桥镇交叉核查：反映问题经核查失实，建议澄清"}


def _unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def _account(username: str) -> Account:
    return db.session.scalar(select(Account).where(Account.username == username))


def _as(username: str, unit: Unit):
    """Act as that account in that unit (the maintenance context: the demo writes across units)."""
    return context.acting(context.maintenance_context(account_id=_account(username).id, unit_id=unit.id,
                                                      unit_path=unit.path), db.session)


def _previous_quarter_start(day: date) -> date:
    first_month = (day.month - 1) // 3 * 3 + 1
    return date(day.year, first_month - 3, 1) if first_month > 1 else date(day.year - 1, 10, 1)


def _share_of(grant: CrossGrant, username: str) -> Share:
    account_id = _account(username).id
    return next(s for s in (db.session.get(Share, i) for i in grant.share_ids) if s.grantee_account_id == account_id)


def seed() -> dict:
    today = calendar.today()
    county, second = _unit(COUNTY), _unit(SECOND_COUNTY)
    towns = {code: _unit(code) for code in (f"{COUNTY}{i:03d}" for i in range(1, 7))}
    home, xinqiao, shiqiao, hekou, longtan, dongping = towns.values()
    for code, name in STATIONED:
        tenancy_ops.create_unit(name, UnitLevel.STATIONED, code, county)
    for username, display, code, role in ACCOUNTS:
        account, _password = identity_ops.create_account(username, display, DEMO_PASSWORD)
        tenancy_ops.add_membership(account, _unit(code), role)
    db.session.flush()
    lead = _account("county-leader").id

    # Zones set up at the start of the previous quarter: the rota's first terms have ended since.
    started = _previous_quarter_start(today)
    with _as("county-leader", county):
        first = ops.define_zone(county, name="第一协作区", lead_account_id=lead, guiding_office="第一监督检查室",
                                description="城关镇、新桥镇、石桥乡地域相邻，开展交叉办案、交叉检查。",
                                member_unit_ids=[home.id, xinqiao.id, shiqiao.id], starts_on=started)
        ops.define_zone(county, name="第二协作区", lead_account_id=lead, guiding_office="第二监督检查室",
                        description="河口镇、龙潭镇、东坪街道沿河相邻。",
                        member_unit_ids=[hekou.id, longtan.id, dongping.id], starts_on=started)
        stationed = ops.define_zone(county, name="派驻纪检监察组协作区", kind=ZoneKind.STATIONED, lead_account_id=lead,
                                    guiding_office="党风政风监督室", description="两个派驻组联合监督、交叉检查。",
                                    member_unit_ids=[_unit(code).id for code, _name in STATIONED], starts_on=started)
        rotated = ops.advance_rotas(county, today)  # what the nightly job did at the quarter's turn
    with _as("shimen-leader", second):
        ops.define_zone(second, name="石门县第一协作区", lead_account_id=_account("shimen-leader").id,
                        guiding_office="第三监督检查室", description="石门县城区周边三个乡镇。",
                        member_unit_ids=[_unit(f"{SECOND_COUNTY}{i:03d}").id for i in (1, 2, 3)])
    past_term = db.session.scalar(select(ConvenerTerm).where(ConvenerTerm.zone_id == first.id)
                                  .order_by(ConvenerTerm.id).limit(1))
    with _as("town-leader", home):
        ops.submit_term_report(past_term, "任期内召集联席会议两次，组织交叉办案三件、交叉检查一轮；澄清正名工作"
                                          "按季度推进，发现问题已督促整改。下一步建议加强信访件异地核查。")

    # 新桥镇 convenes now: a joint meeting held ten days ago, its minutes and decisions, the first as tasks.
    current = queries.current_term(first)
    with _as("xinqiao-leader", xinqiao):
        meeting = ops.schedule_meeting(first, xinqiao, title="第一协作区第四季度联席会议",
                                       held_on=max(current.starts_on, today - timedelta(days=10)),
                                       place="新桥镇纪委会议室",
                                       agenda="一、通报本季度交叉办案进展；二、研究澄清正名交叉检查安排；三、确定下次会议议题")
        ops.record_minutes(meeting, minutes="会议由新桥镇纪委书记主持，县纪委第一监督检查室到会指导。各成员单位通报了"
                                            "本季度信访件办理和澄清正名工作情况，研究了交叉检查安排。",
                           decisions=[{"text": "城关镇、石桥乡于本季度末前完成澄清正名案件回访情况自查并报送",
                                       "unit_ids": [home.id, shiqiao.id],
                                       "due_on": (today + timedelta(days=20)).isoformat()},
                                      {"text": "下次联席会议通报交叉办案件办理结果，由新桥镇准备材料", "unit_ids": []}])
    decision = db.session.scalar(select(MeetingDecision).where(MeetingDecision.meeting_id == meeting.id,
                                                               MeetingDecision.seq == 1))
    with _as("county-leader", county):
        tasks = ops.issue_decision_tasks(decision)

    # Cross-handling: 新桥镇 handles a petition and a clearing case of 城关镇 (active).
    with _as("town-intake", home):
        petition = petition_ops.register_petition(home, dict(
            channel="visit", received_on=today - timedelta(days=12), anonymous=False,
            informant={"name": "示例举报人", "phone": "13800000001"}, accused_name="黄某某",
            accused_position="村委会委员", accused_work_unit="城关镇东关村", category="三资管理",
            summary="反映村委会委员在村集体资产出租中收受好处"))
    with _as("town-officer", home):
        case = clearing_ops.register_application(home, {
            "person_name": "马志远", "person_position": "站长", "person_work_unit": "城关镇农业综合服务中心",
            "accusation": "反映在农机补贴申报审核中优亲厚友", "request": "本人书面申请组织予以澄清正名",
            "applied_on": today.isoformat()})
    handlers = [_account("other-town-officer").id, _account("xinqiao-leader").id]
    with _as("county-leader", county):
        petition_grant = ops.grant_cross_access(
            county, grantee_unit_id=xinqiao.id, owner_unit_id=home.id, number=petition.number, scope="handle",
            purpose="被反映人与城关镇干部熟识，由新桥镇交叉核查", starts_on=today, ends_on=today + timedelta(days=20),
            grantee_account_ids=handlers)
        case_grant = ops.grant_cross_access(
            county, grantee_unit_id=xinqiao.id, owner_unit_id=home.id, number=case.number, scope="handle",
            purpose="澄清正名交叉办理：评估、方案、实施和反馈由新桥镇承担", starts_on=today,
            ends_on=today + timedelta(days=30), grantee_account_ids=handlers)
    with _as("other-town-officer", xinqiao):
        share = _share_of(petition_grant, "other-town-officer")
        tenancy_ops.record_share_access(share)
        petition_ops.take_step(petition, "start", {}, share=share)
        share = _share_of(case_grant, "other-town-officer")
        tenancy_ops.record_share_access(share)
        clearing_ops.take_step(case, "assess", ASSESS, acting_unit=xinqiao, share=share)
    with _as("town-leader", home):
        clearing_ops.take_step(case, "review", {"opinion": "同意澄清，请新桥镇制定澄清方案"}, acting_unit=home)

    # 石桥乡 inspected a clearing case of 新桥镇 last month: granted today, then moved to its real days.
    inspected = db.session.scalar(select(ClearingCase).where(ClearingCase.unit_id == xinqiao.id,
                                                             ClearingCase.state == "applied")
                                  .order_by(ClearingCase.id).limit(1))
    with _as("county-leader", county):
        expired = ops.grant_cross_access(
            county, grantee_unit_id=shiqiao.id, owner_unit_id=xinqiao.id, number=inspected.number, scope="inspect",
            purpose="交叉检查澄清正名件办理质效", starts_on=today, ends_on=today,
            grantee_account_ids=[_account("shiqiao-officer").id])
    with _as("shiqiao-officer", shiqiao):
        tenancy_ops.record_share_access(_share_of(expired, "shiqiao-officer"))
    expired.starts_on, expired.ends_on = today - timedelta(days=40), today - timedelta(days=31)
    db.session.get(Share, expired.share_ids[0]).expires_at = ops.end_of_day(expired.ends_on)
    read_at = datetime.combine(today - timedelta(days=35), time(10), tzinfo=calendar.CHINA).astimezone(timezone.utc)
    for access in db.session.scalars(select(ShareAccess).where(ShareAccess.share_id == expired.share_ids[0])):
        access.at = read_at
    db.session.flush()
    ops.close_ended_grants(county, today)  # the nightly job closes its inbox entry

    # 龙潭镇's grant on a petition of 河口镇, revoked by the county.
    hekou_petition = db.session.scalar(select(Petition).where(Petition.unit_id == hekou.id).order_by(Petition.id)
                                       .limit(1))
    with _as("county-leader", county):
        revoked = ops.grant_cross_access(
            county, grantee_unit_id=longtan.id, owner_unit_id=hekou.id, number=hekou_petition.number,
            scope="handle", purpose="河口镇信访件交叉核查", starts_on=today, ends_on=today + timedelta(days=15),
            grantee_account_ids=[_account("longtan-officer").id])
    with _as("longtan-officer", longtan):
        tenancy_ops.record_share_access(_share_of(revoked, "longtan-officer"))
    with _as("county-leader", county):
        ops.revoke_grant(revoked, "经核实，被反映人与龙潭镇一名干部系近亲属，撤销授权，改由东坪街道办理")

    # A cross-inspection round of 第一协作区: 城关镇 inspected 新桥镇 and filed; the county ordered rectification.
    with _as("county-leader", county):
        round_ = ops.open_round(first, title="第一协作区澄清正名工作交叉检查", starts_on=today,
                                ends_on=today + timedelta(days=14))
    pair = db.session.scalar(select(InspectionPair).where(InspectionPair.round_id == round_.id,
                                                          InspectionPair.unit_id == home.id))
    granted = list(db.session.scalars(select(CrossGrant).where(CrossGrant.round_id == round_.id,
                                                               CrossGrant.grantee_unit_id == home.id)
                                      .order_by(CrossGrant.id)))
    findings = []
    with _as("town-officer", home):
        for i, grant in enumerate(granted):
            tenancy_ops.record_share_access(_share_of(grant, "town-officer"))
            answers = {item: not (i == 0 and item == "回访是否落实") for item in round_.checklist}
            findings.append({"clearing_case_id": grant.object_id, "answers": answers,
                             "problem": "未按“一人四访”要求制定回访计划" if i == 0 else ""})
        ops.file_findings(pair, findings=findings,
                          summary=f"检查新桥镇在办澄清正名件 {len(granted)} 件，发现回访计划未制定问题 1 个，已当场反馈。")
    with _as("county-leader", county):
        rectification = ops.issue_rectification(pair, due_on=today + timedelta(days=15))
    db.session.flush()
    return {"zones": 4, "terms_rotated": rotated, "meeting": meeting.title, "tasks": len(tasks),
            "grants": {"active": 2, "expired": 1, "revoked": 1, "inspection": len(granted)},
            "rectification": rectification.number, "stationed_zone": stationed.name,
            "accounts": [f"{u} ({d})" for u, d, _c, _r in ACCOUNTS]}
