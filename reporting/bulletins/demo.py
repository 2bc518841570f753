"""Demo bulletins: last week's and last month's for every unit above township of the demo province, built
through the operations after the casework seeders (so the zeroing campaign's figures are in them)."""
from __future__ import annotations

from reporting.bulletins import operations as ops


def seed() -> dict:
    built = ops.build_all()
    return {f"{kind}_bulletins": f"{result['built']} ({result['period']})" for kind, result in built.items()}
