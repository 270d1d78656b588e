"""The waterfall's rules, step by step, without Salesforce (SPEC I2)."""

from __future__ import annotations

import pytest

from matcher_service.phones import phone_key, typed_variants
from matcher_service.waterfall import Candidate, Outcome, Walk, record, start

C1, C2 = Candidate("Contact", "003A"), Candidate("Contact", "003B")
L1, L2 = Candidate("Lead", "00QA"), Candidate("Lead", "00QB")
ALL = frozenset({"user_id", "salesforce_id", "phone", "email"})


def walk(present: frozenset[str], use_email: bool, *found: list[Candidate]) -> Walk:
    state = start(present, use_email=use_email)
    for candidates in found:
        record(state, candidates)
    return state


@pytest.mark.parametrize(("present", "use_email", "found", "outcome", "step", "winner"), [
    (ALL, False, [[C1]], Outcome.MATCHED, "user_id", C1),
    (ALL, False, [[L1, C1, L2]], Outcome.MATCHED, "user_id", C1),
    (ALL, False, [[C1, C2]], Outcome.AMBIGUOUS, "user_id", None),
    (ALL, False, [[L1, L2]], Outcome.AMBIGUOUS, "user_id", None),
    (ALL, False, [[], [L1, C1]], Outcome.MATCHED, "salesforce_id", C1),
    (ALL, False, [[], []], Outcome.UNRESOLVED, "salesforce_id", None),
    (frozenset({"phone"}), False, [[L1]], Outcome.MATCHED, "phone", L1),
    (frozenset({"phone"}), False, [[]], Outcome.NO_MATCH, "phone", None),
    (frozenset({"phone"}), False, [[C1, C2]], Outcome.AMBIGUOUS, "phone", None),
    (frozenset({"phone", "email"}), True, [[C1, C2], [C2]], Outcome.MATCHED, "email", C2),
    (frozenset({"phone", "email"}), True, [[C1, C2], [Candidate("Contact", "003Z")]],
     Outcome.UNRESOLVED, "email", None),
    (frozenset({"phone", "email"}), True, [[], [L1]], Outcome.MATCHED, "email", L1),
    (frozenset({"phone", "email"}), True, [[], []], Outcome.UNRESOLVED, "email", None),
    (frozenset({"phone", "email"}), True, [[], [C1, C2]], Outcome.AMBIGUOUS, "email", None),
    (frozenset({"phone"}), True, [[C1, C2]], Outcome.AMBIGUOUS, "phone", None),
    (frozenset({"phone"}), True, [[]], Outcome.UNRESOLVED, "email", None),
    (frozenset({"email"}), False, [], Outcome.UNRESOLVED, "phone", None),
    (frozenset({"email"}), True, [[C1]], Outcome.MATCHED, "email", C1),
])
def test_branch(present: frozenset[str], use_email: bool, found: list[list[Candidate]],
                outcome: Outcome, step: str, winner: Candidate | None) -> None:
    """Each branch of the guide's waterfall gives its outcome and deciding step."""
    decision = walk(present, use_email, *found).decision

    assert decision is not None
    assert (decision.outcome, decision.decided_by, decision.record) == (outcome, step, winner)


def test_phone_keys_ignore_formatting() -> None:
    """Every usual way of typing a number gives the same key."""
    typed = ["(856) 559-7961", "856.559.7961", "+1 856 559 7961", "8565597961", "18565597961"]

    assert {phone_key(t) for t in typed} == {"8565597961"}
    assert phone_key("12-34") is None


def test_typed_variants_cover_the_common_formats() -> None:
    """The fallback query asks for the formats people type."""
    variants = typed_variants(["8565597961"])

    assert {"(856) 559-7961", "856.559.7961", "+1 856 559 7961", "+18565597961"} <= set(
        variants)
