"""Typed, frozen settings from the environment, failing fast and clearly."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from regalsync.settings import (
    CommonSettings,
    SettingsError,
    describe_settings,
    doc,
    load_settings,
    load_settings_or_exit,
    setting,
    settings_table,
)


@dataclass(frozen=True, kw_only=True)
class SampleSettings(CommonSettings):
    """A service's settings on top of the common ones."""

    api_url: str = setting(description="Base URL of the API.")
    batch_size: int = field(default=50, metadata=doc("Events per batch."))
    rate: float = field(default=1.5, metadata=doc("Calls per second."))
    dry_run: bool = field(default=False, metadata=doc("Log instead of send."))
    ca_bundle: Path | None = field(default=None, metadata=doc("CA file."))
    tenants: tuple[str, ...] = field(default=(), metadata=doc("Tenant ids."))
    mode: Literal["fast", "safe"] = field(default="safe", metadata=doc("Mode."))


def load(**env: str) -> SampleSettings:
    return load_settings(SampleSettings, environ=env)


class TestParsing:
    def test_defaults_apply(self) -> None:
        """Unset variables take their documented defaults."""
        settings = load(REGALSYNC_API_URL="https://api.test")

        assert settings.batch_size == 50
        assert settings.shutdown_grace_seconds == 20.0
        assert settings.ca_bundle is None
        assert settings.tenants == ()

    def test_every_type_parsed(self) -> None:
        """Each supported type is read from its text form."""
        settings = load(
            REGALSYNC_API_URL="https://api.test",
            REGALSYNC_BATCH_SIZE="200",
            REGALSYNC_RATE="0.25",
            REGALSYNC_DRY_RUN="yes",
            REGALSYNC_CA_BUNDLE="/etc/ca.pem",
            REGALSYNC_TENANTS="acme, globex,",
            REGALSYNC_MODE="FAST",
        )

        assert settings.batch_size == 200
        assert settings.rate == 0.25
        assert settings.dry_run is True
        assert settings.ca_bundle == Path("/etc/ca.pem")
        assert settings.tenants == ("acme", "globex")
        assert settings.mode == "fast"

    def test_empty_optional_is_none(self) -> None:
        """An empty value for an optional setting means unset."""
        settings = load(REGALSYNC_API_URL="x", REGALSYNC_CA_BUNDLE="")

        assert settings.ca_bundle is None

    def test_prefix_selects_variables(self) -> None:
        """A service-specific prefix reads its own variables."""
        env = {"MAPPING_API_URL": "https://m.test", "MAPPING_BATCH_SIZE": "7"}
        settings = load_settings(SampleSettings, "MAPPING_", env)

        assert settings.batch_size == 7

    def test_settings_frozen(self) -> None:
        """Settings cannot change after start-up."""
        settings = load(REGALSYNC_API_URL="x")

        with pytest.raises(dataclasses.FrozenInstanceError):
            settings.batch_size = 1  # type: ignore[misc]


class TestErrors:
    def test_every_bad_variable_named(self) -> None:
        """One error lists every missing or unparsable variable and its type."""
        with pytest.raises(SettingsError) as caught:
            load(
                REGALSYNC_BATCH_SIZE="lots",
                REGALSYNC_DRY_RUN="maybe",
                REGALSYNC_LOG_FORMAT="xml",
            )

        message = str(caught.value)
        assert "REGALSYNC_API_URL: missing (expected string)" in message
        assert "REGALSYNC_BATCH_SIZE: 'lots' is not a whole number" in message
        assert "(expected integer)" in message
        assert "REGALSYNC_DRY_RUN: 'maybe' is not a boolean" in message
        assert "one of auto, json, console" in message
        assert set(caught.value.problems) == {
            "REGALSYNC_API_URL",
            "REGALSYNC_BATCH_SIZE",
            "REGALSYNC_DRY_RUN",
            "REGALSYNC_LOG_FORMAT",
        }


    def test_or_exit_prints_problems(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """main() can exit with status 2 and the list, not a traceback."""
        with pytest.raises(SystemExit) as caught:
            load_settings_or_exit(SampleSettings, environ={})

        assert caught.value.code == 2
        assert "REGALSYNC_API_URL: missing" in capsys.readouterr().err


class TestCommonSettings:
    def test_storage_defaults_to_sqlite_in_state_dir(self, tmp_path: Path) -> None:
        """Without a storage URL, SQLite lives in the state directory."""
        env = {"REGALSYNC_STATE_DIR": str(tmp_path)}
        settings = load_settings(CommonSettings, environ=env)

        assert settings.storage_url == f"sqlite:///{tmp_path}/regalsync.db"

    def test_storage_url_kept_when_set(self) -> None:
        """An explicit storage URL is used as given."""
        url = "postgresql://sync:pw@db:5432/regal"
        settings = load_settings(
            CommonSettings, environ={"REGALSYNC_STORAGE_URL": url}
        )

        assert settings.storage_url == url


class TestDocs:
    def test_every_variable_described(self) -> None:
        """The docs list each variable with its default and description."""
        docs = {entry.variable: entry for entry in describe_settings(SampleSettings)}

        assert docs["REGALSYNC_BATCH_SIZE"].default == "50"
        assert docs["REGALSYNC_API_URL"].default == "(required)"
        assert docs["REGALSYNC_STORAGE_URL"].default.startswith("sqlite:///")
        assert all(entry.description for entry in docs.values())

    def test_table_has_a_row_per_variable(self) -> None:
        """The Markdown table has a header, a rule and one row each."""
        table = settings_table(SampleSettings).splitlines()

        assert len(table) == 2 + len(describe_settings(SampleSettings))
        assert "`REGALSYNC_METRICS_PORT`" in "\n".join(table)
