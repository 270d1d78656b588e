"""The primary-object specification holds with Leads and Contacts polled (SPEC O1).

The test classes of ``test_outbound_primary`` run again here against a
suite whose configuration reads Leads and Contacts by polling
``SystemModstamp`` instead of subscribing to their change events.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from outbound_support import apply_configuration
from suite_harness import SuiteHandle, running_suite
from test_outbound_primary import (
    TestLoopsAndConversion,
    TestPrimaryCreated,
    TestPrimaryUpdated,
    primary_configuration,
)

pytestmark = pytest.mark.e2e

POLLING = {"objects": {"Lead": "polling", "Contact": "polling"},
           "polling_interval_seconds": 0.5}
__all__ = ["TestLoopsAndConversion", "TestPrimaryCreated", "TestPrimaryUpdated"]


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteHandle]:
    with running_suite(tmp_path_factory.mktemp("outbound-polling")) as handle:
        apply_configuration(handle, primary_configuration(change_sources=POLLING))
        yield handle
