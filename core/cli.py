"""Kernel CLI commands: platform admins, jobs, audit verification."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from core import context
from core.extensions import db


def register_cli(app: Flask) -> None:
    jobs_cli = AppGroup("jobs", help="Background jobs (RQ).")
    audit_cli = AppGroup("audit", help="The audit trail.")

    @jobs_cli.command("worker")
    @click.argument("queues", nargs=-1)
    @click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
    def worker(queues, burst):
        """Run an RQ worker under the app factory (queues: default imports reports maintenance)."""
        from core.jobs import run_worker

        run_worker(list(queues), burst=burst)

    @jobs_cli.command("cron")
    def cron():
        """Run the periodic jobs when due: RQ's cron scheduler enqueues them for the workers; without
        Redis (the embedded default) this process runs them itself."""
        from core.jobs import run_cron_scheduler

        try:
            run_cron_scheduler()
        except KeyboardInterrupt:  # Ctrl-C in ops/dev-up.sh stops the app and this together
            pass

    @audit_cli.command("verify")
    @click.option("--checkpoints", "checkpoint_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
                  help="A checkpoint file to verify against as well (e.g. the one next to a backup); repeatable.")
    def verify(checkpoint_files):
        """Recompute every audit chain against its signed checkpoints, print every break, anchor the heads;
        exit 1 when a chain is broken. The outcome is recorded in the trail itself."""
        from core.audit.operations import verify_and_anchor

        with context.acting(context.ActingContext(platform_role="audit"), db.session):
            breaks = verify_and_anchor(tuple(checkpoint_files))
            db.session.commit()
        for brk in breaks:
            click.echo(f"BROKEN chain={brk.chain} seq={brk.seq} event_id={brk.event_id or '-'}: {brk.reason}")
        if breaks:
            click.echo(f"{len(breaks)} break(s)")
            raise SystemExit(1)
        click.echo("audit chains intact")

    @app.cli.command("bootstrap-admins")
    @click.option("--prefix", default="", help="Username prefix, e.g. 'zj' gives zj-sysadmin.")
    def bootstrap_admins(prefix):
        """Create the first three platform admins (三员); print their temporary passwords once."""
        from core.identity import operations as identity_ops
        from core.identity.models import Account, PlatformRole

        with context.acting(context.maintenance_context(), db.session):
            for role, name, display in [(PlatformRole.SYSTEM, "sysadmin", "系统管理员"),
                                        (PlatformRole.SECURITY, "secadmin", "安全管理员"),
                                        (PlatformRole.AUDIT, "auditadmin", "安全审计员")]:
                username = f"{prefix}-{name}" if prefix else name
                if db.session.scalar(db.select(Account.id).where(Account.platform_role == role)):
                    click.echo(f"{role.value}: already exists, skipped")
                    continue
                _, password = identity_ops.create_account(username, display, platform_role=role)
                click.echo(f"{role.value}: {username}  temporary password: {password}  "
                           "(change it and enrol a second factor at first login)")
            db.session.commit()

    app.cli.add_command(jobs_cli)
    app.cli.add_command(audit_cli)
