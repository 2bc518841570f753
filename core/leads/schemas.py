"""JSON shapes of leads (marshmallow). A lead has no informant: none goes in, none comes out."""
from marshmallow import fields, validate

from core.calendar import estimated_flag
from core.leads.workflow import WAYS
from core.schemas import NAME, Day, Id, Int, LooseSchema, Schema, Text, register_forms
from core.timefmt import LocalDateTime


class PersonInSchema(LooseSchema):
    name = Text(NAME, load_default="")
    position = Text(100, load_default="")
    work_unit = Text(100, load_default="")
    level = Text(16, load_default="", metadata={"description": "village, staff, township, county, city"})
    party_member = fields.Boolean(load_default=None, allow_none=True)


class LeadInSchema(LooseSchema):
    source = Text(16, load_default="", metadata={
        "description": "assigned (上级交办), inspection_tour (巡察移交), audit (审计移送), other_body (其他机关移送), "
                       "supervision (监督检查发现), other; a petition becomes a lead by conversion only"})
    source_note = Text(200, load_default="")
    received_on = Day(until="today", lenient=True, load_default=None, allow_none=True,
                      metadata={"description": "YYYY-MM-DD, 2000-01-01 … today"})
    summary = Text(300, load_default="")
    persons = fields.List(fields.Nested(PersonInSchema), load_default=list, validate=validate.Length(max=20))


class LeadTransitionSchema(Schema):
    transition = fields.String(required=True, validate=validate.OneOf(WAYS))
    version = Int(load_default=None, allow_none=True)
    data = fields.Dict(keys=Text(NAME), load_default=dict, metadata={
        "description": "talk: kind (talk/letter), content, reply, assessment (accepted/reminded/verify), form; "
                       "verify: report, recommendation (file/close), form; shelve: reason, review_on; close: reason, "
                       "unfounded (反映失实: the persons enter the clearing pool), form; each: disposed_on (default "
                       "today). form: first … fourth (四种形态)"})


class PersonSchema(Schema):
    name = fields.String(attribute="person_name")
    position = fields.String(attribute="person_position")
    work_unit = fields.String(attribute="person_work_unit")
    level = fields.String()
    party_member = fields.Boolean(allow_none=True)


class LeadSchema(Schema):
    """A lead as its own unit's API shows it."""

    id = fields.Integer()
    number = fields.String()
    source = fields.String()
    source_label = fields.String()
    source_note = fields.String()
    petition_id = fields.Integer(allow_none=True)
    summary = fields.String()
    received_on = fields.Date()
    persons = fields.List(fields.Nested(PersonSchema))
    state = fields.String()
    state_label = fields.String()
    due_on = fields.Date(allow_none=True)
    due_on_estimated = estimated_flag()
    way = fields.String(allow_none=True)
    form = fields.String(allow_none=True)
    disposed_on = fields.Date(allow_none=True)
    disposal = fields.Dict(allow_none=True)
    handler_id = fields.Integer(allow_none=True)
    track = fields.String()
    origin_id = fields.Integer(allow_none=True)
    county_lead_id = fields.Integer(allow_none=True)
    version = fields.Integer()


register_forms({"leads.new": LeadInSchema})


# ---------------------------------------------------------------- 月报备 and the funnel


class ReportPersonSchema(Schema):
    name = fields.String()
    position = fields.String()
    level = fields.String()


class ReportLeadSchema(Schema):
    """One lead as the report lists it (frozen at submission): no informant, none exists."""

    id = fields.Integer()
    number = fields.String()
    received_on = fields.String()
    source = fields.String()
    summary = fields.String()
    state = fields.String()
    way = fields.String()
    form = fields.String()
    disposed_on = fields.String()
    received_in_month = fields.Boolean()
    disposed_in_month = fields.Boolean()
    persons = fields.List(fields.Nested(ReportPersonSchema))


class LeadReportSchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    county_id = fields.Integer()
    period = fields.String()
    state = fields.String()
    state_label = fields.String()
    due_on = fields.Date()
    first_submitted_on = fields.Date()
    submitted_late = fields.Boolean()
    submitted_at = LocalDateTime()
    received_at = LocalDateTime(allow_none=True)
    return_reason = fields.String(allow_none=True)
    counts = fields.Dict(metadata={"description": "received, disposed, by_source, by_way, by_form"})
    leads = fields.Method("_leads", metadata={"description": "the listed leads (ReportLead)"})
    version = fields.Integer()

    def _leads(self, report):
        from core.leads.operations import snapshot_of

        return ReportLeadSchema(many=True).dump(snapshot_of(report))


class LeadReportInSchema(LooseSchema):
    period = Text(7, load_default="", metadata={"description": "YYYY-MM, a month that is over"})
    version = Int(load_default=None, allow_none=True)


class LeadReportTransitionSchema(Schema):
    transition = fields.String(required=True, validate=validate.OneOf(("submit", "receive", "send_back")),
                               metadata={"description": "submit (the township's leader resubmits a report sent "
                                                        "back), receive (签收), send_back (退回, with reason): the "
                                                        "county's case admin"})
    reason = Text(1000, load_default="")
    version = Int(load_default=None, allow_none=True)


class TrackDecisionInSchema(LooseSchema):
    track = Text(16, load_default="", metadata={"description": "township (镇案镇办), county_led (县领办), joint (县镇合办)"})
    reason = Text(1000, load_default="")
    staff_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=20),
                            metadata={"description": "joint: county staff"})


class TrackDecisionSchema(Schema):
    id = fields.Integer()
    lead_id = fields.Integer()
    lead_number = fields.String()
    from_track = fields.String()
    track = fields.String()
    track_label = fields.String()
    reason = fields.String()
    staff_ids = fields.List(fields.Integer())
    status = fields.String()
    status_label = fields.String()
    decided_at = LocalDateTime()
    approved_at = LocalDateTime(allow_none=True)
    approval_note = fields.String(allow_none=True)
    effective_at = LocalDateTime(allow_none=True)


class TrackApprovalSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    note = Text(1000, load_default="")
