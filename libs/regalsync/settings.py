"""Typed, frozen settings read once from the environment.

A service declares its settings as a frozen dataclass whose fields carry a
description (:func:`setting`), then calls :func:`load_settings` once in
``main()``. Every variable is ``<prefix><FIELD_NAME>``; all bad variables
are reported in one :class:`SettingsError`, so an operator fixes them in
one pass.

Supported field types: ``str``, ``int``, ``float``, ``bool``, ``Path``,
``tuple[str, ...]`` (comma separated), ``Literal["a", "b"]`` and any of
these made optional with ``| None`` (an empty value then means ``None``).

The variables every service shares (:class:`CommonSettings`):

| variable                           | default                          |
|------------------------------------|----------------------------------|
| `REGALSYNC_LOG_FORMAT`             | `auto` (console on a TTY, else json) |
| `REGALSYNC_LOG_LEVEL`              | `info`                           |
| `REGALSYNC_STATE_DIR`              | `.state`                         |
| `REGALSYNC_STORAGE_URL`            | `sqlite:///<state dir>/regalsync.db` |
| `REGALSYNC_GRPC_HOST`              | `127.0.0.1` (`0.0.0.0` in a pod) |
| `REGALSYNC_GRPC_PORT`              | `50051`                          |
| `REGALSYNC_SHUTDOWN_GRACE_SECONDS` | `20`                             |
| `REGALSYNC_METRICS_PORT`           | unset: no metrics; `0`: any port |

:func:`settings_table` renders the same table, with descriptions, from the
field metadata; the README prints it.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

__all__ = [
    "CommonSettings",
    "SettingDoc",
    "SettingsError",
    "describe_settings",
    "doc",
    "load_settings",
    "load_settings_or_exit",
    "setting",
    "settings_table",
]

T = TypeVar("T")

DEFAULT_PREFIX = "REGALSYNC_"
EXIT_BAD_SETTINGS = 2  # the usual exit status for a usage error

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class SettingsError(ValueError):
    """Name every environment variable that is missing or unparsable."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        lines = [f"  {name}: {why}" for name, why in self.problems.items()]
        super().__init__("invalid configuration:\n" + "\n".join(lines))


@dataclass(frozen=True)
class SettingDoc:
    """One environment variable, as the README documents it."""

    variable: str
    type_name: str
    default: str
    description: str


def setting(
    default: Any = dataclasses.MISSING,
    *,
    description: str,
    shown_default: str | None = None,
) -> Any:
    """Declare a settings field with its description for the docs.

    ``shown_default`` replaces the default in the docs when the real one
    is derived from other settings. ruff's RUF009 cannot tell this is a
    field specifier when the field's type is not a plain str, int, float
    or bool; declare those with ``field(default=..., metadata=doc(...))``.
    """
    return dataclasses.field(
        default=default, metadata=doc(description, shown_default)
    )


def doc(description: str, shown_default: str | None = None) -> dict[str, Any]:
    """Return field metadata that documents a setting."""
    return {"description": description, "shown_default": shown_default}


def load_settings(
    cls: type[T],
    prefix: str = DEFAULT_PREFIX,
    environ: Mapping[str, str] | None = None,
) -> T:
    """Build ``cls`` from the environment, or raise one SettingsError."""
    env = os.environ if environ is None else environ
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for spec in _fields(cls):
        variable = prefix + spec.name.upper()
        kind = hints[spec.name]
        raw = env.get(variable)
        if raw is None:
            if not _has_default(spec):
                problems[variable] = f"missing (expected {_type_name(kind)})"
            continue
        try:
            values[spec.name] = _parse(raw, kind)
        except ValueError as error:
            problems[variable] = f"{error} (expected {_type_name(kind)})"
    if problems:
        raise SettingsError(problems)

    return cls(**values)


def load_settings_or_exit(
    cls: type[T],
    prefix: str = DEFAULT_PREFIX,
    environ: Mapping[str, str] | None = None,
) -> T:
    """Build ``cls``, or print every bad variable and exit with status 2.

    For ``main()``: an operator sees the list of problems, not a traceback.
    """
    try:
        return load_settings(cls, prefix, environ)
    except SettingsError as error:
        print(error, file=sys.stderr)  # logging is not configured yet
        raise SystemExit(EXIT_BAD_SETTINGS) from None


def describe_settings(
    cls: type[Any], prefix: str = DEFAULT_PREFIX
) -> list[SettingDoc]:
    """List every variable ``cls`` reads, with its default and meaning."""
    hints = typing.get_type_hints(cls)

    return [
        SettingDoc(
            variable=prefix + spec.name.upper(),
            type_name=_type_name(hints[spec.name]),
            default=_shown_default(spec),
            description=str(spec.metadata.get("description", "")),
        )
        for spec in _fields(cls)
    ]


def settings_table(cls: type[Any], prefix: str = DEFAULT_PREFIX) -> str:
    """Render the variables of ``cls`` as a Markdown table."""
    rows = ["| variable | type | default | description |", "|---|---|---|---|"]
    for entry in describe_settings(cls, prefix):
        rows.append(
            f"| `{entry.variable}` | {entry.type_name} | {entry.default} "
            f"| {entry.description} |"
        )

    return "\n".join(rows)


def _fields(cls: type[Any]) -> tuple[dataclasses.Field[Any], ...]:
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass")

    return tuple(f for f in dataclasses.fields(cls) if f.init)


def _has_default(spec: dataclasses.Field[Any]) -> bool:
    return (
        spec.default is not dataclasses.MISSING
        or spec.default_factory is not dataclasses.MISSING
    )


def _shown_default(spec: dataclasses.Field[Any]) -> str:
    shown = spec.metadata.get("shown_default")
    if shown is not None:
        return str(shown)
    if spec.default is not dataclasses.MISSING:
        return _format_default(spec.default)
    if spec.default_factory is not dataclasses.MISSING:
        return _format_default(spec.default_factory())

    return "(required)"


def _format_default(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value) or "(empty)"

    return str(value)


def _optional_inner(kind: Any) -> Any | None:
    """Return X for ``X | None`` (or ``Optional[X]``), else None."""
    if typing.get_origin(kind) not in (typing.Union, types.UnionType):
        return None
    args = [arg for arg in typing.get_args(kind) if arg is not type(None)]
    if len(args) != 1:
        raise TypeError(f"unsupported settings type {kind!r}")

    return args[0]


def _parse(raw: str, kind: Any) -> Any:
    inner = _optional_inner(kind)
    if inner is not None:
        return None if raw.strip() == "" else _parse(raw, inner)
    if typing.get_origin(kind) is Literal:
        return _parse_choice(raw, typing.get_args(kind))
    if typing.get_origin(kind) is tuple:
        return _parse_list(raw, kind)
    parser = _PARSERS.get(kind)
    if parser is None:
        raise TypeError(f"unsupported settings type {kind!r}")

    return parser(raw)


def _parse_int(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError(f"{raw!r} is not a whole number") from None


def _parse_float(raw: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        raise ValueError(f"{raw!r} is not a number") from None


def _parse_bool(raw: str) -> bool:
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False

    raise ValueError(f"{raw!r} is not a boolean")


def _parse_path(raw: str) -> Path:
    if raw.strip() == "":
        raise ValueError("empty path")

    return Path(raw.strip()).expanduser()


def _parse_choice(raw: str, choices: tuple[Any, ...]) -> str:
    word = raw.strip().lower()
    if word not in choices:
        raise ValueError(f"{raw!r} is not an allowed value")

    return word


def _parse_list(raw: str, kind: Any) -> tuple[str, ...]:
    if typing.get_args(kind) != (str, ...):
        raise TypeError(f"unsupported settings type {kind!r}")

    return tuple(item.strip() for item in raw.split(",") if item.strip())


_PARSERS: Mapping[Any, Callable[[str], Any]] = types.MappingProxyType(
    {
        str: str,
        int: _parse_int,
        float: _parse_float,
        bool: _parse_bool,
        Path: _parse_path,
    }
)


def _type_name(kind: Any) -> str:
    inner = _optional_inner(kind)
    if inner is not None:
        return f"{_type_name(inner)}, optional"
    if typing.get_origin(kind) is Literal:
        return "one of " + ", ".join(str(c) for c in typing.get_args(kind))
    if typing.get_origin(kind) is tuple:
        return "comma-separated list"
    names = {str: "string", int: "integer", float: "number",
             bool: "boolean (true/false)", Path: "path"}

    return names.get(kind, getattr(kind, "__name__", str(kind)))


LogFormat = Literal["auto", "json", "console"]
LogLevel = Literal["debug", "info", "warning", "error", "critical"]


@dataclass(frozen=True, kw_only=True)
class CommonSettings:
    """Hold the settings every regal-sync service shares.

    A service extends it with its own fields
    (``@dataclass(frozen=True, kw_only=True)``) and loads the subclass.
    """

    log_format: LogFormat = field(
        default="auto",
        metadata=doc("Log renderer: console on a terminal, else JSON."),
    )
    log_level: LogLevel = field(
        default="info", metadata=doc("Lowest level logged.")
    )
    state_dir: Path = field(
        default=Path(".state"), metadata=doc("Directory for local state.")
    )
    storage_url: str = field(
        default="",
        metadata=doc(
            "sqlite:///<file> or postgresql://user:pass@host/db.",
            shown_default="sqlite:///<state dir>/regalsync.db",
        ),
    )
    grpc_host: str = field(
        default="127.0.0.1",
        metadata=doc("Address the gRPC server binds (0.0.0.0 in a pod)."),
    )
    grpc_port: int = field(
        default=50051, metadata=doc("Port the gRPC server binds.")
    )
    shutdown_grace_seconds: float = field(
        default=20.0,
        metadata=doc("Seconds to drain in-flight work after SIGTERM."),
    )
    metrics_port: int | None = field(
        default=None,
        metadata=doc("Prometheus /metrics port; unset disables, 0 = any."),
    )

    def __post_init__(self) -> None:
        # The default database lives in the state dir, known only now.
        if not self.storage_url:
            database = self.state_dir.absolute() / "regalsync.db"
            object.__setattr__(self, "storage_url", f"sqlite:///{database}")
