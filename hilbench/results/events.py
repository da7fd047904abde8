"""The events of a run: what happened to the boards and links, beside what they measured.

A benchmark that survives a fault must say it survived one: a retransmission burst, a
board reset or restarted emulator, a quarantined board, an interruption and a resume.
Each is one row in the run's `events.parquet` (schema below) and is shown by the report,
so a run that completed only after three QEMU restarts never reads like a quiet one.

Producers (the runner, devices, the link) append to one thread-safe `EventLog` per run;
the store writes it with the rows (hilbench.results.store).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

EVENTS = "events.parquet"

# kind is one of EVENT_KINDS; the other columns are null where they do not apply.
EVENT_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("at", pa.timestamp("us", tz="UTC")),
        ("job_id", pa.string()),
        ("board", pa.string()),
        ("kind", pa.string()),
        ("sample_index", pa.int64()),  # the plan position the event happened at, if any
        ("count", pa.int64()),  # how many (e.g. retransmissions since the last event)
        ("detail", pa.string()),  # one line: the cause, as the error message names it
    ]
)

EVENT_KINDS = (
    "retransmit",  # frames the link sent again (count), summarised per job or batch
    "link_adapt",  # the link shrank or grew its window / frame size (detail says to what)
    "reset",  # a board was reset (DTR/RTS pulse, probe reset, power switch)
    "restart",  # an emulated board's QEMU was started again and the model re-uploaded
    "quarantine",  # a board failed K times in a row and runs no more jobs in this run
    "job_failed",  # a job stopped on an infrastructure error (detail names it)
    "interrupted",  # the run was stopped by a signal (detail: SIGTERM, SIGINT, SIGHUP)
    "resumed",  # a `hilbench run --resume` continued this run
    "flash",  # a real board's flasher wrote its firmware, or found it there already (detail says which)
)


@dataclass(frozen=True)
class Event:
    kind: str
    detail: str | None = None
    job_id: str | None = None
    board: str | None = None
    sample_index: int | None = None
    count: int | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {self.kind!r} (known: {', '.join(EVENT_KINDS)})")


class EventLog:
    """Events of one run, appended from any thread, read back in order."""

    def __init__(self, run_id: str | None = None) -> None:
        self.run_id = run_id
        self._events: list[Event] = []
        self._lock = threading.Lock()

    def add(self, kind: str, detail: str | None = None, **fields: Any) -> Event:
        event = Event(kind, detail, **fields)
        with self._lock:
            self._events.append(event)
        return event

    def events(self) -> list[Event]:
        with self._lock:
            return list(self._events)

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)

    def rows(self) -> list[dict[str, Any]]:
        return [dict(asdict(e), run_id=self.run_id) for e in self.events()]

    def table(self) -> pa.Table:
        rows = self.rows()
        return pa.Table.from_pylist(
            [{k: r.get(k) for k in EVENT_SCHEMA.names} for r in rows], schema=EVENT_SCHEMA
        )
