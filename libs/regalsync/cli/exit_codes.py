"""The exit codes scripts can rely on, documented in ``regal-sync --help``."""

from __future__ import annotations

OK = 0
FAILED = 1
USAGE = 2
INVALID = 3
NOT_FOUND = 4
UNAUTHENTICATED = 5
UNAVAILABLE = 6

EPILOG = """exit codes:
  0  success
  1  failure (an unexpected error, a failed scenario)
  2  usage error (bad arguments)
  3  validation failed (the document or the request was refused)
  4  not found (tenant, version)
  5  not authorised (missing or wrong REGALSYNC_ADMIN_TOKEN)
  6  unavailable (mapping-service or Salesforce unreachable)
"""
