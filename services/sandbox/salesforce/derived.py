"""Fields the org keeps in step with others on every save."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sandbox.salesforce.values import format_datetime

Row = dict[str, Any]


def derive(object_name: str, row: Row, now: str) -> Row:
    """Return the values the org sets on ``row`` (already merged) when it is saved."""
    rule = _RULES.get(object_name)
    return rule(row, now) if rule is not None else {}


def _task(row: Row, now: str) -> Row:
    return {"IsClosed": row.get("Status") == "Completed"}


def _case(row: Row, now: str) -> Row:
    closed = row.get("Status") == "Closed"
    closed_date = row.get("ClosedDate") or now if closed else None
    return {"IsClosed": closed, "ClosedDate": closed_date}


def _opportunity(row: Row, now: str) -> Row:
    stage = row.get("StageName") or ""
    return {"IsClosed": stage.startswith("Closed"), "IsWon": stage == "Closed Won"}


def _event(row: Row, now: str) -> Row:
    start = row.get("StartDateTime") or row.get("ActivityDateTime")
    if start is None:
        return {}
    begin = _parse(start)
    minutes = row.get("DurationInMinutes")
    end = row.get("EndDateTime")
    if minutes is not None:
        end = format_datetime(begin + dt.timedelta(minutes=minutes))
    elif end is not None:
        minutes = int((_parse(end) - begin).total_seconds() // 60)
    return {
        "StartDateTime": start, "ActivityDateTime": start,
        "ActivityDate": begin.date().isoformat(),
        "EndDateTime": end, "DurationInMinutes": minutes,
    }


def _parse(stamp: str) -> dt.datetime:
    return dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z")


_RULES: dict[str, Callable[[Row, str], Row]] = {
    "Task": _task, "Case": _case, "Opportunity": _opportunity, "Event": _event,
}
