"""``regal-sync backfill``: send existing records to Regal as created (L3).

The ingress does the work one step at a time (docs/change-intake.md);
this command asks for steps until the run is done and prints progress.
Interrupted (Ctrl-C, a lost connection, a restarted ingress), the same
command resumes the unfinished run where its last queued page ended.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

import httpx

from regalsync.cli import exit_codes
from regalsync.cli.admin_client import guarded
from regalsync.cli.output import CommandFailed, Output

# How long to wait between checks of an export Salesforce is still running.
_EXPORT_POLL_SECONDS = 1.0
_STEP_TIMEOUT_SECONDS = 120.0
# A restarting ingress refuses connections for a few seconds: keep asking.
_UNREACHABLE_ATTEMPTS = 30
_UNREACHABLE_PAUSE_SECONDS = 1.0
_EXIT_FOR_STATUS = {400: exit_codes.INVALID, 401: exit_codes.UNAUTHENTICATED,
                    404: exit_codes.NOT_FOUND, 409: exit_codes.INVALID}


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``backfill``."""
    parser = commands.add_parser(
        "backfill", parents=[common],
        help="send existing Salesforce records to Regal as created events")
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--object", required=True, dest="object_type",
                        help="Lead, Contact, Account, ... (as the configuration syncs it)")
    parser.add_argument("--since", default="",
                        help="only records modified since this date (2024-06-01) or UTC "
                             "time (2024-06-01T00:00:00Z)")
    parser.add_argument("--page-size", type=int, default=2000,
                        help="records queued per step (default 2000)")
    parser.add_argument("--restart", action="store_true",
                        help="abandon an unfinished run and start over")
    parser.add_argument(
        "--ingress-url", default=os.environ.get("REGALSYNC_INGRESS_URL",
                                                "http://127.0.0.1:8080"),
        help="ingress-gateway base URL (env REGALSYNC_INGRESS_URL)")
    parser.set_defaults(run=_backfill)


async def _backfill(args: argparse.Namespace) -> int:
    out = Output(args.json)
    return await guarded(out, _run(args, out))


async def _run(args: argparse.Namespace, out: Output) -> int:
    url = f"{args.ingress_url.rstrip('/')}/v1/tenants/{args.tenant}/backfills/" \
          f"{args.object_type}"
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    body: dict[str, Any] = {"since": args.since, "page_size": args.page_size,
                            "restart": args.restart}
    async with httpx.AsyncClient(headers=headers, timeout=_STEP_TIMEOUT_SECONDS,
                                 trust_env=False) as http:
        while True:
            run = await _step(http, url, body)
            body = {"run": run["run"], "page_size": args.page_size}
            out.result(run, [_progress(run)])
            if run["state"] == "done":
                return exit_codes.OK
            if run["state"] == "exporting":
                await asyncio.sleep(_EXPORT_POLL_SECONDS)


async def _step(http: httpx.AsyncClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
    """Ask for one step, waiting out a spent API budget and a restarting ingress."""
    unreachable = 0
    while True:
        try:
            answer = await http.post(url, json=body)
        except httpx.TransportError as error:
            unreachable += 1
            if unreachable >= _UNREACHABLE_ATTEMPTS:
                raise CommandFailed(f"ingress unreachable: {type(error).__name__}",
                                    "unavailable", exit_codes.UNAVAILABLE) from None
            await asyncio.sleep(_UNREACHABLE_PAUSE_SECONDS)
            continue
        if answer.status_code == 429:
            await asyncio.sleep(float(answer.headers.get("Retry-After") or 60))
            continue
        if answer.status_code != 200:
            problem = _problem(answer)
            raise CommandFailed(problem.get("detail") or problem.get("error", ""),
                                str(problem.get("error", "failed")),
                                _EXIT_FOR_STATUS.get(answer.status_code, exit_codes.FAILED))
        run: dict[str, Any] = answer.json()
        return run


def _problem(answer: httpx.Response) -> dict[str, Any]:
    try:
        found = answer.json()
    except ValueError:
        return {"error": f"http_{answer.status_code}"}
    return found if isinstance(found, dict) else {"error": f"http_{answer.status_code}"}


def _progress(run: dict[str, Any]) -> str:
    label = f"{run['object_type']} backfill {run['run']}"
    if run["state"] == "exporting":
        return f"{label}: Salesforce is exporting (job {run['job']})"
    if run["state"] == "sending":
        return f"{label}: {run['queued']} records queued so far"
    return f"{label}: done, {run['queued']} records queued for Regal"
