"""The map of DESIGN.md, checked on the code: which package may import which, and where the
LINE SDK may be used. An import against the map fails here, naming the file.

What does not match the map yet is listed below as debt, file by file (issue #19): a new
file cannot join the list unnoticed, and a file that is fixed must leave it, so the list
only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "flows", "storage", "console", "simulator", "locales")

# Imports go downward. bot assembles (and starts the simulator for `serve --simulator`);
# console gets its services from the app, not from bot.
ALLOWED: dict[str, set[str]] = {
    "bot": {"handlers", "console", "flows", "storage", "locales", "simulator"},
    "handlers": {"flows", "storage", "locales"},
    "flows": {"storage", "locales"},
    "console": {"storage", "locales"},
    "storage": {"locales"},
    "simulator": set(),
    "locales": set(),
}
LINE_SDK_ALLOWED = {"bot", "simulator"}

# Known departures from the map, to be removed (issue #19): none left. A file that must
# depart for a while is listed here by (its package, the package it imports).
DEBT: dict[tuple[str, str], set[str]] = {}


def _imports(path: Path) -> set[str]:
    """The top-level modules `path` imports (absolute imports only; the code uses no others)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _edges() -> dict[tuple[str, str], set[str]]:
    edges: dict[tuple[str, str], set[str]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for target in _imports(path) & ({*PACKAGES, "linebot"} - {package}):
                edges.setdefault((package, target), set()).add(str(path.relative_to(ROOT)))
    return edges


def test_no_package_imports_against_the_map() -> None:
    wrong = {
        f"{file}: {source} imports {target}"
        for (source, target), files in _edges().items()
        if target in PACKAGES and target not in ALLOWED[source]
        for file in files - DEBT.get((source, target), set())
    }
    assert not wrong, sorted(wrong)


def test_the_debt_list_only_shrinks() -> None:
    edges = _edges()
    paid = {
        f"{file}: no longer imports {target}; remove it from DEBT"
        for (source, target), files in DEBT.items()
        for file in files - edges.get((source, target), set())
    }
    assert not paid, sorted(paid)


def test_console_does_not_import_bot_and_nobody_imports_flows_for_words() -> None:
    edges = _edges()
    assert ("console", "bot") not in edges
    assert not (ROOT / "flows" / "i18n.py").exists()


# Queries belong in storage, as named functions (DESIGN.md).
_BUILDERS = {"select", "delete", "update", "insert"}
_RUNNERS = {"execute", "scalars", "scalar", "query"}
# A session's own writes (`session.add(row)`, `turn.session.delete(rule)`): rows are created
# and removed by storage's named functions too.
_WRITERS = {"add", "add_all", "delete", "merge"}
_SESSIONS = {"session", "db"}


def _queries(path: Path) -> list[int]:
    """Lines of `path` that build or run a query."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call) and _is_query(node)
    ]


def _is_query(call: ast.Call) -> bool:
    """SQLAlchemy's select/delete/update/insert, a session's execute/scalars/scalar/query or
    add/delete, or a session's get of a model (`session.get(Ticket, id)`, not
    `data.get(KEY)`)."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in _BUILDERS
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in _RUNNERS:
        return True
    if func.attr in _WRITERS and _names_a_session(func.value):
        return True
    first = call.args[0] if call.args else None
    return (
        func.attr == "get"
        and isinstance(first, ast.Name)
        and first.id[:1].isupper()
        and not first.id.isupper()
    )


def _names_a_session(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in _SESSIONS
    return isinstance(node, ast.Attribute) and node.attr in _SESSIONS


def test_queries_live_in_storage() -> None:
    found = {
        str(path.relative_to(ROOT)): lines
        for package in ("handlers", "flows", "console", "bot")
        for path in sorted((ROOT / package).rglob("*.py"))
        if (lines := _queries(path))
    }
    # bot assembles: its CLI and sweeps may still read rows; handlers, flows and console may not.
    outside = {file: lines for file, lines in found.items() if not file.startswith("bot/")}
    assert not outside, outside


def test_only_bot_and_the_simulator_speak_to_the_line_sdk() -> None:
    users = {
        file
        for (source, target), files in _edges().items()
        if target == "linebot" and source not in LINE_SDK_ALLOWED
        for file in files
    }
    assert not users, sorted(users)


# A project module is imported under its own name (`from storage import supporters`, then
# `supporters.approve`), never renamed to tell it apart (`supporters as store`): the reader
# meets one name for one module everywhere. Renaming a function or class on import is fine.
_RENAME_CHECKED = (*PACKAGES, "bench", "tests")


def _project_modules() -> set[str]:
    """Dotted names of the modules and packages under the checked folders."""
    found: set[str] = set()
    for folder in _RENAME_CHECKED:
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def _renamed_modules(path: Path, modules: set[str]) -> list[str]:
    """`path`'s imports that give a project module a name other than its own last name. A
    file in a folder that is not a package (tests, bench) also imports its siblings by their
    bare names (`from test_consultation_e2e import …`)."""
    known = set(modules)
    if not (path.parent / "__init__.py").exists():
        known |= {sibling.stem for sibling in path.parent.glob("*.py")}
    renamed = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            pairs = [(alias.name, alias.asname) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            pairs = [(f"{node.module}.{alias.name}", alias.asname) for alias in node.names]
        else:
            continue
        renamed += [
            f"{path.relative_to(ROOT)}:{node.lineno}: {name} as {asname}"
            for name, asname in pairs
            if asname and name in known and asname != name.rsplit(".", 1)[-1]
        ]
    return renamed


def test_no_project_module_is_imported_under_another_name() -> None:
    modules = _project_modules()
    renamed = [
        line
        for folder in _RENAME_CHECKED
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line in _renamed_modules(path, modules)
    ]
    assert not renamed, renamed


# LINE's message objects (a text with "quickReply", a Flex message's "altText", an action's
# "displayText") are written and read in bot alone (bot.render): flows build message values
# (storage.messages), and what sits below bot never learns LINE's wire format.
_LINE_MESSAGE_KEYS = {"quickReply", "altText", "displayText"}


def _speaks_line_messages(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and node.value in _LINE_MESSAGE_KEYS:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
        elif isinstance(node, ast.Dict):
            pairs = {
                key.value: value.value
                for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant) and isinstance(value, ast.Constant)
            }
            if pairs.get("type") in ("text", "flex") and "text" in {
                key.value for key in node.keys if isinstance(key, ast.Constant)
            }:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: a LINE text message")
    return found


def test_only_bot_knows_lines_message_format() -> None:
    found = [
        line
        for package in ("handlers", "flows", "storage", "console", "locales")
        for path in sorted((ROOT / package).rglob("*.py"))
        for line in _speaks_line_messages(path)
    ]
    assert not found, found
    # The check itself finds what it looks for.
    assert _speaks_line_messages(ROOT / "bot" / "render.py")


def test_every_package_says_what_it_owns() -> None:
    silent = [
        package
        for package in PACKAGES
        if not ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text("utf-8")))
    ]
    assert not silent, silent
