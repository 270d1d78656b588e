"""Decide which Salesforce record a Regal event belongs to (SPEC I2).

The vendor guide's waterfall, step by step. Each step's candidates are
judged the same way:

- one Contact or Account (Person Accounts included) wins, whatever Leads
  were found beside it; no Contact/Account and exactly one Lead: it wins;
- several Contacts/Accounts, or no Contact/Account and several Leads:
  ambiguous;
- nothing: what follows depends on the step.

userId (when present and mapped): ambiguous is an error; nothing goes on.
Salesforce ids in traits (when present): nothing found is an error.
Phone (when present and mapped): nothing found creates a record unless
email may be used; ambiguity is an error unless email may be used. No
phone is an error unless email may be used.
Email (reached only when "use email" is on): without an email, or when it
finds none or several, an error; after an ambiguous phone step it only
chooses among that step's candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

PRIMARY_PREFIXES = {"003": "Contact", "001": "Account", "00Q": "Lead"}
STEPS = ("user_id", "salesforce_id", "phone", "email")


class Outcome(StrEnum):
    """Name what the waterfall concluded."""

    MATCHED = "matched"
    # Nothing matched and a record may be created (when the tenant allows).
    NO_MATCH = "no_match"
    AMBIGUOUS = "ambiguous"
    # Nothing matched and the guide says to log an error, not create.
    UNRESOLVED = "unresolved"


@dataclass(frozen=True)
class Candidate:
    """Hold one record a step found, with the fields read alongside."""

    object_type: str
    id: str
    fields: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_lead(self) -> bool:
        """Tell whether the candidate is a Lead (which yields to the others)."""
        return self.object_type == "Lead"


@dataclass(frozen=True)
class Decision:
    """Hold the outcome, the step that decided it and the candidates seen."""

    outcome: Outcome
    decided_by: str
    reason: str
    record: Candidate | None = None
    candidates: tuple[Candidate, ...] = ()


@dataclass
class Walk:
    """Carry one event through the steps; ``step`` is the next to search."""

    present: frozenset[str]
    use_email: bool
    step: str | None = None
    pool: tuple[Candidate, ...] | None = None
    decision: Decision | None = None
    trail: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)


def judge(candidates: Sequence[Candidate]) -> tuple[str, Candidate | None]:
    """Apply the per-step rule: ``matched``, ``ambiguous`` or ``none``."""
    unique = list(dict.fromkeys(candidates))
    primaries = [c for c in unique if not c.is_lead]
    leads = [c for c in unique if c.is_lead]
    if len(primaries) == 1:
        return "matched", primaries[0]
    if primaries:
        return "ambiguous", None
    if len(leads) == 1:
        return "matched", leads[0]
    if leads:
        return "ambiguous", None
    return "none", None


def start(present: frozenset[str], *, use_email: bool) -> Walk:
    """Begin a walk; ``present`` names the steps the event can be searched by."""
    walk = Walk(present, use_email)
    _enter(walk, "user_id")
    return walk


def record(walk: Walk, candidates: Sequence[Candidate]) -> None:
    """Apply the current step's candidates and move the walk on."""
    step = walk.step
    if step is None:
        raise ValueError("the walk is already decided")
    if step == "email" and walk.pool is not None:
        wanted = {c.id for c in candidates}
        candidates = [c for c in walk.pool if c.id in wanted]
    found = tuple(dict.fromkeys(candidates))
    walk.trail.append((step, tuple(c.id for c in found)))
    verdict, winner = judge(found)
    if verdict == "matched":
        _decide(walk, Decision(Outcome.MATCHED, step, "single_match", winner, found))
    elif step == "user_id":
        _after_user_id(walk, verdict, found)
    elif step == "salesforce_id":
        _after_ids(walk, verdict, found)
    elif step == "phone":
        _after_phone(walk, verdict, found)
    else:
        _after_email(walk, verdict, found)


def _after_user_id(walk: Walk, verdict: str, found: tuple[Candidate, ...]) -> None:
    if verdict == "ambiguous":
        _decide(walk, Decision(Outcome.AMBIGUOUS, "user_id", "several_records", None, found))
    else:
        _enter(walk, "salesforce_id")


def _after_ids(walk: Walk, verdict: str, found: tuple[Candidate, ...]) -> None:
    if verdict == "ambiguous":
        _decide(walk, Decision(Outcome.AMBIGUOUS, "salesforce_id", "several_records",
                               None, found))
    else:
        _decide(walk, Decision(Outcome.UNRESOLVED, "salesforce_id", "ids_not_found"))


def _after_phone(walk: Walk, verdict: str, found: tuple[Candidate, ...]) -> None:
    if walk.use_email:
        walk.pool = found if verdict == "ambiguous" else None
        _enter(walk, "email")
    elif verdict == "ambiguous":
        _decide(walk, Decision(Outcome.AMBIGUOUS, "phone", "several_records", None, found))
    else:
        _decide(walk, Decision(Outcome.NO_MATCH, "phone", "phone_not_found"))


def _after_email(walk: Walk, verdict: str, found: tuple[Candidate, ...]) -> None:
    if verdict == "ambiguous":
        _decide(walk, Decision(Outcome.AMBIGUOUS, "email", "several_records", None, found))
    else:
        _decide(walk, Decision(Outcome.UNRESOLVED, "email", "email_not_found"))


def _enter(walk: Walk, step: str) -> None:
    """Move to ``step``, applying the guide's rule for each absent identifier."""
    if step == "user_id" and "user_id" not in walk.present:
        step = "salesforce_id"
    if step == "salesforce_id" and "salesforce_id" not in walk.present:
        step = "phone"
    if step == "phone" and "phone" not in walk.present:
        if not walk.use_email:
            _decide(walk, Decision(Outcome.UNRESOLVED, "phone", "no_phone"))
            return
        step = "email"
    if step == "email" and "email" not in walk.present:
        if walk.pool:
            _decide(walk, Decision(Outcome.AMBIGUOUS, "phone", "no_email_to_narrow",
                                   None, walk.pool))
        else:
            _decide(walk, Decision(Outcome.UNRESOLVED, "email", "no_email"))
        return
    walk.step = step


def _decide(walk: Walk, decision: Decision) -> None:
    walk.step = None
    walk.decision = decision
