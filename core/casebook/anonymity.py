"""The anonymisation check of a guidance case's text (典型案例须隐去人名): a name of a person in the writing unit's
records refuses the text; an ID-number or mobile-phone pattern warns.

Names are compared inside the unit, never exported: the sealed names of accused persons (petitions), of leads' and
cases' persons and of clearing cases carry a keyed digest (``core.crypto.name_key``, HMAC-SM3 under the matching
key), so the text's candidate words are digested the same way and looked up among the unit's digests; the clearing
pool's candidates have none and are compared on their decrypted names within the unit; the unit's staff by their
accounts' display names. Informants are not compared: a refusal quoting the word would tell an officer who informed
(their identity is revealed only with a reason, to intake and leaders)."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from core import context
from core.casebook.workflow import FIELD_LABELS
from core.cases.models import CasePerson
from core.clearing.models import ClearingCandidate, ClearingCase
from core.crypto import name_key, normalized
from core.extensions import db
from core.identity.models import Account
from core.leads.models import LeadPerson
from core.petitions.models import Petition
from tenants.models import Membership, Unit

ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
# The runs of a text a name may sit in (CJK, Latin letters, the middle dot of minority names); words of 2–6 of them.
RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaffa-z·]+")
SHORTEST, LONGEST = 2, 6
# A display name's annotation (张伟（县镇两处任职）): the name is what comes before it.
ANNOTATION = re.compile(r"[（(\[【].*$")


def _keyed(unit: Unit) -> set[str]:
    """The name digests of the unit's own records (its rows only: the filter names the unit)."""
    keys: set[str] = set()
    for column, owner in ((Petition.accused_name_key, Petition.unit_id), (LeadPerson.name_key, LeadPerson.unit_id),
                          (CasePerson.name_key, CasePerson.unit_id),
                          (ClearingCase.person_name_key, ClearingCase.unit_id)):
        keys.update(k for k in db.session.scalars(select(column).where(owner == unit.id).distinct()) if k)
    return keys


def _plain(unit: Unit) -> set[str]:
    """Names compared in the clear, inside the unit: the clearing pool's (decrypted here) and the unit's staff's."""
    names = {normalized(c.person_name) for c in db.session.scalars(
        select(ClearingCandidate).where(ClearingCandidate.unit_id == unit.id))}
    for display in db.session.scalars(select(Account.display_name).join(Membership, Membership.account_id == Account.id)
                                      .where(Membership.unit_id == unit.id).distinct()):
        names.add(normalized(ANNOTATION.sub("", display or "")))
    return {n for n in names if len(n) >= SHORTEST}


class NameIndex:
    """The names of one or more units' records, gathered once for a form's fields (as each unit, for RLS)."""

    def __init__(self, units: list[Unit]):
        self.keys: set[str] = set()
        self.plain: set[str] = set()
        for unit in units:
            with context.writing_as(unit.id, unit.path):
                self.keys |= _keyed(unit)
                self.plain |= _plain(unit)

    def found(self, text: str) -> str | None:
        """The first word of ``text`` that is a name in the records, as the author typed it (normalised)."""
        plain = normalized(text)
        for name in sorted(self.plain, key=len, reverse=True):
            if name in plain:
                return name
        if not self.keys:
            return None
        for run in RUN.findall(plain):
            for size in range(SHORTEST, min(LONGEST, len(run)) + 1):
                for start in range(len(run) - size + 1):
                    word = run[start:start + size]
                    if name_key(word) in self.keys:
                        return word
        return None


def check(fields: dict[str, str], units: list[Unit], errors: dict) -> dict[str, list[str]]:
    """Refuse (``errors``) each field holding a name of the units' records; the warnings of ID-number and phone
    patterns, by field."""
    index = NameIndex(units)
    warnings: dict[str, list[str]] = {}
    for field, text in fields.items():
        if not text:
            continue
        word = index.found(text)
        if word:
            errors.setdefault(field, []).append(
                _("%(f)s含有本单位案件或人员中的人名“%(w)s”，请隐去（可写作“某某”“张某”）后再提交",
                  f=FIELD_LABELS.get(field, ""), w=word))
        if ID_NUMBER.search(text):
            warnings.setdefault(field, []).append(_("%(f)s疑似含有身份证号码（18位），请核实并隐去",
                                                    f=FIELD_LABELS.get(field, "")))
        if PHONE.search(text):
            warnings.setdefault(field, []).append(_("%(f)s疑似含有手机号码（11位），请核实并隐去",
                                                    f=FIELD_LABELS.get(field, "")))
    return warnings
