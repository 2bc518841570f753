"""JSON shapes of petitions (marshmallow). The informant goes in on registration and never comes out."""
from marshmallow import EXCLUDE, Schema, fields, validate

from core.petitions.workflow import HANDLING_STEPS


class InformantInSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(load_default="")
    id_number = fields.String(load_default="")
    phone = fields.String(load_default="")
    address = fields.String(load_default="")


class PetitionInSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    channel = fields.String(load_default="", metadata={"description": "letter, visit, phone or web"})
    received_on = fields.String(load_default="", metadata={"description": "YYYY-MM-DD"})
    anonymous = fields.Boolean(load_default=False)
    informant = fields.Nested(InformantInSchema, load_default=dict)
    accused_name = fields.String(load_default="")
    accused_position = fields.String(load_default="")
    accused_work_unit = fields.String(load_default="")
    accused_level = fields.String(load_default="", metadata={"description": "village, township, county, city, province"})
    accused_party_member = fields.Boolean(load_default=None, allow_none=True)
    category = fields.String(load_default="")
    summary = fields.String(load_default="")
    content = fields.String(load_default="")
    again_of = fields.Integer(load_default=None, allow_none=True, metadata={
        "description": "再次信访: id of a closed or settled petition of the unit, linked as the same matter"})
    same_informant = fields.Boolean(load_default=True, metadata={
        "description": "with again_of: carry the earlier petition's informant over (then informant is ignored)"})


class PetitionTransitionSchema(Schema):
    transition = fields.String(required=True, validate=validate.OneOf(HANDLING_STEPS))
    version = fields.Integer(load_default=None, allow_none=True)
    data = fields.Dict(load_default=dict, metadata={
        "description": "conclude: outcome (founded/partly/unfounded/unverifiable), findings, concluded_on; "
                       "feedback: given_on, way, content, satisfied (yes/no/unknown)"})


class LinkDecisionSchema(Schema):
    link_id = fields.Integer(required=True)
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
    decided_at = fields.DateTime(allow_none=True)


class RouteInSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    to_unit_id = fields.Integer(load_default=None, allow_none=True)
    mode = fields.String(load_default="", metadata={"description": "transfer (转办) or assign (交办)"})
    due_on = fields.String(load_default="", metadata={"description": "YYYY-MM-DD; default: the configured "
                                                                     "working days from today"})
    instructions = fields.String(load_default="")
    version = fields.Integer(load_default=None, allow_none=True)


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
    outcome = fields.String(allow_none=True)
    findings = fields.String(allow_none=True)
    concluded_on = fields.Date(allow_none=True)
    feedback = fields.Dict(allow_none=True)
    version = fields.Integer()
