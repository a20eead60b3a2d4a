"""The layout's rules, kept by reading every product module's imports (``ast``, nothing run).

- No import circle between two modules of the product, directly or in a ring, counting imports
  inside functions too: a deferred import only hides a circle from the interpreter.
- The arrows point one way: ``bot`` and ``scheduler`` -> ``handlers`` -> ``nlu``, ``models``,
  ``config``; ``nlu`` imports nothing of ours but ``config``; ``config`` imports nothing of ours.
- Nothing imports ``bot.app`` (the factory) but the command line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("config", "models", "nlu", "handlers", "scheduler", "bot")
# What each top-level package may import of ours, besides itself.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "config": frozenset(),
    "models": frozenset({"config"}),
    "nlu": frozenset({"config"}),
    "handlers": frozenset({"nlu", "models", "config"}),
    "scheduler": frozenset({"handlers", "nlu", "models", "config"}),
    "bot": frozenset({"scheduler", "handlers", "nlu", "models", "config"}),
}
FACTORY = "bot.app"
FACTORY_USERS = frozenset({"bot.cli.main"})


def module_files(root: Path = ROOT) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _owner(name: str, modules: Iterable[str]) -> str | None:
    """The product module that ``name`` (a module, or a name inside one) belongs to."""
    known = set(modules)
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The product modules ``module`` imports anywhere in its body.

    ``from package import submodule`` is an import of the submodule, not of the package's
    ``__init__``; the parents that Python imports on the way are not counted either, or every
    package would be in a circle with its own modules.
    """
    is_package = path.name == "__init__.py"
    here = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = here.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, *([base] if base else [])])
            targets = []
            for alias in node.names:
                inner = f"{base}.{alias.name}"
                targets.append(inner if inner in modules else base)
        else:
            continue
        for target in targets:
            owner = _owner(target, modules)
            if owner is not None and owner != module:
                found.add(owner)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = module_files(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in graph:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def wrong_arrows(graph: dict[str, set[str]]) -> list[str]:
    wrong = []
    for module, targets in sorted(graph.items()):
        layer = module.split(".")[0]
        for target in sorted(targets):
            target_layer = target.split(".")[0]
            if target_layer != layer and target_layer not in MAY_IMPORT[layer]:
                wrong.append(f"{module} -> {target}")
            if target == FACTORY and module not in FACTORY_USERS:
                wrong.append(f"{module} -> {target} (use bot.keys)")
    return wrong


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_product_has_no_import_circle(graph: dict[str, set[str]]) -> None:
    assert circles(graph) == []


def test_the_arrows_point_one_way(graph: dict[str, set[str]]) -> None:
    assert wrong_arrows(graph) == []


def test_the_walk_sees_the_product_whole(graph: dict[str, set[str]]) -> None:
    # A walk that found nothing would pass the two tests above for the wrong reason.
    assert len(graph) > 150
    assert "bot.api.worker" in graph["bot.app"]
    assert "handlers.workflow.tasks" in graph["handlers.intake.report"]


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_circle_through_a_deferred_import_is_found(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "handlers/__init__.py": "",
            "handlers/a.py": "from handlers.b import thing\n",
            "handlers/b.py": "def thing():\n    from handlers import a\n    return a\n",
            "handlers/c.py": "import handlers.a\n",
        },
    )
    assert circles(import_graph(tmp_path)) == [["handlers.a", "handlers.b"]]


def test_a_ring_of_three_and_a_package_importing_its_caller_are_found(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/x.py": "from . import y\n",
            "bot/y.py": "from .z import name\n",
            "bot/z.py": "import bot.x\n",
            "nlu/__init__.py": "from nlu.understanding import understand\n",
            "nlu/understanding.py": "from nlu import understand_more\n",
        },
    )
    assert circles(import_graph(tmp_path)) == [
        ["bot.x", "bot.y", "bot.z"],
        ["nlu", "nlu.understanding"],
    ]


def test_an_arrow_the_wrong_way_is_named(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "handlers/__init__.py": "",
            "handlers/report.py": "from bot.keys import CLOCK\n",
            "nlu/__init__.py": "import models\n",
            "models/__init__.py": "",
            "bot/__init__.py": "",
            "bot/keys.py": "",
            "bot/app.py": "",
            "bot/api.py": "def f():\n    from bot.app import create_app\n",
        },
    )
    assert wrong_arrows(import_graph(tmp_path)) == [
        "bot.api -> bot.app (use bot.keys)",
        "handlers.report -> bot.keys",
        "nlu -> models",
    ]
