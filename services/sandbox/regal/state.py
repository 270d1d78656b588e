"""Everything one sandbox process holds: accounts, events, faults, deliveries."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.regal.catalog import ProfileActivity
from sandbox.regal.faults import FaultPlan
from sandbox.regal.profiles import ProfileStore
from sandbox.regal.rate_limit import SlidingWindowLimiter
from sandbox.regal.settings import SandboxSettings
from sandbox.regal.webhooks import WebhookDispatcher, WebhookSubscription


def account_id_for(api_key: str) -> str:
    """Return a stable, loggable name for the account behind ``api_key``."""
    return "acct_" + hashlib.sha256(api_key.encode()).hexdigest()[:10]


@dataclass
class Account:
    """Hold one Regal account: its key, profiles and webhook receivers."""

    api_key: str
    brand: str
    profiles: ProfileStore
    webhooks: dict[str, WebhookSubscription] = field(default_factory=dict)
    activity: dict[str, ProfileActivity] = field(default_factory=dict)

    @functools.cached_property
    def account_id(self) -> str:
        """Return the account's loggable name, hashed once as every event uses it."""
        return account_id_for(self.api_key)

    def activity_of(self, profile_id: str) -> ProfileActivity:
        """Return what triggers did for this profile so far."""
        return self.activity.setdefault(profile_id, ProfileActivity())


@dataclass(frozen=True)
class ReceivedEvent:
    index: int
    received_at: str
    account_id: str
    api_key: str
    headers: dict[str, str]
    body: Any

    def to_json(self) -> dict[str, Any]:
        """Return the event as ``GET /sandbox/events`` lists it."""
        return {"index": self.index, "received_at": self.received_at,
                "account_id": self.account_id, "headers": self.headers,
                "body": self.body}


class SandboxState:
    """Hold the state of one sandbox process; reset empties it."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        keys = settings.api_keys or (secrets.token_hex(16),)
        self.accounts = {key: self._new_account(key) for key in keys}
        self.events: list[ReceivedEvent] = []
        self.faults = FaultPlan()
        self.limiter = SlidingWindowLimiter(settings.rate_limit, time.monotonic)
        self.dispatcher = WebhookDispatcher(time.time)
        self._webhook_ids = itertools.count(1)

    @property
    def api_keys(self) -> list[str]:
        """Return the accounts' keys in the order they were configured."""
        return list(self.accounts)

    def account_for_key(self, api_key: str | None) -> Account | None:
        """Return the account this key opens, if any."""
        return self.accounts.get(api_key) if api_key else None

    def record_event(self, account: Account, headers: dict[str, str], body: Any) -> int:
        """Keep an accepted event for inspection; return its index."""
        index = len(self.events)
        received_at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        self.events.append(ReceivedEvent(
            index, received_at.replace("+00:00", "Z"), account.account_id,
            account.api_key, headers, body))
        return index

    def next_webhook_id(self) -> str:
        """Return a fresh webhook subscription id."""
        return f"webhook-{next(self._webhook_ids)}"

    def reset(self, *, keep_webhooks: bool) -> None:
        """Forget events, profiles, faults and deliveries; keep the accounts."""
        self.faults.clear()
        self.faults.abort()
        self.limiter.reset()
        self.events = []
        self.dispatcher.forget()
        for key, account in list(self.accounts.items()):
            fresh = self._new_account(key)
            if keep_webhooks:
                fresh.webhooks = account.webhooks
            self.accounts[key] = fresh

    def _new_account(self, api_key: str) -> Account:
        return Account(api_key, self.settings.brand, ProfileStore(time.time))
