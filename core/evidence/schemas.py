"""JSON shapes of remote evidence (marshmallow). Inputs are loose text: the operations check every field and list
every reason at once in Chinese (422, nothing saved)."""
from marshmallow import fields, validate

from core.evidence.workflow import STEPS
from core.schemas import NAME, Id, Int, LooseSchema, Schema, Text, register_forms
from core.timefmt import LocalDateTime

STEP_NAMES = (*STEPS, "confirm_participation", "finalise", "check")


class InterviewFieldsSchema(LooseSchema):
    witness_name = Text(NAME, load_default="")
    witness_position = Text(100, load_default="")
    witness_work_unit = Text(100, load_default="")
    witness_id_number = Text(30, load_default="")
    staff1_id = Id(load_default=None, allow_none=True, metadata={"description": "an account id: a leader or officer "
                                                                               "of the unit"})
    staff2_id = Id(load_default=None, allow_none=True, metadata={"description": "the second staff member (not the "
                                                                               "first)"})
    planned_at = Text(40, load_default="", metadata={"description": "local time, e.g. 2026-12-05T09:30"})
    mode = Text(24, load_default="", metadata={
        "description": "wechat_video (微信视频连线), video_call, video_conference, other"})
    place = Text(200, load_default="")


class InterviewInSchema(InterviewFieldsSchema):
    subject_type = Text(32, load_default="", metadata={"description": "leads, petitions (the registered kinds)"})
    subject_id = Id(load_default=None, allow_none=True, metadata={"description": "the record's id (the unit's own)"})


class InterviewUpdateSchema(InterviewFieldsSchema):
    version = Int(load_default=None, allow_none=True)


class StepInSchema(Schema):
    step = fields.String(required=True, validate=validate.OneOf(STEP_NAMES), metadata={
        "description": "consent, show_id (出示工作证件), inform_rights (告知权利义务), verify_identity (核实身份), "
                       "question (询问), check_transcript (核对笔录), sign (签字确认) — in this order; "
                       "confirm_participation (a staff member, own account); finalise; check (case admin)"})
    version = Int(load_default=None, allow_none=True)
    data = fields.Dict(keys=Text(NAME), load_default=dict, metadata={
        "description": "consent: consent (true), consent_note; any step: note; finalise: recording_file_id, "
                       "transcript_file_id (attachments of the interview; chosen when only one fits); check: note"})


class StaffSchema(Schema):
    account_id = fields.Integer()
    name = fields.String()
    confirmed_at = LocalDateTime(allow_none=True)


class StepSchema(Schema):
    step = fields.String()
    label = fields.String()
    done = fields.Boolean()
    due = fields.Boolean()
    by = fields.String()
    by_id = fields.Integer(allow_none=True)
    at = LocalDateTime(allow_none=True)
    note = fields.String()


class ProcedureSchema(Schema):
    id = fields.Integer()
    state = fields.String()
    state_label = fields.String()
    due_step = fields.String(allow_none=True)
    steps = fields.List(fields.Nested(StepSchema))
    staff = fields.List(fields.Nested(StaffSchema))
    version = fields.Integer()


class InterviewSchema(Schema):
    """A remote interview as its own unit's API shows it (the witness to those who read the unit's records)."""

    id = fields.Integer()
    number = fields.String()
    subject_type = fields.String()
    subject_id = fields.Integer()
    subject_title = fields.String()
    witness_name = fields.String(attribute="person_name")
    witness_position = fields.String(attribute="person_position")
    witness_work_unit = fields.String(attribute="person_work_unit")
    witness_id_number = fields.Method("_witness_id")
    staff1_id = fields.Integer()
    staff2_id = fields.Integer()
    staff1_confirmed_at = LocalDateTime(allow_none=True)
    staff2_confirmed_at = LocalDateTime(allow_none=True)
    planned_at = LocalDateTime()
    mode = fields.String()
    mode_label = fields.String()
    place = fields.String()
    state = fields.String()
    state_label = fields.String()
    consent_note = fields.String(allow_none=True)
    held_on = fields.Date(allow_none=True)
    recording_file_id = fields.Integer(allow_none=True)
    transcript_file_id = fields.Integer(allow_none=True)
    finalised_on = fields.Date(allow_none=True)
    checked_on = fields.Date(allow_none=True)
    check_note = fields.String(allow_none=True)
    version = fields.Integer()

    def _witness_id(self, interview) -> str:
        from flask_login import current_user

        return interview.witness_id_for(getattr(current_user, "id", None))


register_forms({"evidence.new": InterviewInSchema})
