"""Imports only go downward: each package may use the ones below it in ``LAYERS``, never one above.

The same order is the layout table in docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

# Lowest first; modules of one layer may import each other.
LAYERS = [
    ["streams.engine"],
    ["connectors"],
    ["streams.contract"],
    ["streams.metrics", "streams.progress"],
    ["streams.faust_internals"],
    ["streams.sender"],
    ["streams.state"],
    ["streams.outages", "streams.silences", "streams.history", "streams.episode_log"],
    ["streams.gathering"],
    ["streams.topics", "streams.layout", "streams.app", "streams.routing", "streams.agents"],
    ["streams.worker"],
    ["replay"],
    ["alerts"],
    ["api"],
    ["dashboard"],
    ["storemon"],
]
PACKAGES = ["connectors", "streams", "replay", "alerts", "api", "dashboard", "storemon"]


def layer_of(module: str) -> int | None:
    """The layer of a product module (the longest prefix that names one); None outside the product."""
    best: tuple[int, int] | None = None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (
                best is None or len(prefix) > best[1]
            ):
                best = (index, len(prefix))
    return None if best is None else best[0]


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


# ``streams/__init__.py`` holds a docstring only: the package is its subpackages and modules.
SOURCES = sorted(
    path
    for package in PACKAGES
    for path in (REPO / package).rglob("*.py")
    if path != REPO / "streams" / "__init__.py"
)


def test_every_product_module_has_a_layer() -> None:
    assert [module_name(path) for path in SOURCES if layer_of(module_name(path)) is None] == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: module_name(path))
def test_imports_go_downward_only(path: Path) -> None:
    own = layer_of(module_name(path))
    assert own is not None
    upward = sorted(name for name in imported(path) if (layer := layer_of(name)) is not None and layer > own)
    assert upward == []
