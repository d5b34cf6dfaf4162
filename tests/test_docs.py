"""The documentation points at things that exist: every test it cites, every file it links."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def cited_tests(text: str) -> list[tuple[str, str | None]]:
    """(file, test name or None) of every ``tests/...py`` or ``tests/...py::name`` in backquotes."""
    found = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", text)
    return [(path, name or None) for path, name in found]


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_cited_test_exists(doc: Path) -> None:
    missing = []
    for path, name in cited_tests(doc.read_text()):
        source = REPO / path
        if not source.is_file() or (name is not None and f"def {name}(" not in source.read_text()):
            missing.append(f"{path}::{name}" if name else path)
    assert missing == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_relative_link_resolves(doc: Path) -> None:
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text())
    assert [link for link in links if not (doc.parent / link).exists()] == []


def test_the_readme_is_a_guide_not_a_log() -> None:
    assert len((REPO / "README.md").read_text().splitlines()) <= 200
