"""Reads of remote interviews for the pages, the API and the ledger: the loaders (the unit's own interviews only;
the record one belongs to, through its own scoped loader), the staff who may conduct one, the procedure as a list
of steps with who confirmed each and when, the files that may serve as recording and transcript, the list."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.attachments.kinds import KINDS
from core.attachments.models import Attachment
from core.evidence.models import RemoteInterview
from core.evidence.workflow import INTERVIEW_FLOW, MODE_LABELS, OPEN, STEPS, SUBJECTS
from core.extensions import db
from core.identity.models import Account
from core.timefmt import local_time
from core.workflow import history
from tenants.access import Action, deny
from tenants.models import Membership, Role, Unit
from tenants.scoping import load_scoped

# Who may conduct an interview: the unit's members with a record-handling role (EVIDENCE_CONDUCT's roles).
CONDUCTING_ROLES = (Role.LEADER.value, Role.OFFICER.value)
# The kinds of file that may be the full recording, and the signed transcript (a scan, a PDF, a Word file).
RECORDING_CLASSES = ("video", "audio")
TRANSCRIPT_CLASSES = ("pdf", "office", "image")


def load_interview(interview_id, action: Action, unit: Unit, account) -> RemoteInterview:
    """An interview of the acting unit itself; else 404 (a sibling township, the county above, an analyst)."""
    return load_scoped(RemoteInterview, interview_id, unit=unit, account=account, action=action, own=True)


def load_subject(subject_type: str | None, subject_id, unit: Unit, account):
    """The record an interview belongs to: one of the unit's own, read through its own action; else 404."""
    subject = SUBJECTS.get(subject_type or "")
    if subject is None:
        deny(Action.EVIDENCE_CONDUCT, unit=unit, object_type="remote_interviews", object_id=str(subject_type)[:32])
    return load_scoped(subject.model, subject_id, unit=unit, account=account, action=subject.read, own=True)


def subject_of(interview: RemoteInterview):
    """The record the interview belongs to (its own unit's), for the link back; None if its kind is gone."""
    subject = SUBJECTS.get(interview.subject_type)
    if subject is None:
        return None
    return db.session.scalar(select(subject.model).where(subject.model.id == interview.subject_id,
                                                          subject.model.unit_id == interview.unit_id))


def conducting_staff(unit: Unit) -> list[Account]:
    """The unit's members who may conduct an interview (委领导, 承办), by name."""
    return list(db.session.scalars(
        select(Account).join(Membership, Membership.account_id == Account.id)
        .where(Membership.unit_id == unit.id, Membership.ended_at.is_(None), Membership.role.in_(CONDUCTING_ROLES),
               Account.archived_at.is_(None))
        .distinct().order_by(Account.display_name, Account.id)))


def interviews_of(subject_type: str, subject_id: int, unit: Unit) -> list[RemoteInterview]:
    return list(db.session.scalars(select(RemoteInterview).where(
        RemoteInterview.unit_id == unit.id, RemoteInterview.subject_type == subject_type,
        RemoteInterview.subject_id == subject_id).order_by(RemoteInterview.id)))


def procedure(interview: RemoteInterview) -> list[dict]:
    """The steps in order, each with whether it is done, who confirmed it and when (from the workflow history),
    and which one is due now; the staff's confirmations of participation with their own accounts."""
    steps = {h.transition: h for h in history("remote_interviews", interview.id)
             if h.transition in (*STEPS, "finalise", "check")}
    due = INTERVIEW_FLOW.available(interview)
    due_name = due[0].name if due else None
    rows = []
    for name in (*STEPS, "finalise", "check"):
        done = steps.get(name)
        rows.append({"step": name, "label": INTERVIEW_FLOW.step_label(name), "done": done is not None,
                     "due": name == due_name, "by": done.account.display_name if done and done.account else "",
                     "by_id": done.account_id if done else None, "at": done.occurred_at if done else None,
                     "note": (done.reason or "") if done else ""})
    return rows


def participation(interview: RemoteInterview) -> list[dict]:
    return [{"account_id": account.id, "name": account.display_name, "confirmed_at": at}
            for account, at in ((interview.staff1, interview.staff1_confirmed_at),
                                (interview.staff2, interview.staff2_confirmed_at))]


def current_files(interview: RemoteInterview) -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).where(
        Attachment.object_type == RemoteInterview.__tablename__, Attachment.object_id == interview.id,
        Attachment.unit_id == interview.unit_id, Attachment.archived_at.is_(None))
        .order_by(Attachment.uploaded_at, Attachment.id)))


def candidates(interview: RemoteInterview) -> tuple[list[Attachment], list[Attachment]]:
    """The current files that may be the full recording (video, audio) and the transcript (PDF, Word, a scan)."""
    files = current_files(interview)
    return ([f for f in files if KINDS[f.kind].size_class in RECORDING_CLASSES],
            [f for f in files if KINDS[f.kind].size_class in TRANSCRIPT_CLASSES])


def file_of(interview: RemoteInterview, file_id: int | None) -> Attachment | None:
    if file_id is None:
        return None
    return db.session.scalar(select(Attachment).where(
        Attachment.id == file_id, Attachment.object_type == RemoteInterview.__tablename__,
        Attachment.object_id == interview.id, Attachment.unit_id == interview.unit_id))


# ---------------------------------------------------------------- the list and its ledger


@dataclass
class InterviewFilter:
    state: str = ""  # an INTERVIEW_FLOW state, or ""
    open: bool = False  # not finalised yet
    unchecked: bool = False  # finalised, waiting for the case admin's check
    mine: int | None = None  # an account among the two staff

    @classmethod
    def from_args(cls, args, account_id: int | None = None) -> InterviewFilter:
        state = args.get("state", "")
        return cls(state=state if state in INTERVIEW_FLOW.states else "",
                   open=args.get("open") in ("1", "true", "on"),
                   unchecked=args.get("unchecked") in ("1", "true", "on"),
                   mine=account_id if args.get("mine") in ("1", "true", "on") else None)

    def as_args(self) -> dict:
        return {k: v for k, v in (("state", self.state), ("open", "1" if self.open else ""),
                                  ("unchecked", "1" if self.unchecked else ""),
                                  ("mine", "1" if self.mine else "")) if v}


def list_query(unit: Unit, f: InterviewFilter):
    """The unit's own interviews, newest first."""
    stmt = select(RemoteInterview).where(RemoteInterview.unit_id == unit.id)
    if f.state:
        stmt = stmt.where(RemoteInterview.state == f.state)
    if f.open:
        stmt = stmt.where(RemoteInterview.state.in_(OPEN))
    if f.unchecked:
        stmt = stmt.where(RemoteInterview.state == "finalised")
    if f.mine:
        stmt = stmt.where((RemoteInterview.staff1_id == f.mine) | (RemoteInterview.staff2_id == f.mine))
    return stmt.order_by(RemoteInterview.year.desc(), RemoteInterview.seq.desc())


def ledger_header() -> list[str]:
    from flask_babel import gettext as _

    return [_("取证编号"), _("所属记录"), _("证人"), _("方式"), _("计划时间"), _("办案人员"), _("状态"), _("询问日期"),
            _("完成日期"), _("案管核查日期")]


def ledger_rows(unit: Unit, f: InterviewFilter):
    """The 远程取证台账 rows of the list's filter (for the export registry, which reporting owns)."""
    for i in db.session.scalars(list_query(unit, f)):
        yield [i.number, f"{i.subject_label} {i.subject_title}".strip(), i.person_name,
               str(MODE_LABELS.get(i.mode, "")), local_time(i.planned_at), f"{i.staff1.display_name}、{i.staff2.display_name}",
               i.state_label, i.held_on.isoformat() if i.held_on else "",
               i.finalised_on.isoformat() if i.finalised_on else "", i.checked_on.isoformat() if i.checked_on else ""]
