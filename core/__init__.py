"""Kernel: the shared machinery every layer builds on (config, identity, the audit trail, the acting context,
jobs, sealing, input bounds, times). The app factory is ``core.app.create_app``."""
