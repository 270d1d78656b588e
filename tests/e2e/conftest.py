"""One running suite shared by the end-to-end tests of a module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from suite_harness import SuiteHandle, running_suite


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteHandle]:
    with running_suite(tmp_path_factory.mktemp("suite")) as handle:
        yield handle
