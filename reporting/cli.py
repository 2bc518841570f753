"""Figures by hand (system administration): what the periodic jobs do, here and now, for after a restore,
an import done behind the app's back, or a look at how the figures stand."""
from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from reporting import jobs


def register_reporting_cli(app: Flask) -> None:
    cli = AppGroup("figures", help="Roll-up figures: refresh, recount, rebuild the subtree totals.")

    def run(job) -> None:
        click.echo(json.dumps(job(), ensure_ascii=False, default=str))

    @cli.command("refresh")
    def refresh():
        """Recount the time-based figures of the units that changed and fold the journal into the subtree
        totals (the every-minute job)."""
        run(jobs.refresh_time_based_figures)

    @cli.command("reconcile")
    def reconcile():
        """Recount every unit's figures from its records and mend any drift, which the status page then
        shows (the nightly job)."""
        run(jobs.reconcile_figures)

    @cli.command("rebuild-totals")
    def rebuild_totals():
        """Make every subtree total again from the stats rows (after a restore, or if the status page
        reports totals drift)."""
        run(jobs.rebuild_subtree_totals)

    app.cli.add_command(cli)
