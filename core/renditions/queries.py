"""Reading renditions: the one loader of a rendition for its pages."""
from __future__ import annotations

from core.renditions.models import DocumentRendition
from tenants.access import Action, can, deny
from tenants.models import Unit
from tenants.scoping import load_scoped


def load(rendition_id, unit: Unit, account) -> DocumentRendition:
    """A rendition of ``unit``'s, for an account that may still read the document it is of (the Action its area
    named when it was asked for); else 404. A rendition is the unit's, not one account's: whoever may read the
    document may wait for its PDF and download it."""
    rendition = load_scoped(DocumentRendition, rendition_id, unit=unit, account=account,
                            action=Action.WORKSPACE_ENTER, own=True)
    if not can(account, Action(rendition.action), unit, target=unit):
        deny(rendition.action, unit=unit, object_type="document_renditions", object_id=rendition.id)
    return rendition
