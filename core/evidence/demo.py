"""Demo remote interviews (远程取证) of 城关镇, through the operations, after the leads' demo: town-officer and zhang-wei
(both of 城关镇) interviewed by WeChat video a witness working far away (高台县's case: 证人在新疆务工) on one of
the town's leads: consent by phone, every step, both confirmed, a small recording and the signed transcript,
finalised and waiting for the case admin's check; and a second interview in progress (consent and 出示工作证件
done, zhang-wei not yet confirmed)."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

from sqlalchemy import select

from core import calendar
from core.attachments import operations as attachment_ops
from core.evidence import operations as ops
from core.evidence.models import RemoteInterview
from core.evidence.workflow import STEPS
from core.extensions import db
from core.identity.models import Account
from core.leads.models import Lead
from tenants.demo import acting_as, unit_by_code

TOWN = "990121001"
OFFICER, SECOND = "town-officer", "zhang-wei"
# A tiny MP4 (its box header is what the attachments floor sniffs) and a one-page PDF: the demo's files.
RECORDING = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free" + b"\x00" * 2048
TRANSCRIPT = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
              b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _account(username: str) -> Account | None:
    return db.session.scalar(select(Account).where(Account.username == username))


def _plan(town, lead: Lead, officer: Account, second: Account, witness: dict, days_ahead: int) -> RemoteInterview:
    planned = datetime.combine(calendar.today() + timedelta(days=days_ahead), datetime.min.time()).replace(hour=9)
    return ops.plan_interview(town, {
        "subject_type": "leads", "subject_id": lead.id, **witness, "staff1_id": officer.id, "staff2_id": second.id,
        "planned_at": planned.isoformat(timespec="minutes"), "mode": "wechat_video",
        "place": "城关镇纪委谈话室（证人在新疆乌鲁木齐务工地）"}, officer)


def seed() -> dict:
    town = unit_by_code(TOWN)
    officer, second = _account(OFFICER), _account(SECOND)
    if town is None or officer is None or second is None:
        return {}
    if db.session.scalar(select(RemoteInterview.id).where(RemoteInterview.unit_id == town.id).limit(1)):
        return {}
    leads = list(db.session.scalars(select(Lead).where(Lead.unit_id == town.id).order_by(Lead.id)))
    if not leads:
        return {}
    with acting_as(OFFICER):
        done = _plan(town, leads[0], officer, second, {
            "witness_name": "马建军", "witness_position": "原村委会委员", "witness_work_unit": "新疆乌鲁木齐某建筑工地",
            "witness_id_number": "620722198503150011"}, 0)
        ops.confirm_participation(done, officer)
    with acting_as(SECOND):
        ops.confirm_participation(done, second)
    with acting_as(OFFICER):
        notes = {"consent": {"consent": "1", "consent_note": "电话征得本人同意以微信视频方式接受询问"},
                 "show_id": {"note": "视频中向证人出示工作证件"}, "question": {"note": "一问一答，另一台电脑现场制作笔录"},
                 "sign": {"note": "证人在笔录上逐页签字捺印后拍照回传，原件邮寄"}}
        for step in STEPS:
            ops.take_step(done, step, notes.get(step, {}), officer)
        attachment_ops.upload(done, io.BytesIO(RECORDING), "询问全程录像.mp4", acting_unit=town, account=officer)
        attachment_ops.upload(done, io.BytesIO(TRANSCRIPT), "询问笔录证人签字.pdf", acting_unit=town,
                              account=officer)
        ops.finalise(done, {}, officer)
        open_one = _plan(town, leads[min(1, len(leads) - 1)], officer, second, {
            "witness_name": "刘桂芳", "witness_position": "村民", "witness_work_unit": "浙江宁波务工"}, 1)
        ops.confirm_participation(open_one, officer)
        ops.take_step(open_one, "consent", {"consent": "1", "consent_note": "电话征得本人同意"}, officer)
        ops.take_step(open_one, "show_id", {}, officer)
    db.session.flush()
    return {"remote_interviews": 2}
