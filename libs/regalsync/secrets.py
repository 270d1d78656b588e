"""Resolve ``${NAME}`` references to secret values at the moment of use.

Configuration never holds a secret in plain text: it holds ``${NAME}``,
read from the environment variable NAME, else from the file NAME inside
the secrets directory (Kubernetes mounts Secrets as files).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from regalsync.errors import InvalidInput

_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class MissingSecret(InvalidInput):
    """A ``${NAME}`` reference that neither the environment nor a file holds."""


def is_reference(value: str) -> bool:
    """Tell whether ``value`` is a ``${NAME}`` reference."""
    return _REFERENCE.match(value) is not None


def resolve(value: str, *, secrets_dir: Path | None = None,
            environ: Mapping[str, str] | None = None) -> str:
    """Return the secret ``value`` refers to, or ``value`` if it is literal."""
    match = _REFERENCE.match(value)
    if match is None:
        return value
    name = match[1]
    env = os.environ if environ is None else environ
    if name in env:
        return env[name]
    if secrets_dir is not None and (secrets_dir / name).is_file():
        return (secrets_dir / name).read_text().strip()
    raise MissingSecret(f"secret {name} is not set (environment or secrets directory)")
