"""Engine discovery through the ``clarion.engines`` entry-point group.

A third-party package adds an engine by declaring, in its own pyproject::

    [project.entry-points."clarion.engines"]
    myengine = "my_package.engine:MyEngine"
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, cast

from clarion.errors import EngineUnavailable

if TYPE_CHECKING:
    from collections.abc import Iterable

    from clarion.config import Settings
    from clarion.engines.base import Engine

GROUP = "clarion.engines"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineEntry:
    name: str
    target: str  # "module:Class", for display
    cls: type[Engine] | None
    problem: str | None  # why it cannot be used here, if it cannot


def discover(settings: Settings, only: Iterable[str] | None = None) -> dict[str, EngineEntry]:
    """Every engine registered on this install (or those of them named in ``only``), with the
    reason it can't load where it can't. Loading and probing an engine imports its module and
    packages, so a server asks only for the engines it serves."""
    wanted = None if only is None else set(only)
    found: dict[str, EngineEntry] = {}
    for ep in entry_points(group=GROUP):
        if ep.name in found or (wanted is not None and ep.name not in wanted):
            continue  # the first distribution wins, as importlib orders them
        try:
            cls = cast("type[Engine]", ep.load())
        except ImportError as e:
            found[ep.name] = EngineEntry(ep.name, ep.value, None, f"cannot import ({e})")
            continue
        try:
            problem = cls.probe(settings)
        except Exception as e:  # a broken probe must not hide the other engines
            problem = f"probe failed: {e}"
        found[ep.name] = EngineEntry(ep.name, ep.value, cls, problem)
    return found


def engine_class(name: str, settings: Settings) -> type[Engine]:
    entry = discover(settings, [name]).get(name)
    if entry is None:
        registered = sorted(ep.name for ep in entry_points(group=GROUP))
        raise EngineUnavailable(f"no engine named {name!r}; registered engines: {', '.join(registered)}")
    if entry.cls is None or entry.problem:
        raise EngineUnavailable(f"engine {name!r} cannot load here: {entry.problem}")
    return entry.cls


def create_engine(name: str, settings: Settings) -> Engine:
    cls = engine_class(name, settings)
    return cls(settings)
