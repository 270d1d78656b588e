"""Decide which Salesforce record a Regal event belongs to.

The steps run in a fixed order: userId, Salesforce ids, phone, email. At
each step the candidates found are judged the same way:

- one Contact or Account (Person Accounts included) wins, whatever Leads
  were found beside it;
- no Contact or Account and exactly one Lead: the Lead wins;
- several Contacts/Accounts, or several Leads and nothing else: ambiguous;
- nothing: the next step.

An ambiguous phone step falls through to email when email may be used,
and the email step then only chooses among the phone step's candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

PRIMARY_PREFIXES = {"003": "Contact", "001": "Account", "00Q": "Lead"}


@dataclass(frozen=True)
class Candidate:
    object_type: str
    id: str
    fields: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_lead(self) -> bool:
        return self.object_type == "Lead"


@dataclass(frozen=True)
class StepResult:
    step: str
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class Decision:
    outcome: str  # matched | no_match | ambiguous
    decided_by: str
    record: Candidate | None = None
    candidates: tuple[Candidate, ...] = ()


def judge(candidates: Sequence[Candidate]) -> tuple[str, Candidate | None]:
    """Apply the per-step rule: matched, ambiguous or none."""
    unique = list(dict.fromkeys(candidates))
    primaries = [c for c in unique if not c.is_lead]
    leads = [c for c in unique if c.is_lead]
    if len(primaries) == 1:
        return "matched", primaries[0]
    if len(primaries) > 1:
        return "ambiguous", None
    if len(leads) == 1:
        return "matched", leads[0]
    if len(leads) > 1:
        return "ambiguous", None
    return "none", None


def decide(steps: Sequence[StepResult], *, use_email: bool) -> Decision:
    """Walk the steps in order and return the first decision."""
    ambiguous_phone: tuple[Candidate, ...] = ()
    last_ambiguous: StepResult | None = None
    for step in steps:
        candidates = step.candidates
        if step.step == "email" and not use_email:
            continue
        if step.step == "email" and ambiguous_phone:
            narrowed = {c.id for c in candidates}
            candidates = tuple(c for c in ambiguous_phone if c.id in narrowed)
        verdict, record = judge(candidates)
        if verdict == "matched":
            return Decision("matched", step.step, record, candidates)
        if verdict == "ambiguous":
            last_ambiguous = StepResult(step.step, candidates)
            if step.step == "phone" and use_email:
                ambiguous_phone = candidates
                continue
            return Decision("ambiguous", step.step, None, candidates)
    if last_ambiguous is not None:
        return Decision("ambiguous", last_ambiguous.step, None, last_ambiguous.candidates)
    return Decision("no_match", "none")
