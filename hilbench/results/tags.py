"""Baseline tags: names for runs (`hilbench baseline tag RUN NAME`), kept in
results/tags.json, and resolution of --baseline (a run id, a tag, or `last`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hilbench.errors import HilbenchError
from hilbench.results.store import RUN_META, SAMPLES, default_results_dir

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
    return {str(k): str(v) for k, v in data.items()}


def set_tag(name: str, run_id: str, results_dir: str | Path | None = None) -> None:
    root = Path(results_dir or default_results_dir())
    if not (root / run_id / SAMPLES).is_file():
        raise HilbenchError(f"{root / run_id}: no complete run to tag")
    if name == "last" or not name.strip():
        raise HilbenchError(f"'{name}' cannot be a tag name")
    tags = read_tags(root)
    tags[name] = run_id
    p = _path(root)
    tmp = p.with_name(f".{p.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(tags, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, p)


def complete_runs(results_dir: str | Path | None = None) -> list[str]:
    """Run ids of complete runs, oldest first (run ids sort by start time)."""
    root = Path(results_dir or default_results_dir())
    return sorted(p.parent.name for p in root.glob(f"*/{SAMPLES}") if (p.parent / RUN_META).is_file())


def resolve(ref: str, results_dir: str | Path | None = None, exclude: str | None = None) -> str:
    """A run id from a run id, a tag, or `last` (the newest complete run but `exclude`)."""
    root = Path(results_dir or default_results_dir())
    if ref == "last":
        runs = [r for r in complete_runs(root) if r != exclude]
        if not runs:
            raise HilbenchError(f"{root}: no earlier complete run to use as baseline 'last'")
        return runs[-1]
    if (root / ref / SAMPLES).is_file():
        return ref
    tags = read_tags(root)
    if ref in tags:
        return tags[ref]
    raise HilbenchError(f"{root}: no run or tag named '{ref}'")
