"""Read a configuration document's structure, collecting every issue."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import yaml


@dataclass(frozen=True)
class ValidationIssue:
    """Say what is wrong and where, as a document path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '<document>'}: {self.message}"


class ConfigurationError(Exception):
    """Refuse a configuration document, listing every issue found."""

    def __init__(self, errors: Sequence[ValidationIssue], source: str = "") -> None:
        self.errors = list(errors)
        self.source = source
        where = f"{source}: " if source else ""
        lines = "; ".join(str(issue) for issue in self.errors)
        super().__init__(f"{where}invalid configuration: {lines}")


def load_document(text: str, source: str = "") -> object:
    """Parse YAML or JSON text into plain Python values."""
    stripped = text.lstrip()
    try:
        if stripped.startswith(("{", "[")):
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as error:
        issue = ValidationIssue("", f"not valid JSON: {error.msg} at line {error.lineno}")
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "syntax error"
        issue = ValidationIssue("", f"not valid YAML: {problem}{line}")
    raise ConfigurationError([issue], source)


def type_name(value: object) -> str:
    """Name a document value's type the way the messages do."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def child_path(path: str, key: str | int) -> str:
    """Extend a document path by a key or a list index."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if "." in key:
        return f'{path}["{key}"]'
    return f"{path}.{key}" if path else key


class Section:
    """Read the typed keys of one mapping in the document.

    Every read returns a usable value even when the document is wrong, so
    one pass reports all issues; the caller refuses the document if any.
    """

    def __init__(
        self,
        values: Mapping[str, object],
        path: str,
        issues: list[ValidationIssue],
        allowed: Collection[str],
    ) -> None:
        self.values = values
        self.path = path
        self.issues = issues
        for key in values:
            if key not in allowed:
                self.report(key, f'unknown key "{key}"')

    def at(self, key: str | int) -> str:
        """Return the document path of a key of this section."""
        return child_path(self.path, key)

    def report(self, key: str | int | None, message: str) -> None:
        """Record an issue at a key of this section (or the section itself)."""
        path = self.path if key is None else self.at(key)
        self.issues.append(ValidationIssue(path, message))

    def raw(self, key: str) -> object:
        """Return a key's value, with null meaning absent."""
        return self.values.get(key)

    def text(self, key: str, default: str | None = None) -> str | None:
        """Read an optional string."""
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, str):
            self.report(key, f"expected a string, got {type_name(value)}")
            return default
        return value

    def required_text(self, key: str) -> str:
        """Read a string that must be present and non-empty."""
        value = self.text(key)
        if value is None:
            if key not in self.values or self.values[key] is None:
                self.report(key, "is required")
            return ""
        if not value.strip():
            self.report(key, "must not be empty")
        return value

    def flag(self, key: str, default: bool) -> bool:
        """Read a boolean."""
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.report(key, f"expected a boolean, got {type_name(value)}")
            return default
        return value

    def integer(self, key: str, default: int, minimum: int) -> int:
        """Read an integer no smaller than ``minimum``."""
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.report(key, f"expected an integer, got {type_name(value)}")
            return default
        if value < minimum:
            self.report(key, f"must be at least {minimum}")
            return default
        return value

    def optional_integer(self, key: str, minimum: int) -> int | None:
        """Read an integer that may be left out (meaning off)."""
        if self.raw(key) is None:
            return None
        return self.integer(key, minimum, minimum)

    def number(self, key: str, default: float, low: float, high: float) -> float:
        """Read a number greater than ``low`` and at most ``high``."""
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.report(key, f"expected a number, got {type_name(value)}")
            return default
        if not low < value <= high:
            self.report(key, f"must be greater than {low:g} and at most {high:g}")
            return default
        return float(value)

    def choice(self, key: str, choices: Sequence[str], default: str | None) -> str | None:
        """Read one of a fixed set of strings."""
        value = self.raw(key)
        if value is None:
            if default is None:
                self.report(key, "is required")
            return default
        if value not in choices:
            self.report(key, f"must be one of: {', '.join(choices)}")
            return default
        return str(value)

    def section(self, key: str, allowed: Collection[str]) -> Section:
        """Open a nested mapping; an absent one reads as all defaults."""
        return open_section(self.raw(key), self.at(key), self.issues, allowed, {})

    def items(self, key: str) -> list[tuple[str, object]]:
        """Return the elements of a list with their document paths."""
        value = self.raw(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.report(key, f"expected a list, got {type_name(value)}")
            return []
        return [(child_path(self.at(key), i), item) for i, item in enumerate(value)]


def open_section(
    value: object,
    path: str,
    issues: list[ValidationIssue],
    allowed: Collection[str],
    absent: Mapping[str, object] | None = None,
) -> Section:
    """Wrap a value that must be a mapping; report it when it is not."""
    if value is None and absent is not None:
        return Section(absent, path, issues, allowed)
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        issues.append(ValidationIssue(path, f"expected a mapping, got {type_name(value)}"))
        return Section({}, path, issues, allowed)
    return Section(value, path, issues, allowed)
