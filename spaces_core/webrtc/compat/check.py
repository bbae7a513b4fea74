"""What each compat module checks at start-up: the installed version, and that the private names are still used.

A private name cannot be checked on a class the way a method can: most are instance attributes set in
``__init__``. So a name counts as present when the class's own code still uses it: the attribute names in the
code objects of its functions (Python stores them there, name-mangled ones already mangled). A rename in a new
release removes it from there, and the check says which one.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Iterator
from types import CodeType

__all__ = ["missing_names", "version_problem"]


def version_problem(distribution: str, pinned: str) -> str | None:
    """None when ``distribution`` is installed at ``pinned``, else why not, in words."""
    try:
        installed = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return f"{distribution} is not installed (its internals are used as of {pinned})"
    if installed != pinned:
        return f"{distribution} {installed} is installed; its internals are used as of {pinned}"
    return None


def missing_names(cls: type, names: Iterable[str]) -> list[str]:
    """Which of ``names`` the code of ``cls`` (and its bases) no longer uses."""
    used: set[str] = set()
    for klass in cls.__mro__:
        for value in vars(klass).values():
            for code in _code_objects(value):
                used.update(code.co_names)
        used.update(vars(klass))  # methods and class attributes
    return [name for name in names if name not in used]


def _code_objects(value: object) -> Iterator[CodeType]:
    function = getattr(value, "__func__", value)  # classmethod, staticmethod
    for part in (function, getattr(value, "fget", None), getattr(value, "fset", None)):  # a property's accessors
        code = getattr(part, "__code__", None)
        if isinstance(code, CodeType):
            yield from _nested(code)


def _nested(code: CodeType) -> Iterator[CodeType]:
    yield code
    for constant in code.co_consts:
        if isinstance(constant, CodeType):  # lambdas, inner functions, comprehensions
            yield from _nested(constant)
