"""Test fixtures: the app on SQLite, or on PostgreSQL as its own non-superuser role.

``TEST_DATABASE_URL`` (a superuser URL, e.g. postgresql://postgres@127.0.0.1:5432/test)
switches to PostgreSQL: the schema is rebuilt, an owner role runs the migrations and the
app connects as ``qinglian_test_app`` — neither owner, superuser nor BYPASSRLS — so the
row-level-security policies really filter. ``TEST_REDIS_URL`` makes jobs go through RQ.
"""
from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core import context
from core.app import create_app
from core.extensions import db

ADMIN_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
OWNER_ROLE = "qinglian_test_owner"
APP_ROLE = "qinglian_test_app"
PASSWORD = "Correct-Horse-42"


def _pg_url(role: str) -> str:
    url = make_url(ADMIN_URL).set(drivername="postgresql+psycopg", username=role, password=None)
    return url.render_as_string(hide_password=False)


def _prepare_postgres() -> None:
    engine = create_engine(make_url(ADMIN_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for role, options in [(OWNER_ROLE, "LOGIN NOSUPERUSER NOBYPASSRLS"),
                              (APP_ROLE, "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")]:
            if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
                conn.execute(text(f"CREATE ROLE {role} {options}"))
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text(f"CREATE SCHEMA public AUTHORIZATION {OWNER_ROLE}"))
        conn.execute(text("GRANT USAGE ON SCHEMA public TO PUBLIC"))
    engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    os.environ["QINGLIAN_INSTANCE_PATH"] = str(instance)
    config = {
        "TESTING": True,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "RATELIMIT_ENABLED": False,
    }
    if ADMIN_URL:
        _prepare_postgres()
        config.update(SQLALCHEMY_DATABASE_URI=_pg_url(APP_ROLE), DATABASE_MIGRATION_URL=_pg_url(OWNER_ROLE),
                      DATABASE_APP_ROLE=APP_ROLE)
    else:
        path = instance / "test.db"
        config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", DATABASE_MIGRATION_URL=f"sqlite:///{path}")
    if REDIS_URL:
        config.update(REDIS_URL=REDIS_URL, RQ_QUEUE_PREFIX=f"qltest-{uuid.uuid4().hex[:8]}")
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app


@pytest.fixture(scope="session")
def owner_engine(app):
    """A DBA's connection behind the app's back (PostgreSQL superuser; SQLite: the file), for tampering and cleanup."""
    url = make_url(ADMIN_URL).set(drivername="postgresql+psycopg") if ADMIN_URL else app.config["DATABASE_MIGRATION_URL"]
    engine = create_engine(url)
    yield engine
    engine.dispose()


def tables() -> list[str]:
    """Every table of the models, dependents first (emptied in this order; the models are imported by create_app)."""
    return [table.name for table in reversed(db.metadata.sorted_tables)]


def empty_tables(owner_engine) -> None:
    """Every table emptied, as the owner (a stateful test also calls it between its examples)."""
    with owner_engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables())} RESTART IDENTITY CASCADE"))
        else:
            for table in tables():
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(autouse=True)
def clean_db(app, owner_engine):
    yield
    with app.app_context():
        db.session.remove()
    empty_tables(owner_engine)
    from core import parameters

    parameters.clear_cache()  # the emptied system_parameters: no value may outlive its test in this process
    from core import dictionaries

    dictionaries.clear_cache()  # likewise the emptied dictionary_entries
    if REDIS_URL:
        from redis import Redis

        r = Redis.from_url(REDIS_URL)
        for key in r.scan_iter(f"*{app.config['RQ_QUEUE_PREFIX']}*"):
            r.delete(key)


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        context.activate(context.maintenance_context())
        yield
        db.session.rollback()


@dataclass
class Tree:
    province: object
    city: object
    county: object
    town: object
    town2: object
    other_city: object
    other_county: object
    other_town: object


class Factory:
    """Builds units and accounts through the real operations, in the maintenance context."""

    def __init__(self, app):
        self.app = app
        self.totp: dict[str, str] = {}

    def _run(self, fn):
        with self.app.app_context():
            with context.acting(context.maintenance_context(), db.session):
                result = fn()
                db.session.commit()
                ids = result
            return ids

    def unit(self, name, level, code, parent_id=None):
        from tenants import operations as ops
        from tenants.models import Unit

        def make():
            parent = db.session.get(Unit, parent_id) if parent_id else None
            return ops.create_unit(name, level, code, parent).id

        return self._run(make)

    def tree(self) -> Tree:
        p = self.unit("测试省", "province", "980000")
        c = self.unit("甲市", "city", "980100", p)
        k = self.unit("甲县", "county", "980121", c)
        t = self.unit("东镇", "township", "980121001", k)
        t2 = self.unit("西镇", "township", "980121002", k)
        c2 = self.unit("乙市", "city", "980200", p)
        k2 = self.unit("乙县", "county", "980221", c2)
        t3 = self.unit("南镇", "township", "980221001", k2)
        return Tree(p, c, k, t, t2, c2, k2, t3)

    def account(self, username, memberships=(), platform_role=None, password=PASSWORD, totp=None):
        """memberships: [(unit_id, role), ...]. Platform admins get a second factor unless totp=False."""
        from core.identity import operations as identity_ops
        from tenants import operations as ops
        from tenants.models import Unit

        def make():
            account, _ = identity_ops.create_account(username, f"{username} 姓名", password,
                                                     platform_role=platform_role)
            for unit_id, role in memberships:
                ops.add_membership(account, db.session.get(Unit, unit_id), role)
            if totp if totp is not None else platform_role is not None:
                secret = pyotp.random_base32()
                identity_ops.enrol_totp(account, secret, pyotp.TOTP(secret).now())
                account.totp_last_counter = 0  # so the test's first login may use the current code
                self.totp[username] = secret
            return account.id

        return self._run(make)


@pytest.fixture
def factory(app):
    return Factory(app)


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A test client that behaves like a person at a browser: fetches forms, sends their CSRF token."""

    def __init__(self, app, factory):
        self.client = app.test_client()
        self.factory = factory

    def csrf(self, path="/login"):
        page = self.client.get(path, follow_redirects=True).get_data(as_text=True)
        match = CSRF_RE.search(page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, data=None, form_page=None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf(form_page or path))
        return self.client.post(path, data=data, **kw)

    def login(self, username, password=PASSWORD, *, second_factor=True):
        response = self.post("/login", {"username": username, "password": password})
        if second_factor and response.status_code == 302 and response.location.endswith("/login/second-factor"):
            secret = self.factory.totp[username]
            response = self.post("/login/second-factor", {"code": pyotp.TOTP(secret).now()})
        return response

    def logout(self):
        return self.post("/logout", form_page="/")

    def ledger(self, url):
        """A list's ledger.xlsx as a person gets it: the link leads to the export's confirmation, whose
        button answers a list this short with the file at once."""
        confirm = self.client.get(url)
        assert confirm.status_code == 302 and "/exports/new?" in confirm.location, confirm.status_code
        target = urlsplit(confirm.location)
        return self.post(target.path, {key: values[0] for key, values in parse_qs(target.query).items()},
                         form_page=confirm.location)


@pytest.fixture
def browser(app, factory):
    return Browser(app, factory)


def burst_worker():
    """An in-process RQ worker for one burst. It skips the command channel: RQ's pubsub thread waits up to 60 s
    in redis-py before it stops, and a test sends a worker no commands."""
    from rq import SimpleWorker

    from core.jobs import QUEUES, get_queue

    class BurstWorker(SimpleWorker):
        def subscribe(self):
            pass

        def unsubscribe(self):
            pass

    return BurstWorker([get_queue(q) for q in QUEUES], connection=get_queue("default").connection)


def run_queued_jobs(app) -> None:
    """With Redis, jobs wait in RQ: work them off here, as a worker would (inline mode ran them already)."""
    if REDIS_URL:
        with app.app_context():
            burst_worker().work(burst=True)


def bearer(app, username, password=PASSWORD, code=None):
    response = app.test_client().post("/api/v1/auth/token", json={"username": username, "password": password,
                                                                   **({"code": code} if code else {})})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}
