"""Bulletins (通报): weekly and monthly snapshots of a unit's figures, frozen at the cut-off.

For every active unit above township, the cron scheduler builds last week's bulletin on Mondays
and last month's on the 1st (a leader may build one of a past period on demand). A bulletin stores
what it shows — the unit's figures and the previous period's, its children ranked, coverage, the late
returns of its own directives and its own overdue supervision items by name, the children's overdue
counts — and is never recomputed: later transitions change the roll-ups, not the bulletin.

It is published to the unit it reports on and to that unit's parent (``parent_unit_id`` is the
row's counterparty, for the auto-filter and RLS alike). It ranks the unit's children, so its readers
are the leaders and analysts of those two units (who read roll-ups below it); nobody else, not the
grandparent either, which reads its own bulletin. Numbers and the unit's own downward items only:
never a lower unit's record, never an informant.
"""
