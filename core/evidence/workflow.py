"""The procedure of a remote interview (远程询问取证, 高台县's 网络远程取证), enforced as a workflow: the witness's
consent to the video form first, then 出示工作证件 → 告知权利义务 → 核实身份 → 询问 → 核对笔录 → 签字确认, each step
one guarded transition (core.workflow records who confirmed it and when); then 完成 (the two staff, the recording
and the signed transcript all present) and the case-management office's check (案管核查).

What the area declares to others: ``SUBJECTS``, the kinds of record an interview belongs to (a lead, a petition's
verification …); a higher area adds its own by registering one entry (``SubjectType``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask_babel import lazy_gettext as _l

from core.areas import Registry
from core.workflow import Transition, Workflow
from tenants.access import Action

class InterviewFlow(Workflow):
    """The interview's workflow; its history also holds the staff's confirmations of participation (a note)."""

    def step_label(self, name: str) -> str:
        return str(_l("确认参与")) if name == PARTICIPATION else super().step_label(name)


PARTICIPATION = "confirm_participation"  # a staff member's own confirmation (a note of the history, no state)
INTERVIEW_FLOW = InterviewFlow("remote_interviews", {
    "planned": _l("待征得证人同意"),
    "consented": _l("证人已同意视频询问"),
    "id_shown": _l("已出示工作证件"),
    "rights_told": _l("已告知权利义务"),
    "identity_verified": _l("已核实身份"),
    "questioned": _l("已询问"),
    "transcript_checked": _l("已核对笔录"),
    "signed": _l("已签字确认，待完成"),
    "finalised": _l("已完成，待案管核查"),
    "checked": _l("案管已核查"),
}, [
    Transition("consent", ("planned",), "consented", _l("记录证人同意视频询问")),
    Transition("show_id", ("consented",), "id_shown", _l("出示工作证件")),
    Transition("inform_rights", ("id_shown",), "rights_told", _l("告知权利义务")),
    Transition("verify_identity", ("rights_told",), "identity_verified", _l("核实身份")),
    Transition("question", ("identity_verified",), "questioned", _l("询问")),
    Transition("check_transcript", ("questioned",), "transcript_checked", _l("核对笔录")),
    Transition("sign", ("transcript_checked",), "signed", _l("签字确认")),
    Transition("finalise", ("signed",), "finalised", _l("完成取证")),
    Transition("check", ("finalised",), "checked", _l("案管核查")),
])
# The procedure, in the order the seed names it; each step moves the interview one state on.
STEPS = ("consent", "show_id", "inform_rights", "verify_identity", "question", "check_transcript", "sign")
STEP_TARGETS = {t.name: t.target for t in INTERVIEW_FLOW.transitions}
# Not finalised yet: the interview may still change (fields before it starts, steps, files).
OPEN = ("planned", "consented", "id_shown", "rights_told", "identity_verified", "questioned", "transcript_checked",
        "signed")
CLOSED = ("finalised", "checked")  # read-only: no step, no field, no file

MODE_LABELS = {"wechat_video": _l("微信视频连线"), "video_call": _l("视频通话"),
               "video_conference": _l("视频会议系统"), "other": _l("其他视频方式")}


def due_step(state: str) -> str | None:
    """The next step of the procedure from ``state`` (None once signed)."""
    for step in STEPS:
        if state in next(t for t in INTERVIEW_FLOW.transitions if t.name == step).sources:
            return step
    return None


@dataclass(frozen=True)
class SubjectType:
    """A kind of record a remote interview belongs to.

    - ``key``: its table name (the interview's ``subject_type``); ``label``: 问题线索, 信访举报件 …;
    - ``model``: the mapped class (tenant-owned); ``read``: the action that reads it (the record is loaded through
      ``tenants.scoping.load_scoped`` with ``own=True``: the unit's own only, else 404);
    - ``title``: how a page names it (its number, never a person's name);
    - ``endpoint`` and ``args``: its page, for the link back (``args(record)`` gives the URL's arguments)."""
    key: str
    label: object
    model: type
    read: Action
    title: Callable[[object], str]
    endpoint: str
    args: Callable[[object], dict]


SUBJECTS = Registry("records a remote interview belongs to")


def register_subject(subject: SubjectType) -> None:
    SUBJECTS.register(subject.key, subject)
