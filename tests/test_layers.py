"""The house's layers hold: a module imports only from its own layer or below (ARCHITECTURE.md).

Read from the source with `ast`, lazy imports inside functions included, so a shortcut taken
in a hurry fails here rather than in the next reader's head.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Highest first; a module's layer is that of the longest prefix of its dotted name listed.
LAYERS: dict[str, int] = {
    # entry points
    "pubreview.cli": 4,
    "pubreview.web": 4,
    "pubreview.devstack": 4,
    "flows": 4,
    "tasks": 4,
    "deployments": 4,
    # after a commit
    "pubreview.orchestration": 3,
    # domain
    "pubreview.review": 2,
    "pubreview.chains": 2,
    "pubreview.requests": 2,
    "pubreview.publishing": 2,
    "pubreview.screening": 2,
    "pubreview.notify": 2,
    "pubreview.report": 2,
    "pubreview.accounts": 2,
    "pubreview.site": 2,
    # infrastructure
    "pubreview": 1,
    # tables
    "models": 0,
}
NAMES = {4: "entry points", 3: "after commit", 2: "domain", 1: "infrastructure", 0: "tables"}

# Imports that climb a layer today, each with why it has not been moved yet. The test also
# fails when one of them is gone, so this list only shrinks.
KNOWN: dict[tuple[str, str], str] = {}


def _layer(name: str) -> int | None:
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        layer = LAYERS.get(".".join(parts[:n]))
        if layer is not None:
            return layer
    return None


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones included (imports are statements: expressions are skipped,
    which keeps the walk cheap)."""
    for node in body:
        yield node
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, name, None)
            if isinstance(inner, list):
                yield from _statements(inner)


def _imports(path: Path) -> set[str]:
    """Our own modules the file imports, lazy ones included (`from a import b`: a.b if b is a
    module, else a)."""
    found = set()
    for node in _statements(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if _is_module(full) else node.module)
    return {name for name in found if _layer(name) is not None}


@cache
def climbs() -> frozenset[tuple[str, str]]:
    """(importer, imported) for every import that goes up a layer."""
    out = set()
    for top in ("pubreview", "flows", "tasks", "deployments", "models"):
        for path in sorted((ROOT / top).rglob("*.py")):
            here = _module(path)
            out.update((here, name) for name in _imports(path) if _layer(name) > _layer(here))
    return frozenset(out)


def _named(pair: tuple[str, str]) -> str:
    a, b = pair
    return f"{a} ({NAMES[_layer(a)]}) imports {b} ({NAMES[_layer(b)]})"


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    new = sorted(_named(pair) for pair in climbs() - KNOWN.keys())
    assert not new, "\n".join(new)


def test_every_known_climb_still_exists() -> None:
    gone = sorted(_named(pair) for pair in KNOWN.keys() - climbs())
    assert not gone, "no longer climbs, take it off KNOWN:\n" + "\n".join(gone)


def test_the_reader_sees_lazy_and_from_imports(tmp_path: Path) -> None:
    # A lazy import inside a function, and `from pkg import module`, both count.
    source = ROOT / "pubreview" / "links.py"
    assert "pubreview.settings" in _imports(source)
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def f():\n    try:\n        from pubreview import web\n    finally:\n"
        "        import flows.review\n"
    )
    assert _imports(probe) == {"pubreview.web", "flows.review"}
