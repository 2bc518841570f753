"""The benchmarks' PostgreSQL set-up: a database of their own, rebuilt, and the app's two roles (an owner
that migrates, a non-owner app role without BYPASSRLS), as the PostgreSQL pass of the tests has them."""
from __future__ import annotations

import sys

OWNER_ROLE = "qinglian_bench_owner"
APP_ROLE = "qinglian_bench_app"


def prepare_postgres(admin_url: str) -> None:
    """Create the database and roles if missing and rebuild the public schema (never the test suite's)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(admin_url).set(drivername="postgresql+psycopg")
    if url.database in ("test", "postgres", "template0", "template1"):
        sys.exit(f"BENCH_DATABASE_URL names the database {url.database!r}: use a database of its own, e.g. /bench")
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": url.database}).scalar():
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        for role, options in [(OWNER_ROLE, "LOGIN NOSUPERUSER NOBYPASSRLS"),
                              (APP_ROLE, "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")]:
            if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
                conn.execute(text(f"CREATE ROLE {role} {options}"))
    server.dispose()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text(f"CREATE SCHEMA public AUTHORIZATION {OWNER_ROLE}"))
        conn.execute(text("GRANT USAGE ON SCHEMA public TO PUBLIC"))
    engine.dispose()


def role_url(admin_url: str, role: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(drivername="postgresql+psycopg", username=role, password=None) \
        .render_as_string(hide_password=False)
