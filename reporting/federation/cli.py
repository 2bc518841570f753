"""Federation CLI (system administration): key pairs, peers, pushing now."""
from __future__ import annotations

import os
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import or_, select

from core import context
from core.errors import InvalidInput
from core.extensions import db
from reporting.federation import operations as ops
from reporting.federation import signing
from reporting.federation.models import FederationPeer
from tenants.models import Unit


def _run(action):
    with context.acting(context.maintenance_context(), db.session):
        try:
            result = action()
            db.session.commit()
            return result
        except InvalidInput as exc:
            db.session.rollback()
            raise click.ClickException("; ".join(exc.messages))


def _unit(code_or_id: str) -> Unit:
    clauses = [Unit.code == code_or_id] + ([Unit.id == int(code_or_id)] if code_or_id.isdigit() else [])
    unit = db.session.scalar(select(Unit).where(or_(*clauses)).order_by(Unit.code != code_or_id).limit(1))
    if unit is None:
        raise click.ClickException(f"no unit with code or id {code_or_id}")
    return unit


def _peer(name: str) -> FederationPeer:
    peer = db.session.scalar(select(FederationPeer).where(FederationPeer.name == name))
    if peer is None:
        raise click.ClickException(f"no peer named {name}")
    return peer


def register_federation_cli(app: Flask) -> None:
    cli = AppGroup("federation", help="Federation with an upstream deployment and downstream peers.")

    @cli.command("keygen")
    @click.option("--private", "private_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="Where to write the private key (mode 0600); point QINGLIAN_FEDERATION_KEY at it.")
    @click.option("--public", "public_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="Also write the public key here.")
    def keygen(private_path, public_path):
        """Make an Ed25519 key pair; print the public key for the upstream's administrator."""
        if private_path.exists():
            raise click.ClickException(f"{private_path} exists; not overwriting a key")
        private, public = signing.generate()
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(private)
        if public_path:
            public_path.write_text(public)
        click.echo(f"private key written to {private_path}")
        click.echo(f"public key (fingerprint {signing.fingerprint(public)}), to register at the upstream:")
        click.echo(public, nl=False)

    @cli.command("push")
    def push():
        """Push this deployment's root roll-ups upstream now."""
        try:
            log = _run(ops.push)
        except ops.NotConfigured as exc:
            raise click.ClickException(str(exc))
        click.echo(f"sequence {log.sequence}: {log.figures} figures, {log.body_bytes} bytes -> {log.outcome}"
                   + (f" (HTTP {log.http_status})" if log.http_status else "") + (f": {log.message}" if log.message else ""))
        if log.outcome != "accepted":
            raise SystemExit(1)

    @cli.command("register-peer")
    @click.option("--name", required=True, help="The downstream's QINGLIAN_FEDERATION_ID.")
    @click.option("--public-key", "key_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--unit-name", required=True, help="Name of the unit standing for the downstream, e.g. 浙江省.")
    @click.option("--unit-code", required=True, help="Division code of the downstream's root unit, e.g. 330000.")
    @click.option("--level", default="province", show_default=True,
                  type=click.Choice(["province", "city", "county", "township"]))
    @click.option("--parent-unit", "parent", help="Code or id of the unit to place it under (none: a root).")
    def register_peer(name, key_path, unit_name, unit_code, level, parent):
        """Register a downstream deployment and create its unit here."""
        peer = _run(lambda: ops.register_peer(name, key_path.read_text(), unit_name=unit_name, unit_code=unit_code,
                                              level=level, parent=_unit(parent) if parent else None))
        click.echo(f"registered {peer.name} as unit {peer.unit.code} {peer.unit.name} (id {peer.federated_unit_id}); "
                   f"key fingerprint {peer.fingerprint}")

    @cli.command("set-key")
    @click.argument("name")
    @click.argument("key_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def set_key(name, key_path):
        """Replace a peer's public key (key rotation)."""
        _run(lambda: ops.set_peer_key(_peer(name), key_path.read_text()))
        click.echo(f"{name}: key replaced")

    @cli.command("deactivate")
    @click.argument("name")
    def deactivate(name):
        """Refuse a peer's pushes from now on (its unit keeps its last figures)."""
        _run(lambda: ops.set_peer_active(_peer(name), False))
        click.echo(f"{name}: deactivated")

    @cli.command("activate")
    @click.argument("name")
    def activate(name):
        _run(lambda: ops.set_peer_active(_peer(name), True))
        click.echo(f"{name}: active")

    @cli.command("peers")
    def peers():
        """The downstream deployments registered here, with their last push."""
        for peer in db.session.scalars(select(FederationPeer).order_by(FederationPeer.name)):
            click.echo(f"{peer.name:20s} unit {peer.unit.code} {peer.unit.name}  "
                       f"{'active' if peer.active else 'inactive'}  last sequence {peer.last_sequence or '-'} "
                       f"at {peer.last_accepted_at or '-'}  refusals {peer.refusals}")

    app.cli.add_command(cli)
