"""Fast constructors of slotted dataclasses, for objects the matcher makes by the thousand.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; scoring
makes several such objects per candidate (name profiles, name scores, features), so that
cost shows. :func:`slot_maker` gives a constructor that sets the slots directly and builds
an object equal to what ``__init__`` builds (it takes every field, in order, positionally).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from functools import cache
from typing import Any


def slot_setters(cls: type) -> tuple[Any, ...]:
    """Setters of a slotted dataclass's fields that bypass its (frozen, slow) ``__init__``."""
    return tuple(cls.__dict__[f.name].__set__ for f in fields(cls))


@cache
def slot_maker(cls: type) -> Callable[..., Any]:
    """A constructor of a slotted dataclass taking every field in order, that sets the slots
    directly instead of going through the frozen ``__init__`` (``object.__setattr__`` per
    field). Generated once per class, as :mod:`dataclasses` generates ``__init__``: a loop
    over the setters costs as much again. A ``__post_init__`` is not run: the caller passes
    the fields as it would have set them."""
    setters = slot_setters(cls)
    args = ", ".join(f"v{k}" for k in range(len(setters)))
    body = "".join(f"    s{k}(obj, v{k})\n" for k in range(len(setters)))
    source = f"def make({args}):\n    obj = new(cls)\n{body}    return obj\n"
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    namespace.update((f"s{k}", setter) for k, setter in enumerate(setters))
    exec(source, namespace)  # noqa: S102 — our own source, built from field counts only
    make: Callable[..., Any] = namespace["make"]
    make.__qualname__ = f"make_{cls.__name__}"
    return make
