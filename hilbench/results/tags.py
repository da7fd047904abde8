"""Baseline tags: names for runs (`hilbench baseline tag RUN NAME`), kept in
results/tags.json, and resolution of a run reference (a run id, a tag, or `last`).

Only a complete run is ever a baseline or a candidate: `last` is the newest complete run,
and each newer run it passes over (partial, failed, running, damaged) is named in one
warning line with its status, so a comparison never silently uses half a run and the user
knows which run was not used. A run id or tag naming a run that is not complete is a
one-line error saying what the run is.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from hilbench.errors import HilbenchError
from hilbench.results.store import DamagedRun, check_run, default_results_dir, scan_runs

TAGS = "tags.json"


def _path(results_dir: str | Path | None) -> Path:
    return Path(results_dir or default_results_dir()) / TAGS


def read_tags(results_dir: str | Path | None = None) -> dict[str, str]:
    p = _path(results_dir)
    if not p.is_file():
        return {}
    try:
        data = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise HilbenchError(f"{p}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise HilbenchError(f"{p}: not a JSON object of tag -> run id")
    return {str(k): str(v) for k, v in data.items()}


def set_tag(name: str, run_id: str, results_dir: str | Path | None = None) -> None:
    root = Path(results_dir or default_results_dir())
    if name == "last" or not name.strip():
        raise HilbenchError(f"'{name}' cannot be a tag name")
    _require_complete(root, run_id, f"tag {name}")
    tags = read_tags(root)
    tags[name] = run_id
    p = _path(root)
    tmp = p.with_name(f".{p.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(tags, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, p)


def complete_runs(results_dir: str | Path | None = None) -> list[str]:
    """Run ids of complete, readable runs, oldest first (run ids sort by start time)."""
    return [e.run_id for e in scan_runs(results_dir) if e.complete]


def _require_complete(root: Path, run_id: str, role: str) -> None:
    d = root / run_id
    if not d.is_dir():
        raise HilbenchError(f"{d}: no such run")
    try:
        entry = check_run(d)
    except DamagedRun as exc:
        raise HilbenchError(f"{exc}: run {run_id} cannot be the {role}") from None
    if not entry.complete:
        raise HilbenchError(
            f"run {run_id} is {entry.describe()}: not complete, so it cannot be the {role}"
            + (f" (finish it with `hilbench run --resume {run_id}`)" if entry.status == "partial" else "")
        )


def resolve(
    ref: str,
    results_dir: str | Path | None = None,
    exclude: str | None = None,
    role: str = "baseline",
    warn: Callable[[str], None] | None = None,
) -> str:
    """A complete run's id from a run id, a tag, or `last` (the newest complete run but
    `exclude`; each newer run passed over is named by `warn`)."""
    from hilbench.results.notices import warn as default_warn

    say = warn or default_warn
    root = Path(results_dir or default_results_dir())
    if ref == "last":
        entries = [e for e in scan_runs(root) if e.run_id != exclude]
        for e in reversed(entries):
            if e.complete:
                return e.run_id
            say(f"run {e.run_id} is {e.describe()}: skipped as {role} 'last' (not complete)")
        raise HilbenchError(f"{root}: no {'earlier ' if exclude else ''}complete run to use as {role} 'last'")
    if (root / ref).is_dir():
        _require_complete(root, ref, role)
        return ref
    tags = read_tags(root)
    if ref in tags:
        _require_complete(root, tags[ref], f"{role} (tag {ref})")
        return tags[ref]
    raise HilbenchError(f"{root}: no run or tag named '{ref}'")


def resolve_any(ref: str, results_dir: str | Path | None = None) -> str:
    """A run id to show (any status): `last` is the newest readable run of any status."""
    root = Path(results_dir or default_results_dir())
    if ref == "last":
        entries = scan_runs(root)
        if not entries:
            raise HilbenchError(f"{root}: no runs")
        return entries[-1].run_id
    if (root / ref).is_dir():
        return ref
    tags = read_tags(root)
    if ref in tags:
        return tags[ref]
    raise HilbenchError(f"{root}: no run or tag named '{ref}'")
