"""Every write of collaboration zones, one module per sub-domain, lowest first (a module imports only those
above it in this list):

- ``common``: reading dates and id lists from input;
- ``grants``: cross-handling and cross-inspection grants, and the shares they make;
- ``membership``: zones and their dated membership, the convener rota and its term reports (a member that
  leaves takes its grants with it);
- ``meetings``: joint meetings, their decisions and the decisions' tasks;
- ``inspection``: cross-inspection rounds, their pairings, findings and rectification orders.

Callers say ``from core.zones import operations as ops`` and ``ops.define_zone(...)``: the names are
re-exported here. The reads the writes use are in ``core.zones.queries`` (which never imports this package).
"""
from __future__ import annotations

from core.zones.operations.grants import (CROSS_HANDLE_STEPS, GRANTABLE_MODELS, about_own_officials,
                                          activate_due_grants, activate_grant, close_ended_grants, end_of_day,
                                          grant_cross_access, grant_errors, revoke_grant)
from core.zones.operations.inspection import close_round, file_findings, issue_rectification, open_round
from core.zones.operations.meetings import issue_decision_tasks, record_minutes, schedule_meeting
from core.zones.operations.membership import (TERM_MONTHS, advance_rota, advance_rotas, archive_zone, define_zone,
                                              move_member, override_convener, start_term, submit_term_report,
                                              term_end, update_zone)
# Reads that were once here, still answering as ops.X for the callers that say so; their home is queries.
from core.zones.queries import (GRANTEE_ROLES, accounts_of, current_members, current_term, default_attendees,
                                leaders_of, zone_of)

__all__ = [
    "CROSS_HANDLE_STEPS", "GRANTABLE_MODELS", "about_own_officials", "activate_due_grants", "activate_grant",
    "close_ended_grants", "end_of_day", "grant_cross_access", "grant_errors", "revoke_grant",
    "close_round", "file_findings", "issue_rectification", "open_round",
    "issue_decision_tasks", "record_minutes", "schedule_meeting",
    "TERM_MONTHS", "advance_rota", "advance_rotas", "archive_zone", "define_zone", "move_member",
    "override_convener", "start_term", "submit_term_report", "term_end", "update_zone",
    "GRANTEE_ROLES", "accounts_of", "current_members", "current_term", "default_attendees", "leaders_of", "zone_of",
]
