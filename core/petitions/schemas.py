"""JSON shapes of petitions (marshmallow). The informant goes in on registration and never comes out."""
from marshmallow import fields, validate

from core.calendar import estimated_flag
from core.petitions.operations import without_accused
from core.petitions.workflow import HANDLING_STEPS
from core.schemas import CONTENT, NAME, Day, Id, Int, LooseSchema, Schema, Text, excerpt, register_forms
from core.timefmt import LocalDateTime


class InformantInSchema(LooseSchema):
    name = Text(NAME, load_default="")
    id_number = Text(18, load_default="")
    phone = Text(30, load_default="")
    address = Text(200, load_default="")


class PetitionInSchema(LooseSchema):
    channel = Text(16, load_default="", metadata={"description": "letter, visit, phone or web"})
    received_on = Day(lenient=True, load_default=None, allow_none=True, metadata={"description": "YYYY-MM-DD, 2000-01-01 … today"})
    anonymous = fields.Boolean(load_default=False)
    informant = fields.Nested(InformantInSchema, load_default=dict)
    accused_name = Text(NAME, load_default="")
    accused_position = Text(100, load_default="")
    accused_work_unit = Text(100, load_default="")
    accused_level = Text(16, load_default="", metadata={"description": "village, township, county, city, province"})
    accused_party_member = fields.Boolean(load_default=None, allow_none=True)
    accused_work_areas = fields.List(Text(16), load_default=list, metadata={
        "description": "the accused's work the clearing of names puts first: frontline, reform, rural, land"})
    category = Text(NAME, load_default="")
    summary = Text(300, load_default="")
    content = Text(CONTENT, load_default="")
    again_of = Id(load_default=None, allow_none=True, metadata={
        "description": "再次信访: id of a closed or settled petition of the unit, linked as the same matter"})
    same_informant = fields.Boolean(load_default=True, metadata={
        "description": "with again_of: carry the earlier petition's informant over (then informant is ignored)"})


class PetitionTransitionSchema(Schema):
    transition = fields.String(required=True, validate=validate.OneOf(HANDLING_STEPS))
    version = Int(load_default=None, allow_none=True)
    data = fields.Dict(keys=Text(NAME), load_default=dict, metadata={
        "description": "conclude: outcome (founded/partly/unfounded/unverifiable), findings, concluded_on; "
                       "feedback: given_on, way, content, satisfied (yes/no/unknown)"})


class LinkDecisionSchema(Schema):
    link_id = Id(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(("confirmed", "rejected")))


class LinkSchema(Schema):
    """One side of a repeat link: the other unit and its receipt facts, never the other record or informant."""

    id = fields.Integer()
    other_unit_name = fields.String()
    other_unit_level = fields.String()
    other_received_on = fields.Date()
    other_channel = fields.String()
    same_accused = fields.Boolean()
    same_informant = fields.Boolean(metadata={"description": "matched by keyed hash; the informant is never shown"})
    similarity = fields.Integer()
    reasons = fields.List(fields.String())
    state = fields.String(metadata={"description": "proposed, confirmed or rejected"})
    decided_at = LocalDateTime(allow_none=True)


class RouteInSchema(LooseSchema):
    to_unit_id = Id(load_default=None, allow_none=True)
    mode = Text(16, load_default="", metadata={"description": "transfer (转办) or assign (交办)"})
    due_on = Day(lenient=True, load_default=None, allow_none=True, metadata={"description": "YYYY-MM-DD; default: the configured "
                                                                             "working days from today"})
    instructions = Text(2000, load_default="")
    version = Int(load_default=None, allow_none=True)


class RoutingSchema(Schema):
    """Where a routed petition went (the receiver's record is readable through the tracking share)."""

    mode = fields.String()
    to_unit_id = fields.Integer()
    to_unit_name = fields.String()
    petition_id = fields.Integer()
    number = fields.String()
    item_id = fields.Integer()
    on = fields.String()
    due_on = fields.String()
    due_on_estimated = estimated_flag()
    instructions = fields.String()


class PetitionSchema(Schema):
    """A petition as its own unit's API shows it: never the informant, not even masked."""

    id = fields.Integer()
    number = fields.String()
    channel = fields.String()
    received_on = fields.Date()
    anonymous = fields.Boolean()
    accused_name = fields.String()
    accused_position = fields.String()
    accused_work_unit = fields.String()
    accused_level = fields.String()
    accused_party_member = fields.Boolean(allow_none=True)
    accused_work_areas = fields.List(fields.String())
    category = fields.String()
    flags = fields.List(fields.String(), metadata={"description": "repeat, skip_level, multi_year, multi_level, "
                                                                  "multi_source (from confirmed links)"})
    flag_labels = fields.List(fields.String())
    origin_petition_id = fields.Integer(allow_none=True)
    again_of_id = fields.Integer(allow_none=True)
    routing = fields.Nested(RoutingSchema, allow_none=True)
    summary = fields.String()
    content = fields.String()
    state = fields.String()
    state_label = fields.String()
    due_on = fields.Date(allow_none=True)
    due_on_estimated = estimated_flag()
    outcome = fields.String(allow_none=True)
    findings = fields.String(allow_none=True)
    concluded_on = fields.Date(allow_none=True)
    feedback = fields.Dict(allow_none=True)
    version = fields.Integer()


class PetitionListItemSchema(PetitionSchema):
    """A petition in a list: the start of its text, never the whole letter (a list answer stays small)."""

    class Meta:
        exclude = ("content", "findings", "feedback")

    # The letter as received names the accused; a list shows its start without the name (as the summary).
    content_excerpt = fields.Function(lambda p: excerpt(without_accused(p.content, p.accused_name)),
                                      metadata={"type": "string"})


register_forms({"petitions.new": PetitionInSchema, "petitions.route": RouteInSchema})
