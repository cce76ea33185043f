"""Registries: one small, explicit table per kind of extension (formats, importers, routes, commands).

The built-in entries register themselves with :meth:`Registry.register` where they are defined, so the core
keeps no list to edit. A third-party distribution adds its own through an ``importlib.metadata`` entry-point
group named ``iakg.<kind>s`` (``iakg.formats``, ``iakg.importers``, ``iakg.route_groups``, ``iakg.commands``,
``iakg.output_formats``), as rdflib's plugins and datasette's hooks work. Its entry points are loaded once, on
the first use that needs them: an entry point naming a module (or an object of a module) that registers
itself with the decorators (``@register``, ``@route_group``, ``@command``...) is simply imported; an entry
point naming an object that did not register itself is registered under the entry point's name. A name
claimed by two distributions is a :class:`~iakg.errors.PluginError`: one line naming both.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Generic, TypeVar

from iakg.errors import PluginError, UnknownNameError

T = TypeVar("T")

#: the distributions whose entry points are being loaded (innermost last): what they register is theirs
_loading: list[str] = []
BUILT_IN = "iakg (built in)"  #: the owner of an entry registered outside the loading of an entry point


class Registry(Generic[T]):
    """Named entries of one kind, in registration order; ``get`` suggests close names for a typo."""

    def __init__(self, kind: str, loader: Callable[[], object] | Sequence[str] | None = None) -> None:
        """``loader`` brings in the built-in entries: a function importing the modules that register them, or
        those modules' names, imported in order only as far as a wanted name needs (so running one command
        imports the module of that command, not every other)."""
        self.kind = kind
        self.group = f"iakg.{kind.replace(' ', '_')}s"  #: the entry-point group of third-party entries
        self._entries: dict[str, T] = {}
        self._owners: dict[str, str] = {}  #: name -> the distribution that registered it
        self._loader = loader if callable(loader) else None
        self._modules = [] if loader is None or callable(loader) else list(loader)  # not imported yet
        self._loaded = False  # third-party entries (entry points) looked up
        self._builtins_loaded = False

    def register(self, name: str, entry: T) -> T:
        """Add ``entry`` under ``name``; a name registered twice raises :class:`PluginError` naming both owners."""
        owner = _loading[-1] if _loading else BUILT_IN
        if owner != BUILT_IN:  # the built-in entries come first (in listings, and as the first owner of a name)
            self._load_builtins()
        if name in self._entries:
            raise PluginError(f"{self.kind} {name!r} is registered twice: by {self._owners[name]} and by {owner}")
        self._entries[name] = entry
        self._owners[name] = owner
        return entry

    def owner(self, name: str) -> str:
        """Who registered ``name``: ``iakg (built in)``, or a distribution's name and version."""
        self._load_builtins(name)
        if name not in self._entries:
            self._load()
        return self._owners[name]

    def _load_builtins(self, wanted: str | None = None) -> None:
        """Import the built-in modules (all of them, or only until ``wanted`` is registered)."""
        if self._loader is not None and not self._builtins_loaded:
            self._builtins_loaded = True
            self._loader()
        while self._modules and (wanted is None or wanted not in self._entries):
            importlib.import_module(self._modules.pop(0))

    def _load(self) -> None:
        """Built-in entries, then third-party ones, each entry point loaded once (scanning entry points
        imports importlib.metadata and walks every installed distribution: done only when needed)."""
        self._load_builtins()
        if self._loaded:
            return
        self._loaded = True
        from importlib.metadata import entry_points

        for point in entry_points(group=self.group):
            dist = point.dist
            owner = f"{dist.name} {dist.version}" if dist is not None else f"the entry point {point.value}"
            _loading.append(owner)
            try:
                loaded = point.load()
            except PluginError:
                raise
            except Exception as exc:  # a plugin that does not import is named, in one line
                message = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
                raise PluginError(f"{owner}: its {self.group} entry point {point.name} = {point.value} does not "
                                  f"load: {message}") from None
            finally:
                _loading.pop()
            if point.name in self._entries:
                if self._owners[point.name] != owner:  # the plugin names an entry someone else registered
                    raise PluginError(f"{self.kind} {point.name!r} is registered twice: by "
                                      f"{self._owners[point.name]} and by {owner}")
            elif not isinstance(loaded, ModuleType):  # an object that did not register itself
                _loading.append(owner)
                try:
                    self.register(point.name, loaded)
                finally:
                    _loading.pop()

    def get(self, name: str) -> T:
        """The entry called ``name``; an unknown name raises with the close matches."""
        self._load_builtins(name)
        if name not in self._entries:
            self._load()
        try:
            return self._entries[name]
        except KeyError:
            import difflib  # only for the message of a name not found

            close = difflib.get_close_matches(name, list(self._entries), 5, 0.5) or list(self._entries)
            raise UnknownNameError(self.kind, name, close) from None

    def names(self) -> list[str]:
        """Every registered name, in registration order."""
        self._load()
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        self._load_builtins(name if isinstance(name, str) else None)
        if name not in self._entries:
            self._load()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def items(self) -> list[tuple[str, T]]:
        """Every (name, entry) pair, in registration order."""
        self._load()
        return list(self._entries.items())
