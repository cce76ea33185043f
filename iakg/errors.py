"""The library's own exceptions; each carries what a person needs to fix the problem."""

from __future__ import annotations


class KGError(Exception):
    """Base class of every error the library raises on purpose."""

    exit_code = 2


class InputError(KGError):
    """A file cannot be read or parsed."""

    def __init__(self, path: str, message: str, line: int | None = None, column: int | None = None):
        self.path, self.line, self.column, self.message = path, line, column, message
        where = path if line is None else f"{path}:{line}:{column or 0}"
        super().__init__(f"{where}: {message}")


class Problem:
    """One located problem of an input table: file, row and column (1-based; 0 for a problem of the whole file,
    such as a file that does not exist), the cell's text, a message."""

    def __init__(self, path: str, row: int, column: int, text: str, message: str):
        self.path, self.row, self.column, self.text, self.message = path, row, column, text, message

    def __str__(self) -> str:
        cell = f" (cell: {self.text!r})" if self.text else ""
        where = f"{self.path}:{self.row}:{self.column}" if self.row else self.path
        return f"{where}: {self.message}{cell}"


class TableError(KGError):
    """An authoring table has located problems (``problems``); nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [str(p) for p in problems[:50]]
        if len(problems) > 50:
            lines.append(f"... and {len(problems) - 50} more")
        super().__init__(f"{len(problems)} problem(s) in the table; nothing was written\n" + "\n".join(lines))


class UnknownNameError(KGError):
    """A name (scenario, procedure, query...) matches nothing; ``matches`` holds the closest names."""

    def __init__(self, kind: str, name: str, matches: list[str], where: str = ""):
        self.kind, self.name, self.matches = kind, name, matches
        hint = ("; did you mean: " + ", ".join(matches)) if matches else ""
        super().__init__(f"{where}{': ' if where else ''}unknown {kind} {name!r}{hint}")


class AmbiguousNameError(UnknownNameError):
    """A name matches several resources; ``matches`` lists them."""

    def __init__(self, kind: str, name: str, matches: list[str]):
        KGError.__init__(self, f"{kind} {name!r} is ambiguous; it matches: " + ", ".join(matches))
        self.kind, self.name, self.matches = kind, name, matches


class ValidationError(KGError):
    """The graph does not conform to the shapes; ``report`` lists the violations."""

    exit_code = 1

    def __init__(self, report):
        self.report = report
        super().__init__(f"{len(report.violations)} SHACL violation(s)")


class ParameterError(KGError):
    """A parameter value is missing, unknown or of the wrong type."""


class BindingError(KGError):
    """A value or variable name cannot be bound, or the query has no WHERE group to bind into."""


class QueryError(KGError):
    """The query text is not valid SPARQL, or the engine refused it."""

    position: tuple[int, int, str] | None = None  # (line, column, message) of a parse error, when known


class ReasoningError(KGError):
    """The OWL RL closure was stopped (it ran past its time bound)."""


class NetworkAccessError(KGError):
    """Something tried to reach a host nobody asked for."""


class DoseError(KGError):
    """A plan's years, interval or population is not usable."""


class PluginError(KGError):
    """A plugin (an entry point of another distribution) does not load, or claims a name already taken."""


class CdsRequestError(KGError):
    """A CDS Hooks request the service cannot answer; ``status`` is the HTTP status to send."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
