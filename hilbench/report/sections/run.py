"""The run section of the HTML report: what ran, where and when (run.json), and the
environment of every job (board, firmware, model, dataset, with their hashes)."""

from __future__ import annotations

import math
import platform
from datetime import datetime
from typing import Any

from hilbench import __version__
from hilbench.report.format import fmt, num
from hilbench.report.model import Report


def meta_rows(rep: Report) -> list[tuple[str, str]]:
    m = rep.meta
    started, finished = m.get("started_at"), m.get("finished_at")
    dur = ""
    try:
        if started and finished:
            dur = f"{(datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds():.1f} s"
    except ValueError:
        pass
    total = sum(len(c.rows) for c in rep.combos)
    rows = [
        ("run", rep.run_id),
        ("status", rep.status),
        ("suite", m.get("suite") or "–"),
        ("started", str(started or "–")),
        ("finished", str(finished or "–") + (f"  ({dur})" if dur else "")),
        ("host", str(m.get("host") or "–")),
        ("hilbench", str(m.get("hilbench_version") or "–")),
        ("git commit", str(m.get("git_commit") or "–")),
        ("rows", f"{total:,} ({len(rep.combos)} board × model × dataset)"),
        (
            "report generated",
            f"{rep.generated_at} by hilbench {__version__} on Python {platform.python_version()}",
        ),
    ]
    return rows


def _mhz(hz: Any) -> float | None:
    v = num(hz)
    return v / 1e6 if v else None


def env_rows(rep: Report) -> list[dict[str, Any]]:
    out = []
    for c in rep.combos:
        r = c.rows.iloc[0]
        j = c.job

        def pick(k: str, j: dict[str, Any] = j, r: Any = r) -> Any:
            """The job's value of k, else the first sample row's."""
            v = j.get(k)
            return v if v is not None and not (isinstance(v, float) and math.isnan(v)) else r.get(k)

        out.append(
            dict(
                job=pick("job_id") or c.key,
                board=c.board,
                kind=pick("device_kind") or "–",
                core=r.get("core") or "–",
                clock=fmt(_mhz(r.get("clock_hz")), "{:g} MHz"),
                firmware=r.get("firmware_name") or "–",
                firmware_sha=pick("firmware_sha256") or "",
                runtime=r.get("runtime") or "–",
                serial=r.get("board_serial") or "–",
                model=c.model,
                model_sha=pick("model_sha256") or "",
                model_path=j.get("model_path") or "",
                dataset=c.dataset,
                dataset_sha=pick("dataset_sha256") or "",
                dataset_path=j.get("dataset_path") or "",
                source=c.timing_source,
                arena=fmt(j.get("arena_used"), "{:,.0f} B"),
                ops=fmt(j.get("n_ops")),
                macs=fmt(j.get("macs")),
                status=j.get("status") or "ok",
                error=j.get("error") or "",
            )
        )
    return out
