"""A module that translates with ``_`` (or ``_l``) never binds that name to anything else.

``_, receipt = load(...)`` in a view made ``_("已签收")`` call the loaded record: every 签收 in the
browser answered 500. This walks the syntax of every module of the app and fails on any binding of
a gettext alias the module imports: assignments, tuple unpacking, loop and comprehension targets,
``with``/``except`` names, parameters, nested definitions, other imports under the same name.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "tenants", "reporting")
GETTEXT = {"gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "pgettext", "lazy_pgettext", "_"}


def gettext_aliases(tree: ast.AST) -> set[str]:
    return {alias.asname or alias.name for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module in ("flask_babel", "babel.support", "gettext")
            for alias in node.names if alias.name in GETTEXT and (alias.asname or alias.name).startswith("_")}


def bindings(tree: ast.AST, names: set[str]):
    """(line, name) of every binding of one of ``names`` other than its gettext import."""
    for node in ast.walk(tree):
        match node:
            case ast.Name(id=name, ctx=ast.Store() | ast.Del()) if name in names:
                yield node.lineno, name
            case ast.arg(arg=name) if name in names:
                yield node.lineno, name
            case ast.FunctionDef(name=name) | ast.AsyncFunctionDef(name=name) | ast.ClassDef(name=name) \
                    if name in names:
                yield node.lineno, name
            case ast.ExceptHandler(name=name) | ast.MatchAs(name=name) | ast.MatchStar(name=name) \
                    if name in names:
                yield node.lineno, name
            case ast.ImportFrom() | ast.Import():
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    if bound in names and not (isinstance(node, ast.ImportFrom) and alias.name in GETTEXT):
                        yield node.lineno, bound


def shadowed(source: str, filename: str = "<test>") -> list[tuple[int, str]]:
    tree = ast.parse(source, filename)
    aliases = gettext_aliases(tree)
    return sorted(bindings(tree, aliases)) if aliases else []


def test_no_module_rebinds_its_gettext_alias():
    found = [f"{path.relative_to(ROOT)}:{line}: {name}"
             for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             for line, name in shadowed(path.read_text(encoding="utf-8"), str(path))]
    assert found == [], "gettext alias rebound (rename the other binding, e.g. _receipt):\n" + "\n".join(found)


def test_the_check_sees_every_kind_of_binding():
    header = "from flask_babel import gettext as _\nfrom flask_babel import lazy_gettext as _l\n"
    offenders = ["_, receipt = load()", "for _ in range(3): pass", "for a, (_, b) in x: pass",
                 "y = [1 for _ in x]", "y = {k: v for k, _l in x}", "def f(_): pass", "def f(*, _l=1): pass",
                 "f = lambda _: 1", "with open(p) as _: pass", "try:\n    pass\nexcept E as _:\n    pass",
                 "def _(): pass", "from os import path as _", "if (_ := 1): pass", "_ = None", "del _"]
    for line in offenders:
        assert shadowed(header + line), line
    assert shadowed(header + "x = _('好')\nfor item in x: _l('是')\n_unused = 1") == []
    assert shadowed("_, b = 1, 2") == []  # a module that does not translate may discard with _
