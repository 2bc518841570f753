"""A fictional demo province: 3 cities, 10 counties, 60 townships, an account for every role."""
from __future__ import annotations

import pyotp
from sqlalchemy import select

from core import context
from core.extensions import db
from core.identity import operations as identity_ops
from core.identity.models import Account, PlatformRole
from tenants import operations as tenancy_ops
from tenants.models import Unit, UnitLevel

DEMO_PASSWORD = "Qinglian#2026"

CITIES = [
    ("990100", "青山市", [("990102", "青山市东城区"), ("990103", "青山市西湖区"), ("990121", "松林县"), ("990122", "石门县")]),
    ("990200", "清河市", [("990202", "清河市河东区"), ("990221", "柳溪县"), ("990222", "白沙县")]),
    ("990300", "明湖市", [("990302", "明湖市湖滨区"), ("990321", "云岭县"), ("990322", "桃源县")]),
]
TOWNSHIP_NAMES = ["城关镇", "新桥镇", "石桥乡", "河口镇", "龙潭镇", "东坪街道"]

# (username, display name, unit code, roles) — unit codes refer to the tree above.
MEMBERS = [
    ("prov-leader", "省纪委领导", "990000", ["leader"]),
    ("prov-analyst", "省纪委统计员", "990000", ["analyst"]),
    ("prov-officer", "省纪委承办人", "990000", ["officer"]),
    ("city-leader", "青山市纪委领导", "990100", ["leader"]),
    ("county-leader", "松林县纪委领导", "990121", ["leader"]),
    ("county-officer", "松林县承办人", "990121", ["officer"]),
    ("county-reviewer", "松林县审理员", "990121", ["reviewer"]),
    ("county-caseadmin", "松林县案管员", "990121", ["case_admin"]),
    ("county-unitadmin", "松林县单位管理员", "990121", ["unit_admin"]),
    ("town-leader", "城关镇纪委书记", "990121001", ["leader"]),
    ("town-officer", "城关镇承办人", "990121001", ["officer"]),
    ("town-intake", "城关镇信访员", "990121001", ["intake"]),
    ("town-unitadmin", "城关镇单位管理员", "990121001", ["unit_admin"]),
    ("other-town-officer", "新桥镇承办人", "990121002", ["officer"]),
    ("zhang-wei", "张伟（县镇两处任职）", "990121001", ["officer"]),
]
EXTRA_MEMBERSHIPS = [("zhang-wei", "990121", "officer")]
ADMINS = [
    ("sysadmin", "系统管理员", PlatformRole.SYSTEM),
    ("secadmin", "安全管理员", PlatformRole.SECURITY),
    ("auditadmin", "安全审计员", PlatformRole.AUDIT),
]


def build_demo() -> dict:
    """Create the demo province (idempotent: refuses if it exists). Runs in the maintenance context."""
    if db.session.scalar(select(Unit.id).where(Unit.code == "990000")):
        raise RuntimeError("demo province 990000 already exists")
    province = tenancy_ops.create_unit("示例省", UnitLevel.PROVINCE, "990000", None)
    units = {"990000": province}
    for city_code, city_name, counties in CITIES:
        city = tenancy_ops.create_unit(city_name, UnitLevel.CITY, city_code, province)
        units[city_code] = city
        for county_code, county_name in counties:
            county = tenancy_ops.create_unit(county_name, UnitLevel.COUNTY, county_code, city)
            units[county_code] = county
            for i, town in enumerate(TOWNSHIP_NAMES, start=1):
                code = f"{county_code}{i:03d}"
                units[code] = tenancy_ops.create_unit(town, UnitLevel.TOWNSHIP, code, county)
        tenancy_ops.create_unit(f"{city_name}纪委监委派驻第一纪检监察组", UnitLevel.STATIONED, f"{city_code}P01", city)

    accounts: dict[str, Account] = {}
    for username, display, code, roles in MEMBERS:
        account, _ = identity_ops.create_account(username, display, DEMO_PASSWORD)
        accounts[username] = account
        for role in roles:
            tenancy_ops.add_membership(account, units[code], role)
    for username, code, role in EXTRA_MEMBERSHIPS:
        tenancy_ops.add_membership(accounts[username], units[code], role)

    totp_secrets = {}
    for username, display, role in ADMINS:
        account, _ = identity_ops.create_account(username, display, DEMO_PASSWORD, platform_role=role)
        secret = pyotp.random_base32()
        identity_ops.enrol_totp(account, secret, pyotp.TOTP(secret).now())
        totp_secrets[username] = secret
    db.session.flush()
    return {"units": len(units) + len(CITIES), "members": [m[0] for m in MEMBERS], "totp": totp_secrets}


def unit_by_code(code: str) -> Unit:
    """A demo unit by its division code (the areas' demo seeders find their units so)."""
    return db.session.scalar(select(Unit).where(Unit.code == code))


def acting_as(username: str):
    """Act in the maintenance context as the demo account ``username`` (the seeders write as real people)."""
    account = db.session.scalar(select(Account).where(Account.username == username))
    return context.acting(context.maintenance_context(account_id=account.id), db.session)
