"""Data dictionaries (数据字典): the lists behind the drop-downs that offices may adjust, read through one accessor.

Each area declares its dictionary where its labels live (``CHANNEL_LABELS = dictionaries.declare(...)`` in its
models or workflow), with the code's own labels as the shipped default; this kernel module holds only the mechanism
and imports no area. A declared dictionary is a read-only mapping ``code -> label`` in the request's language: its
``items()`` are the active entries in their order (a drop-down), its ``[code]`` answers any known code, active or
not (a record keeps its code and its label shows after the entry is deactivated or relabelled).

The system admin changes entries on /admin/dictionaries (``relabel``, ``move``, ``set_active``, ``add``,
``remove``), each audited with old and new values. A shipped code (the workflows branch on it) is never removed;
an added one is removed only while no record carries it (``note_use``, called by the writing operation, marks it:
the admin cannot read units' records under RLS, so the mark is the record of use).

Rows exist only for what the admin changed or added (a shipped entry without a row reads its default). Values are
read through a per-process cache, emptied at once in the process that writes and re-read by the others within
``CACHE_SECONDS``, like core.parameters.
"""
from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, has_app_context
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint, select, update as sql_update
from sqlalchemy.orm import Mapped, mapped_column

from core.audit.operations import record
from core.clock import utcnow
from core.errors import InvalidInput
from core.extensions import db

CACHE_SECONDS = 5
MAX_LABEL = 50
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,15}$")  # fits the records' code columns (String(16))


class DictionaryEntry(db.Model):
    """An entry the system admin changed (a shipped code) or added (a new code)."""

    __tablename__ = "dictionary_entries"
    __table_args__ = (UniqueConstraint("dictionary", "code", name="uq_dictionary_entries_dictionary_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dictionary: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False)
    label_zh: Mapped[str | None] = mapped_column(String(MAX_LABEL))  # None: the shipped label
    label_en: Mapped[str | None] = mapped_column(String(MAX_LABEL))
    position: Mapped[int | None] = mapped_column(Integer)  # None: the shipped order
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    used: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # an added code a record carries
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


@dataclass(frozen=True)
class Entry:
    code: str
    label_zh: str
    label_en: str
    position: int
    active: bool
    shipped: bool
    used: bool

    def label(self, english: bool) -> str:
        return (self.label_en or self.label_zh) if english else self.label_zh


DICTIONARIES: dict[str, "Dictionary"] = {}


class LazyLabel:
    """One entry's label, read when shown (a transition's label, a figure's name)."""

    def __init__(self, dictionary: "Dictionary", code: str):
        self.dictionary, self.code = dictionary, code

    def __str__(self) -> str:
        return label(self.dictionary.name, self.code)

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))

    def __add__(self, other):
        return str(self) + str(other)

    def __radd__(self, other):
        return str(other) + str(self)

    def __repr__(self) -> str:
        return f"LazyLabel({self.dictionary.name!r}, {self.code!r})"


class Dictionary(Mapping):
    """A declared dictionary: ``name`` (its code), ``title`` (its name in words), ``defaults`` (code -> lazy label,
    in order: the shipped entries), ``can_add`` (offices may add codes: the code does not branch on every value),
    ``can_deactivate`` (an entry may leave new forms' drop-downs), ``area`` (whose it is, for the list page)."""

    def __init__(self, name: str, title, defaults: Mapping, *, area, can_add: bool = True,
                 can_deactivate: bool = True, note=None):
        self.name, self.title, self.area, self.note = name, title, area, note
        self.defaults = {str(code): text for code, text in defaults.items()}
        self.can_add, self.can_deactivate = can_add, can_deactivate

    # The mapping: code -> label of the request's language; iteration gives the active codes in order.
    def __getitem__(self, code) -> str:
        found = _entry(self.name, str(code))
        if found is None:
            raise KeyError(code)
        return found.label(_english())

    def __iter__(self):
        return iter([e.code for e in entries(self.name)])

    def __len__(self) -> int:
        return len(entries(self.name))

    def __contains__(self, code) -> bool:
        return _entry(self.name, str(code)) is not None

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other) -> bool:
        return self is other

    __hash__ = object.__hash__

    def lazy(self, code: str) -> LazyLabel:
        return LazyLabel(self, code)

    def codes(self, active_only: bool = True) -> list[str]:
        return [e.code for e in entries(self.name, active_only=active_only)]

    def shipped(self, code: str) -> bool:
        return str(code) in self.defaults


def declare(name: str, title, defaults: Mapping, **options) -> Dictionary:
    """An area's dictionary, declared once at import (its shipped entries: the code's own labels)."""
    dictionary = Dictionary(name, title, defaults, **options)
    DICTIONARIES[name] = dictionary
    return dictionary


# ---------------------------------------------------------------- reading (one cached accessor)

_cache: dict = {"rows": None, "at": 0.0, "app": None, "entries": {}}


def clear_cache() -> None:
    _cache.update(rows=None, at=0.0, app=None, entries={})


def _rows() -> dict[str, dict[str, DictionaryEntry]]:
    if not has_app_context():
        return {}
    app = current_app._get_current_object()
    fresh = _cache["rows"] is not None and _cache["app"] is app and time.monotonic() - _cache["at"] < CACHE_SECONDS
    if not fresh:
        rows: dict[str, dict] = {}
        for row in db.session.scalars(select(DictionaryEntry)):
            rows.setdefault(row.dictionary, {})[row.code] = (row.label_zh, row.label_en, row.position, row.active,
                                                            row.used)
        _cache.update(rows=rows, at=time.monotonic(), app=app, entries={})
    return _cache["rows"]


def _english() -> bool:
    locale = get_locale() if has_app_context() else None
    return locale is not None and locale.language == "en"


def _shipped_text(text, locale: str) -> str:
    if not has_app_context():
        return str(text)
    with force_locale(locale):
        return str(text)


def entries(name: str, active_only: bool = True) -> list[Entry]:
    """The dictionary's entries in their order (active ones only unless asked)."""
    stored = _rows().get(name, {})
    found = _cache["entries"].get(name)
    if found is None:
        found = _cache["entries"][name] = _merge(DICTIONARIES[name], stored)
    return [e for e in found if e.active or not active_only]


def _merge(dictionary: Dictionary, stored: dict) -> list[Entry]:
    found = []
    for i, (code, text) in enumerate(dictionary.defaults.items()):
        zh, en, position, active, _used = stored.get(code, (None, None, None, True, False))
        shipped_zh, shipped_en = _shipped_text(text, "zh_Hans_CN"), _shipped_text(text, "en")
        shipped_en = "" if shipped_en == shipped_zh else shipped_en  # not in the English catalogue: none
        found.append(Entry(code, zh or shipped_zh, en or shipped_en,
                           position if position is not None else (i + 1) * 10, active, True, True))
    for code, (zh, en, position, active, used) in stored.items():
        if code not in dictionary.defaults:
            found.append(Entry(code, zh or code, en or "", position or 0, active, False, used))
    found.sort(key=lambda e: e.position)
    return found


def _entry(name: str, code: str) -> Entry | None:
    return next((e for e in entries(name, active_only=False) if e.code == code), None)


def label(name: str, code) -> str:
    """The entry's label in the request's language; any known code, active or not ("" for none)."""
    if code is None or code == "":
        return ""
    found = _entry(name, str(code))
    return found.label(_english()) if found is not None else str(code)


def codes(name: str, active_only: bool = True) -> list[str]:
    return DICTIONARIES[name].codes(active_only)


def note_use(name: str, code) -> None:
    """A record now carries ``code``: an added entry can no longer be removed (shipped ones never can)."""
    code = str(code or "")
    dictionary = DICTIONARIES.get(name)
    if not code or dictionary is None or dictionary.shipped(code):
        return
    stored = _rows().get(name, {}).get(code)
    if stored is not None and stored[4]:
        return
    db.session.execute(sql_update(DictionaryEntry).where(DictionaryEntry.dictionary == name,
                                                         DictionaryEntry.code == code, DictionaryEntry.used.is_(False))
                       .values(used=True))
    clear_cache()


# ---------------------------------------------------------------- writing (the system admin)


def _dictionary(name: str) -> Dictionary:
    dictionary = DICTIONARIES.get(name)
    if dictionary is None:
        raise InvalidInput({"dictionary": [_("没有这个数据字典")]})
    return dictionary


def _known(name: str, code: str) -> Entry:
    found = _entry(name, code)
    if found is None:
        raise InvalidInput({"code": [_("该字典中没有这个条目")]})
    return found


def _row(name: str, code: str, account_id: int | None) -> DictionaryEntry:
    row = db.session.scalar(select(DictionaryEntry).where(DictionaryEntry.dictionary == name,
                                                          DictionaryEntry.code == code))
    if row is None:
        row = DictionaryEntry(dictionary=name, code=code, active=True, used=False)
        db.session.add(row)
    row.updated_at, row.updated_by_id = utcnow(), account_id
    return row


def _clean_labels(label_zh, label_en, errors: dict) -> tuple[str, str]:
    zh, en = str(label_zh or "").strip(), str(label_en or "").strip()
    if not zh:
        errors.setdefault("label_zh", []).append(_("请填写中文名称"))
    elif len(zh) > MAX_LABEL:
        errors.setdefault("label_zh", []).append(_("中文名称不能超过 %(n)s 个字", n=MAX_LABEL))
    if len(en) > MAX_LABEL:
        errors.setdefault("label_en", []).append(_("英文名称不能超过 %(n)s 个字符", n=MAX_LABEL))
    return zh, en


def _audit(action: str, name: str, code: str, detail: dict) -> None:
    db.session.flush()
    record(action, object_type="dictionary_entries", object_id=f"{name}:{code}",
           detail={"dictionary": name, "code": code, **detail})
    clear_cache()


def _duplicate_label(name: str, code: str | None, zh: str, errors: dict) -> None:
    if any(e.label_zh == zh and e.code != code for e in entries(name, active_only=False)):
        errors.setdefault("label_zh", []).append(_("名称“%(label)s”已在本字典中使用", label=zh))


def relabel(name: str, code: str, label_zh, label_en, *, account_id: int | None) -> Entry:
    """A new label (records keep their code: every page shows the new label)."""
    _dictionary(name)
    before = _known(name, code)
    errors: dict = {}
    zh, en = _clean_labels(label_zh, label_en, errors)
    if zh:
        _duplicate_label(name, code, zh, errors)
    if errors:
        raise InvalidInput(errors)
    row = _row(name, code, account_id)
    row.label_zh, row.label_en = zh, en or None
    _audit("dictionary.relabel", name, code, {"from": {"zh": before.label_zh, "en": before.label_en},
                                              "to": {"zh": zh, "en": en}})
    return _known(name, code)


def move(name: str, code: str, direction: str, *, account_id: int | None) -> None:
    """One place up or down in the drop-down."""
    _dictionary(name)
    _known(name, code)
    if direction not in ("up", "down"):
        raise InvalidInput({"direction": [_("请选择上移或下移")]})
    order = [e.code for e in entries(name, active_only=False)]
    i = order.index(code)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(order):
        raise InvalidInput({"direction": [_("已在最前") if direction == "up" else _("已在最后")]})
    before = list(order)
    order[i], order[j] = order[j], order[i]
    for n, each in enumerate(order):
        _row(name, each, account_id).position = (n + 1) * 10
    _audit("dictionary.reorder", name, code, {"from": before, "to": order})


def set_active(name: str, code: str, active: bool, *, account_id: int | None) -> None:
    """Deactivated: gone from new forms' drop-downs; records carrying it still show its label."""
    dictionary = _dictionary(name)
    before = _known(name, code)
    if not active and not dictionary.can_deactivate:
        raise InvalidInput({"code": [_("该字典的条目由业务流程固定使用，不能停用，只能修改名称")]})
    if not active and len([e for e in entries(name) if e.code != code]) == 0:
        raise InvalidInput({"code": [_("字典中至少要保留一个启用的条目")]})
    if before.active == active:
        return
    _row(name, code, account_id).active = active
    _audit("dictionary.activate" if active else "dictionary.deactivate", name, code,
           {"from": before.active, "to": active, "label": before.label_zh})


def add(name: str, code, label_zh, label_en, *, account_id: int | None) -> Entry:
    """A new entry, last in order."""
    dictionary = _dictionary(name)
    errors: dict = {}
    if not dictionary.can_add:
        raise InvalidInput({"code": [_("该字典的条目由业务流程固定，不能增加，只能修改名称")]})
    code = str(code or "").strip().lower()
    if not CODE_PATTERN.match(code):
        errors.setdefault("code", []).append(_("代码须以小写字母开头，由小写字母、数字和下划线组成，不超过 16 位"))
    elif _entry(name, code) is not None:
        errors.setdefault("code", []).append(_("代码“%(code)s”已存在", code=code))
    zh, en = _clean_labels(label_zh, label_en, errors)
    if zh:
        _duplicate_label(name, None, zh, errors)
    if errors:
        raise InvalidInput(errors)
    last = max((e.position for e in entries(name, active_only=False)), default=0)
    row = _row(name, code, account_id)
    row.label_zh, row.label_en, row.position = zh, en or None, last + 10
    _audit("dictionary.add", name, code, {"from": None, "to": {"zh": zh, "en": en}})
    return _known(name, code)


def remove(name: str, code: str, *, account_id: int | None) -> None:
    """An added entry no record carries; a shipped code is never removed (the workflows depend on it)."""
    dictionary = _dictionary(name)
    found = _known(name, code)
    if dictionary.shipped(code):
        raise InvalidInput({"code": [_("“%(label)s”是系统内置条目，业务流程依赖它，不能删除，只能修改名称或停用",
                                       label=found.label_zh)]})
    row = db.session.scalar(select(DictionaryEntry).where(DictionaryEntry.dictionary == name,
                                                          DictionaryEntry.code == code).with_for_update())
    if row is None:
        raise InvalidInput({"code": [_("该字典中没有这个条目")]})
    if row.used:
        raise InvalidInput({"code": [_("“%(label)s”已被记录使用，不能删除，可以停用", label=found.label_zh)]})
    db.session.delete(row)
    _audit("dictionary.remove", name, code, {"from": {"zh": found.label_zh, "en": found.label_en}, "to": None})
