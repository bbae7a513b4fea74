"""The composition root builds in a written order: no closure in `bot/bootstrap/` reaches for a name that its
function assigns later. Such a closure works only because nothing calls it before the assignment, which nothing
checks; the build order is then a guess. This reads the module's syntax tree (no bot is built)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bot.bootstrap
from spaces_core.scheduling import ApsJobPlanner

_Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


def _bound_inside(node: _Function) -> set[str]:
    """Names the closure binds itself (its parameters and its own assignments): those shadow the outer ones."""
    arguments = node.args
    names = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
    names |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
    names |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return names


def _bindings(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, int]]:
    """Every place the function binds a local name: assignments, loop and `with` targets, nested definitions."""
    found = [(n.id, n.lineno) for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    nested = (ast.FunctionDef, ast.AsyncFunctionDef)
    found += [(n.name, n.lineno) for n in ast.walk(function) if isinstance(n, nested) and n is not function]
    return found


def late_references(source: str) -> list[str]:
    """Each closure (nested def or lambda) of a module-level function that names a local bound after it starts."""
    found: list[str] = []
    for function in ast.parse(source).body:
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        bindings = _bindings(function)
        for closure in ast.walk(function):
            if closure is function or not isinstance(closure, _Function):
                continue
            own = _bound_inside(closure)
            used = {n.id for n in ast.walk(closure) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            for name in sorted(used - own):
                if any(bound == name and line > closure.lineno for bound, line in bindings):
                    found.append(f"{function.name}: line {closure.lineno} uses {name!r}, bound later")
    return found


@pytest.mark.parametrize("module", sorted(Path(bot.bootstrap.__file__).parent.glob("*.py")), ids=lambda p: p.name)
def test_no_closure_in_the_composition_root_reaches_for_a_later_name(module: Path) -> None:
    assert late_references(module.read_text(encoding="utf-8")) == []


def test_the_check_sees_a_closure_over_a_later_name() -> None:
    cyclic = (
        "async def build():\n"
        "    async def refs(space_id):\n"
        "        return await spaces.cards(space_id)\n"
        "    get = lambda space_id: spaces.get(space_id)\n"
        "    web = None\n"
        "    link = lambda: web\n"
        "    spaces = make()\n"
        "    web = make()\n"
    )
    assert late_references(cyclic) == [
        "build: line 2 uses 'spaces', bound later",
        "build: line 4 uses 'spaces', bound later",
        "build: line 6 uses 'web', bound later",
    ]


def test_the_check_allows_closures_over_earlier_names() -> None:
    acyclic = (
        "def build(bot):\n"
        "    spaces = make()\n"
        "    get = lambda space_id: spaces.get(space_id)\n"
        "    name_of = lambda guild_id: bot.name(guild_id)\n"
        "    other = make()\n"
    )
    assert late_references(acyclic) == []


async def test_a_planner_built_without_its_runner_refuses_to_start(tmp_path: Path) -> None:
    """The planner's half of the two-phase build: started unbound, it would store jobs nothing can run."""
    planner = ApsJobPlanner(f"sqlite+aiosqlite:///{tmp_path / 'jobs.db'}")
    with pytest.raises(RuntimeError, match="bind one before start"):
        await planner.start()
    assert not planner.active.is_set()
