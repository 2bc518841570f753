"""Federation between deployments: a deployment (a province) pushes its root unit's roll-ups to an
upstream deployment (the nation), which shows it as one unit of its own tree.

Numbers only, never a record: the push carries the root's subtree sums of the stats rows, one per
(metric, period) key, signed with the downstream's Ed25519 key. The upstream registered that key
(``FederationPeer``) with the unit standing for the downstream, and on every accepted push replaces
that unit's stats rows with the figures, so every roll-up over a path range includes it.
"""
