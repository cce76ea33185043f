"""Registries: one small, explicit table per kind of extension (formats, importers, routes, commands).

The built-in entries register themselves with :meth:`Registry.register` where they are defined, so the core
keeps no list to edit; a third-party package adds its own through an ``importlib.metadata`` entry-point
group named ``iakg.<kind>`` whose objects are registered on first use (as rdflib's plugins and datasette's
hooks work). Command-line choices and help are read from the registries, never written by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from iakg.errors import UnknownNameError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Generic, TypeVar

    T = TypeVar("T")
else:  # at run time a registry needs no typing (a cold command does not import it): Registry[X] is in annotations only
    class Generic:
        """Stands in for ``typing.Generic`` at run time."""

        def __class_getitem__(cls, item: object) -> type:
            return cls

    T = None


class Registry(Generic[T]):
    """Named entries of one kind, in registration order; ``get`` suggests close names for a typo."""

    def __init__(self, kind: str, loader: Callable[[], object] | Sequence[str] | None = None):
        """``loader`` brings in the built-in entries: a function importing the modules that register them, or
        those modules' names, imported in order only as far as a wanted name needs (so running one command
        imports the module of that command, not every other)."""
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._loader = loader if callable(loader) else None
        self._modules = [] if loader is None or callable(loader) else list(loader)  # not imported yet
        self._loaded = False  # third-party entries (entry points) looked up
        self._builtins_loaded = False

    def register(self, name: str, entry: T) -> T:
        """Add ``entry`` under ``name`` (a name registered twice is a programming error)."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def _load_builtins(self, wanted: str | None = None) -> None:
        """Import the built-in modules (all of them, or only until ``wanted`` is registered)."""
        if self._loader is not None and not self._builtins_loaded:
            self._builtins_loaded = True
            self._loader()
        while self._modules and (wanted is None or wanted not in self._entries):
            import importlib

            importlib.import_module(self._modules.pop(0))

    def _load(self) -> None:
        """Built-in entries, then third-party ones (scanning entry points costs an import of
        importlib.metadata and a walk of every installed distribution: done only when needed)."""
        self._load_builtins()
        if self._loaded:
            return
        self._loaded = True
        from importlib.metadata import entry_points

        for point in entry_points(group=f"iakg.{self.kind.replace(' ', '_')}s"):
            if point.name not in self._entries:
                self.register(point.name, point.load())

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
