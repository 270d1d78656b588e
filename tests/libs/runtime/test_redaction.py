"""Logs never carry phones, e-mails, names or secrets; ids stay readable."""

from __future__ import annotations

import logging

import pytest
import structlog
from conftest import LogCapture

PHONES = [
    "+14155550100",
    "+1 (415) 555-0100",
    "(415) 555-0100",
    "415.555.0100",
    "415-555-0100",
    "+44 20 7946 0958",
    "4155550100",
]
IDS = [
    "003Dn00000ABCDeIAP",  # 18-char Salesforce id
    "a0B1234567890AB",  # 15-char Salesforce id with a long digit run
    "9f1c2e3d4b5a69788796a5b4c3d2e1f0",  # 32-hex Regal event id
    "123e4567-e89b-12d3-a456-426614174000",  # UUID
    "12345678-1234-1234-1234-123456789012",  # all-digit UUID
]


def log_one(**fields: object) -> None:
    structlog.get_logger("test").info("sample", **fields)


class TestPhones:
    @pytest.mark.parametrize("phone", PHONES)
    def test_phone_value_masked(self, logs: LogCapture, phone: str) -> None:
        """A phone number in any common format is masked."""
        log_one(to=phone)

        [line] = logs.events("sample")
        assert line["to"] == "[phone]"

    def test_phone_inside_text_masked(self, logs: LogCapture) -> None:
        """A phone number inside free text is masked, the text kept."""
        log_one(detail="no match for +1 415-555-0100 in tenant acme")

        [line] = logs.events("sample")
        assert line["detail"] == "no match for [phone] in tenant acme"


class TestEmails:
    def test_email_inside_text_masked(self, logs: LogCapture) -> None:
        """E-mail addresses are masked wherever they appear."""
        log_one(detail="duplicate jane.doe+vip@example.co.uk found")

        [line] = logs.events("sample")
        assert line["detail"] == "duplicate [email] found"


class TestNames:
    @pytest.mark.parametrize(
        "key", ["first_name", "LastName", "name", "full_name", "agent_fullname"]
    )
    def test_name_keys_masked(self, logs: LogCapture, key: str) -> None:
        """Values under personal-name keys are masked."""
        log_one(**{key: "Jane Doe"})

        [line] = logs.events("sample")
        assert line[key] == "[name]"
        assert "Jane" not in logs.text


class TestSecrets:
    @pytest.mark.parametrize(
        "key",
        ["access_token", "refresh_token", "client_secret", "password", "api_key",
         "Authorization", "private_key", "assertion", "key"],
    )
    def test_secret_keys_masked(self, logs: LogCapture, key: str) -> None:
        """Values under secret-looking keys are masked."""
        log_one(**{key: "s3cr3t-value"})

        [line] = logs.events("sample")
        assert line[key] == "[secret]"

    def test_dsn_password_masked(self, logs: LogCapture) -> None:
        """The password in a connection URL is masked, the host kept."""
        log_one(storage_url="postgresql://sync:hunter2@db:5432/regal")

        [line] = logs.events("sample")
        assert line["storage_url"] == "postgresql://sync:[secret]@db:5432/regal"

    def test_bearer_token_in_text_masked(self, logs: LogCapture) -> None:
        """A bearer token quoted in a message is masked."""
        log_one(detail="sent Authorization: Bearer 00Dxx0000001gPL!AR8AQJXg")

        [line] = logs.events("sample")
        assert "AR8AQJXg" not in line["detail"]


class TestNesting:
    def test_nested_structures_masked(self, logs: LogCapture) -> None:
        """Dicts inside lists inside dicts are masked all the way down."""
        log_one(
            record={
                "Id": "003Dn00000ABCDeIAP",
                "contacts": [{"FirstName": "Jane", "Phone": "4155550100"}],
                "auth": {"refresh_token": "abc"},
            }
        )

        [line] = logs.events("sample")
        assert line["record"] == {
            "Id": "003Dn00000ABCDeIAP",
            "contacts": [{"FirstName": "[name]", "Phone": "[phone]"}],
            "auth": {"refresh_token": "[secret]"},
        }


class TestIds:
    @pytest.mark.parametrize("identifier", IDS)
    def test_ids_left_intact(self, logs: LogCapture, identifier: str) -> None:
        """Salesforce ids, event ids and UUIDs are not mistaken for phones."""
        log_one(record_id=identifier, detail=f"matched {identifier}")

        [line] = logs.events("sample")
        assert line["record_id"] == identifier
        assert line["detail"] == f"matched {identifier}"

    def test_timestamps_and_addresses_intact(self, logs: LogCapture) -> None:
        """Dates, times and IP addresses are not mistaken for phones."""
        text = "at 2024-01-15T10:30:00.123456+00:00 from 192.168.100.200:5432"
        log_one(detail=text)

        [line] = logs.events("sample")
        assert line["detail"] == text


class TestLibraryLogs:
    def test_stdlib_records_redacted(self, logs: LogCapture) -> None:
        """Lines from libraries (stdlib logging) get the same masking."""
        logging.getLogger("aiohttp.server").warning("bad body from %s", "a@b.io")

        [line] = logs.events("bad body from [email]")
        assert line["logger"] == "aiohttp.server"
        assert line["level"] == "warning"
