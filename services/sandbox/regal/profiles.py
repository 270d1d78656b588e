"""Profiles of one account, kept the way Regal keeps them.

Identity rules: an event finds its profile by phone, then email, then
userId; a phone belongs to one profile only, so an event never moves a phone
away from the profile that holds it. Emails may be shared; the oldest
profile with the address wins. The userId follows the latest event, which is
how a converted Lead's profile takes the new record's id.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sandbox.regal.validation import Channel, OptIn, RegalEvent

# JSON values that need no copy: nothing can change them in place.
_IMMUTABLE_JSON = (str, int, float, bool, type(None))


@dataclass
class Subscription:
    subscribed: bool
    timestamp: str | None
    source: str | None = None
    ip: str | None = None
    text: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the subscription as the inspection API shows it."""
        return {
            "subscribed": self.subscribed, "timestamp": self.timestamp,
            "source": self.source, "ip": self.ip, "text": self.text,
        }


@dataclass
class PhoneRecord:
    number: str
    label: str | None = None
    voice: Subscription | None = None
    sms: Subscription | None = None


@dataclass
class EmailRecord:
    address: str
    label: str | None = None
    email: Subscription | None = None


@dataclass
class TimelineEntry:
    received_at: float
    name: str
    origin: str
    event_index: int | None
    properties: dict[str, Any]
    notes: list[str]

    def to_json(self) -> dict[str, Any]:
        """Return the entry as the inspection API shows it."""
        return {
            "received_at": self.received_at, "name": self.name,
            "origin": self.origin, "event_index": self.event_index,
            "properties": self.properties, "notes": self.notes,
        }


@dataclass
class Profile:
    profile_id: str
    created_at: float
    user_id: str | None = None
    phones: dict[str, PhoneRecord] = field(default_factory=dict)
    primary_phone: str | None = None
    emails: dict[str, EmailRecord] = field(default_factory=dict)
    primary_email: str | None = None
    traits: dict[str, Any] = field(default_factory=dict)
    timeline: list[TimelineEntry] = field(default_factory=list)

    def subscribe(self, channel: Channel, state: Subscription) -> bool:
        """Set ``channel`` on the primary phone or email; False if there is none."""
        if channel == "email":
            if self.primary_email is None:
                return False
            self.emails[self.primary_email].email = state
            return True
        if self.primary_phone is None:
            return False
        setattr(self.phones[self.primary_phone], channel, state)
        return True

    def to_json(self) -> dict[str, Any]:
        """Return the profile as the inspection API shows it."""
        return {
            "profile_id": self.profile_id,
            "userId": self.user_id,
            "phone": self.primary_phone,
            "email": self.primary_email,
            "phones": {n: _phone_json(r, n == self.primary_phone)
                       for n, r in self.phones.items()},
            "emails": {a: _email_json(r, a == self.primary_email)
                       for a, r in self.emails.items()},
            "traits": self.traits,
            "subscriptions": self._subscriptions(),
            "timeline": [entry.to_json() for entry in self.timeline],
        }

    def _subscriptions(self) -> dict[str, Any]:
        """Return the primary phone's and email's state per channel."""
        phone = self.phones.get(self.primary_phone or "")
        email = self.emails.get(self.primary_email or "")
        states = {
            "voice": phone.voice if phone else None,
            "sms": phone.sms if phone else None,
            "email": email.email if email else None,
        }
        return {ch: s.to_json() if s else None for ch, s in states.items()}


def _phone_json(record: PhoneRecord, primary: bool) -> dict[str, Any]:
    return {
        "isPrimary": primary, "label": record.label,
        "voice": record.voice.to_json() if record.voice else None,
        "sms": record.sms.to_json() if record.sms else None,
    }


def _email_json(record: EmailRecord, primary: bool) -> dict[str, Any]:
    return {
        "isPrimary": primary, "label": record.label,
        "email": record.email.to_json() if record.email else None,
    }


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> None:
    """Merge ``update`` into ``base``: objects merge key by key, others replace."""
    for key, value in update.items():
        current = base.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            deep_merge(current, value)
        elif isinstance(value, _IMMUTABLE_JSON):
            base[key] = value
        else:
            # Lists and objects are copied: later merges must not change the body
            # they came from, which the event log still shows.
            base[key] = copy.deepcopy(value)


@dataclass(frozen=True)
class Applied:
    profile: Profile
    created: bool
    notes: tuple[str, ...]


class ProfileStore:
    """Hold one account's profiles and apply events to them."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._profiles: dict[str, Profile] = {}
        # Indexes, so that finding a profile does not scan them all. Only this
        # class changes phones, emails and userIds, which keeps them exact.
        self._owner_of_phone: dict[str, str] = {}
        self._holder_of_user_id: dict[str, str] = {}
        self._oldest_with_email: dict[str, str] = {}
        self._age_rank: dict[str, int] = {}

    def __iter__(self) -> Iterator[Profile]:
        return iter(list(self._profiles.values()))

    def __len__(self) -> int:
        return len(self._profiles)

    def get(self, profile_id: str) -> Profile | None:
        """Return the profile with this id, if any."""
        return self._profiles.get(profile_id)

    def by_phone(self, number: str) -> Profile | None:
        """Return the one profile holding ``number`` (E.164), if any."""
        owner = self._owner_of_phone.get(number)
        return self._profiles[owner] if owner else None

    def by_email(self, address: str) -> Profile | None:
        """Return the oldest profile holding ``address``, if any."""
        holder = self._oldest_with_email.get(address)
        return self._profiles[holder] if holder else None

    def by_user_id(self, user_id: str) -> Profile | None:
        """Return the profile whose userId is ``user_id``, if any."""
        holder = self._holder_of_user_id.get(user_id)
        return self._profiles[holder] if holder else None

    def find(self, event: RegalEvent) -> Profile | None:
        """Return the event's profile: by phone, then email, then userId."""
        for phone in event.phones:
            if found := self.by_phone(phone.number):
                return found
        for email in event.emails:
            if found := self.by_email(email.address):
                return found
        return self.by_user_id(event.user_id) if event.user_id else None

    def apply(self, event: RegalEvent, event_index: int | None) -> Applied:
        """Find or create the event's profile, update it and log the event."""
        profile = self.find(event)
        created = profile is None
        if profile is None:
            profile = self._create()
        notes: list[str] = []
        if event.user_id:
            self._assign_user_id(profile, event.user_id, notes)
        self._add_phones(profile, event, notes)
        self._add_emails(profile, event)
        for opt_in in event.opt_ins:
            self._apply_opt_in(profile, opt_in, event, notes)
        deep_merge(profile.traits, event.traits)
        self.record(profile, event.name or "identify", "events_api",
                    event_index, event.properties, notes)
        return Applied(profile, created, tuple(notes))

    def record(
        self, profile: Profile, name: str, origin: str, event_index: int | None,
        properties: dict[str, Any], notes: list[str] | None = None,
    ) -> None:
        """Append one entry to the profile's timeline."""
        profile.timeline.append(TimelineEntry(
            self._clock(), name, origin, event_index,
            copy.deepcopy(properties), notes or [],
        ))

    def _create(self) -> Profile:
        profile = Profile(profile_id=str(uuid.uuid4()), created_at=self._clock())
        self._age_rank[profile.profile_id] = len(self._profiles)
        self._profiles[profile.profile_id] = profile
        return profile

    def _assign_user_id(self, profile: Profile, user_id: str, notes: list[str]) -> None:
        holder = self.by_user_id(user_id)
        if holder is not None and holder is not profile:
            # A userId names one profile; the latest event decides which.
            holder.user_id = None
            notes.append(f"userId taken from profile {holder.profile_id}")
        if profile.user_id is not None and profile.user_id != user_id:
            # The profile's previous userId now names no profile.
            self._holder_of_user_id.pop(profile.user_id, None)
        profile.user_id = user_id
        self._holder_of_user_id[user_id] = profile.profile_id

    def _add_phones(self, profile: Profile, event: RegalEvent, notes: list[str]) -> None:
        for phone in event.phones:
            owner = self._owner_of_phone.get(phone.number)
            if owner is not None and owner != profile.profile_id:
                notes.append(f"phone kept by profile {owner}")
                continue
            self._owner_of_phone[phone.number] = profile.profile_id
            record = profile.phones.setdefault(phone.number, PhoneRecord(phone.number))
            record.label = phone.label or record.label
            if phone.voice_opt_in is not None:
                record.voice = Subscription(phone.voice_opt_in, None, "phones")
            if phone.sms_opt_in is not None:
                record.sms = Subscription(phone.sms_opt_in, None, "phones")
            if phone.is_primary or profile.primary_phone is None:
                profile.primary_phone = phone.number

    def _add_emails(self, profile: Profile, event: RegalEvent) -> None:
        for email in event.emails:
            if email.address not in profile.emails:
                self._note_email_holder(profile, email.address)
            record = profile.emails.setdefault(email.address, EmailRecord(email.address))
            record.label = email.label or record.label
            if email.email_opt_in is not None:
                record.email = Subscription(email.email_opt_in, None, "emails")
            if email.is_primary or profile.primary_email is None:
                profile.primary_email = email.address

    def _note_email_holder(self, profile: Profile, address: str) -> None:
        """Index ``profile`` for ``address`` unless an older profile holds it."""
        holder = self._oldest_with_email.get(address)
        rank = self._age_rank
        if holder is None or rank[profile.profile_id] < rank[holder]:
            self._oldest_with_email[address] = profile.profile_id

    def _apply_opt_in(
        self, profile: Profile, opt_in: OptIn, event: RegalEvent, notes: list[str],
    ) -> None:
        if opt_in.timestamp is None:
            # Partner docs warn that Regal may drop these; the sandbox does.
            notes.append(f"optIn {opt_in.channel} ignored: no timestamp")
            return
        state = Subscription(opt_in.subscribed, opt_in.timestamp, opt_in.source,
                             opt_in.ip, opt_in.text)
        if opt_in.channel == "email":
            email = event.primary_email
            if email is None:
                notes.append("optIn email ignored: no email in the event")
                return
            profile.emails[email.address].email = state
            return
        phone = event.primary_phone
        if phone is None or phone.number not in profile.phones:
            notes.append(f"optIn {opt_in.channel} ignored: no phone of this profile")
            return
        setattr(profile.phones[phone.number], opt_in.channel, state)
