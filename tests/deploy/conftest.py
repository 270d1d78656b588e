"""Let the observability tests start the suite with the e2e harness."""

from __future__ import annotations

import sys
from pathlib import Path

# The shared suite harness lives with the end-to-end tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
