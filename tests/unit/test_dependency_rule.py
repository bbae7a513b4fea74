"""The domain imports only the standard library (import-linter checks the named packages; this checks all)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import spaces_core.domain

DOMAIN = Path(spaces_core.domain.__file__).parent


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_only_the_standard_library_and_itself():
    files = sorted(DOMAIN.glob("*.py"))
    assert files
    for path in files:
        foreign = {root for root in imported_roots(path) if root not in sys.stdlib_module_names} - {"spaces_core"}
        assert not foreign, f"{path.name} imports {foreign}"
        inner = [line for line in path.read_text().splitlines() if line.startswith("from spaces_core")]
        assert all(line.startswith("from spaces_core.domain") for line in inner), path.name
