"""The house rules that a machine can check: ruff and mypy are clean, modules stay short, and
every package says what it holds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_is_clean() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


PRODUCT = ("config", "models", "nlu", "handlers", "scheduler", "bot")
MAX_MODULE_LINES = 600


def test_no_product_module_is_over_600_lines() -> None:
    """A module that long holds more than one thing: split it where a newcomer would look."""
    long = {
        str(path.relative_to(ROOT)): lines
        for package in PRODUCT
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_every_package_says_what_it_holds() -> None:
    """Each package's ``__init__`` starts with a docstring that says what room it is."""
    import ast

    for package in PRODUCT:
        for init in (ROOT / package).rglob("__init__.py"):
            if "migrations" in init.parts:
                continue
            tree = ast.parse(init.read_text(encoding="utf-8"))
            assert ast.get_docstring(tree), f"{init.relative_to(ROOT)} has no docstring"
