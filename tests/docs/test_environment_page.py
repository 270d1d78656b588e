"""The environment-variable page in docs/ matches the settings classes."""

from __future__ import annotations

from regalsync.settings_docs import PAGE, render


def test_environment_page_is_current() -> None:
    """docs/environment.md lists exactly what the services read."""
    assert PAGE.read_text() == render(), (
        "docs/environment.md is stale: run `python -m regalsync.settings_docs`")
