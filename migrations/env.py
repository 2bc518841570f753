"""Alembic environment: migrations run as the schema owner (DATABASE_MIGRATION_URL).

On PostgreSQL the app itself connects as a separate role that owns nothing; after every
upgrade the app role's privileges are (re)granted, so new tables are never left out.
"""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import create_engine, pool, text

from tenants.rls import unmapped_table

config = context.config
fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
migration_url = current_app.config["DATABASE_MIGRATION_URL"]


def run_migrations_offline():
    context.configure(url=migration_url, target_metadata=target_db.metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def grant_app_role(connection) -> None:
    from tenants.rls import grant_app_role as grants

    role = current_app.config["DATABASE_APP_ROLE"]
    exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
    if not exists:
        logger.warning("app role %s does not exist: create it (see ops/postgres/init-roles.sql)", role)
        return
    for statement in grants(role):
        connection.execute(text(statement))


def install_context_key(connection) -> None:
    """The key that signs the acting context's settings follows the app's SECRET_KEY (tenants/rls.py)."""
    from core.context import context_key
    from tenants.rls import install_context_key as statement

    if connection.execute(text("SELECT to_regclass('public.rls_context_key')")).scalar():
        sql, params = statement(context_key(current_app.config))
        connection.execute(text(sql), params)


def run_migrations_online():
    def process_revision_directives(context_, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    engine = create_engine(migration_url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_db.metadata,
            process_revision_directives=process_revision_directives,
            render_as_batch=True,
            compare_type=True,
            include_object=unmapped_table,
        )
        with context.begin_transaction():
            context.run_migrations()
            if connection.dialect.name == "postgresql":
                install_context_key(connection)
                grant_app_role(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
