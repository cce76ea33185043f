"""A module the command's process imports only when something uses it (``inspect``, imported by ``dataclasses``).

``dataclasses`` imports ``inspect`` (which imports ``ast``, ``dis``, ``tokenize`` and more: ~10 ms, a tenth of
a cold ``iakg recommend``) for one rare use: the signature of a dataclass without a docstring. :func:`defer`
puts a stand-in module in ``sys.modules``; ``import inspect`` binds the stand-in, and its first attribute
read imports the real module, which takes the stand-in's place in ``sys.modules``; the stand-in answers
every later read from the real module.

The standard ``importlib.util.LazyLoader`` cannot do this: the ``import`` statement itself reads the module's
``__spec__``, which loads it. Only ``iakg.cli.main`` calls :func:`defer`, in a process that has not imported
the module yet (the command owns its process); a library importing iakg is never affected.
"""

from __future__ import annotations

import _thread
import sys
from types import ModuleType

_LOCK = _thread.allocate_lock()


class _StandIn(ModuleType):
    """Stands for a module not imported yet; reading an attribute it lacks imports the module."""

    def __getattr__(self, attribute: str) -> object:
        real = self.__dict__.get("_real")
        if real is None:
            with _LOCK:
                if self.__dict__.get("_real") is None:
                    import importlib

                    if sys.modules.get(self.__name__) is self:
                        del sys.modules[self.__name__]
                    self.__dict__["_real"] = importlib.import_module(self.__name__)
            real = self.__dict__["_real"]
        return getattr(real, attribute)


def defer(name: str) -> None:
    """Let ``import NAME`` bind a stand-in that imports the module on first use (no-op if it is imported)."""
    if name not in sys.modules:
        sys.modules[name] = _StandIn(name, f"{name}, imported on first use (iakg.cli.deferred)")
