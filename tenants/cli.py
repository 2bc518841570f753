"""Tenancy CLI: provisioning units, the demo province."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from core.areas import installed
from core import context
from core.errors import InvalidInput
from core.extensions import db
from tenants import operations as tenancy_ops
from tenants import provisioning
from tenants.models import Unit


def _unit(code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise click.ClickException(f"no unit with code {code}")
    return unit


def _run(action):
    with context.acting(context.maintenance_context(), db.session):
        try:
            result = action()
            db.session.commit()
            return result
        except InvalidInput as exc:
            db.session.rollback()
            raise click.ClickException("; ".join(exc.messages))


def register_tenancy_cli(app: Flask) -> None:
    units_cli = AppGroup("units", help="Provision units (system administration).")

    @units_cli.command("create")
    @click.argument("name")
    @click.argument("level", type=click.Choice(["province", "city", "county", "township", "stationed"]))
    @click.argument("code")
    @click.option("--parent", "parent_code", help="Division code of the parent unit.")
    def create(name, level, code, parent_code):
        unit = _run(lambda: tenancy_ops.create_unit(name, level, code, _unit(parent_code) if parent_code else None))
        click.echo(f"created {unit.code} {unit.name} (id {unit.id})")

    @units_cli.command("rename")
    @click.argument("code")
    @click.argument("name")
    def rename(code, name):
        _run(lambda: tenancy_ops.rename_unit(_unit(code), name))
        click.echo(f"renamed {code} to {name}")

    @units_cli.command("move")
    @click.argument("code")
    @click.argument("parent_code")
    def move(code, parent_code):
        moved = _run(lambda: tenancy_ops.move_unit(_unit(code), _unit(parent_code)))
        click.echo(f"moved {moved} unit(s) under {parent_code}")

    @units_cli.command("archive")
    @click.argument("code")
    def archive(code):
        count = _run(lambda: tenancy_ops.archive_unit(_unit(code)))
        click.echo(f"archived {count} unit(s)")

    @units_cli.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check every row, change nothing.")
    def import_(path, dry_run):
        """Import units from an .xlsx or .csv sheet (all or nothing)."""
        def action():
            check = provisioning.check_sheet(provisioning.read_sheet(path.name, path.read_bytes()))
            for row in check.rows:
                if not row.ok:
                    click.echo(f"row {row.row} [{row.code}] {row.name}: {'; '.join(row.errors)}")
            if dry_run or not check.ok:
                return check, 0
            return check, len(tenancy_ops.import_units(check.new_units()))

        check, created = _run(action)
        click.echo(f"{len(check.rows)} rows, {check.error_count} with errors, {created} units created")
        if check.error_count:
            raise SystemExit(1)

    @app.cli.command("demo")
    def demo():
        """Create the fictional demo province with an account for every role."""
        from tenants.demo import ADMINS, DEMO_PASSWORD, MEMBERS, build_demo

        try:
            result = _run(build_demo)
            click.echo(f"demo province created: {result['units']} units")
            # Casework areas add their demo records (the app factory lists them).
            for seed in installed().demo_seeders:
                click.echo(f"demo casework: {_run(seed)}")
        except RuntimeError as exc:
            result = {"totp": {}}
            click.echo(f"demo: {exc}; keeping it")
        click.echo(f"demo accounts (password for all: {DEMO_PASSWORD}):")
        for username, display, code, roles in MEMBERS:
            click.echo(f"  {username:20s} {','.join(roles):12s} @{code}  {display}")
        for username, display, _role in ADMINS:
            secret = result["totp"].get(username)
            click.echo(f"  {username:20s} {display}; second factor: "
                       + (f"secret {secret} for an authenticator app, or " if secret else "")
                       + f"the current code from: .venv/bin/flask --app wsgi totp-code {username}")

    @app.cli.command("totp-code")
    @click.argument("username")
    def totp_code(username):
        """Print the current one-time code of a demo account (refused in production)."""
        import pyotp

        from core.identity.models import Account
        from core.identity.operations import totp_secret

        if current_app.config["QINGLIAN_ENV"] == "production":
            raise click.ClickException("not available in production")
        account = db.session.scalar(select(Account).where(Account.username == username))
        if account is None or not account.has_totp:
            raise click.ClickException("no such account with a second factor")
        click.echo(pyotp.TOTP(totp_secret(account)).now())

    app.cli.add_command(units_cli)
