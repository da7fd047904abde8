"""The MLPerf Tiny session files of a run, in the official runner's formats and in the
layout the official submission checker walks (docs/mlperf-tiny.md, "Session files").

    <run-dir>/mlperf/<division>/<submitter>/systems/<system>.json
    <run-dir>/mlperf/<division>/<submitter>/results/<system>/<benchmark>/<mode>/
        log.txt  results.txt  results.json

- `results.json`: `json.dump` of the runner's result list (`main.py` end): one dict per
  loop iteration, the `y_labels.csv` row (`datasets.py` `DataSet`: keys file, classes,
  class, bytes_to_send, stride, values as read) + `total_length` (AD: segments of the file;
  else null) + `infer` {results, start_time, end_time, elapsed_time, total_inferences,
  iterations, warmups[, throughput in performance mode]}, then `{"error": "error 1"}` /
  `{"error": "error 2"}` entries; every dict gets `"mode": "a" | "p"`.
- `results.txt`: what `summarize_result` writes (print_tee), hilbench's own facts on
  `hilbench:` lines the checker's patterns never match.
- `log.txt`: the runner's per-step console lines (`Loading file ...`, `Running inference
  ...`, `Performance results for window ...`), then results.txt's lines.
- `systems/<system>.json`: the fields `check_results_dir` reads (`Status` one of
  available | preview | rdi; no `system_type`), and the ones `log_result` copies.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hilbench.mlperf_tiny import scoring

SESSION_DIR = "mlperf"
MODE_LETTER = {"accuracy": "a", "performance": "p", "energy": "e"}
BENCHMARK = {"kws01": "kws", "vww01": "vww", "ic01": "ic", "ad01": "ad"}  # the checker's model dirs (v1.4)
RUNNER_FIELDS = ["file", "classes", "class", "bytes_to_send", "stride"]  # datasets.py DataSet
SESSION_FILES = ("log.txt", "results.txt", "results.json")  # submission_checker MLC_REQUIRED_ACC_FILES
# Reserved for the energy mode: what the runner adds to each results.json entry.
ENERGY_FIELDS = {"power": ["samples", "timestamps", "extracted_power", "voltage"]}


def system_name(board: str) -> str:
    """A directory name the checker takes without warnings (no spaces, no leading dot)."""
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", board).lstrip(".") or "board"


def truth_rows(root: Path) -> dict[str, dict[str, Any]]:
    """`y_labels.csv` read as the runner reads it (csv.DictReader with its field names)."""
    path = Path(root) / "y_labels.csv"
    if not path.is_file():
        return {}
    with open(path, newline="") as f:
        return {
            row["file"]: dict(row) for row in csv.DictReader(f, fieldnames=RUNNER_FIELDS) if row.get("file")
        }


@dataclass
class Session:
    """Collects a run's loop results and log lines; `write` lays them out."""

    mode: str
    model_id: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    windows_printed: int = 0

    def step(
        self, truth: dict[str, Any], total_length: int | None, segment: int, infer: dict[str, Any]
    ) -> None:
        """One loop iteration: download + infer, logged as the runner prints them."""
        now = datetime.now()
        ts = now.strftime("%m%d.%H%M%S")
        n, w = infer["iterations"], infer["warmups"]
        self.log += [
            f"{ts} ulp-mlperf: Loading file {truth.get('file')} segment {segment}",
            f"{ts} ulp-mlperf: Load complete.",
            f"Running inference with {w}/{n} (warmup/measured) iterations ...",
            "done",
        ]
        el = infer.get("elapsed_time", 0)
        thr = n / (el / 1_000_000) if el > 0 else 0
        self.windows_printed += 1
        self.log += [
            f"{ts} ulp-mlperf: Performance results for window {self.windows_printed}:",
            f"{ts} ulp-mlperf:   # Inferences : {n:>13}",
            f"{ts} ulp-mlperf:   Runtime      : {(el / 1_000_000 if el > 0 else 0):>10.3f} sec.",
            f"{ts} ulp-mlperf:   Throughput   : {thr:>10.3f} inf./sec.",
            f"{ts} ulp-mlperf:   m-results    : {infer['results']}",
        ]
        entry = dict(truth)
        entry["total_length"] = total_length
        entry["infer"] = infer
        self.entries.append(entry)

    def error(self, code: str) -> None:
        self.entries.append({"error": code})

    def results_json(self) -> list[dict[str, Any]]:
        letter = MODE_LETTER[self.mode]
        return [dict(e, mode=letter) for e in self.entries]

    def write(
        self,
        root: Path,
        *,
        division: str,
        submitter: str,
        system: str,
        system_json: dict[str, Any],
        results_lines: list[str],
    ) -> Path:
        """Write the session under root/<division>/...; returns the session directory."""
        if self.model_id not in BENCHMARK:
            raise ValueError(f"no MLPerf Tiny benchmark directory for model id {self.model_id!r}")
        sub = root / division / submitter
        session = sub / "results" / system / BENCHMARK[self.model_id] / self.mode
        session.mkdir(parents=True, exist_ok=True)
        (sub / "systems").mkdir(parents=True, exist_ok=True)
        (sub / "systems" / f"{system}.json").write_text(json.dumps(system_json, indent=2) + "\n")
        (session / "results.txt").write_text("".join(ln + "\n" for ln in results_lines))
        log = self.log + ["-" * 20] + results_lines + [f"Session logged in file {session / 'log.txt'}"]
        (session / "log.txt").write_text("".join(ln + "\n" for ln in log))
        with open(session / "results.json", "w") as f:
            json.dump(self.results_json(), f)
        return session


def copy_into(session_root: Path, submission: Path) -> None:
    """Merge a run's session tree into a submission directory (another run's accuracy
    beside this run's performance, say); files of the same session are replaced."""
    shutil.copytree(session_root, submission, dirs_exist_ok=True)


def infer_dict(r: Any, mode: str) -> dict[str, Any]:
    """`_ScriptInferStep`'s `infer` entry for one InferResult (hilbench.mlperf_tiny.link)."""
    d: dict[str, Any] = {
        "results": list(r.results),
        "start_time": r.t0_us,
        "end_time": r.t1_us,
        "elapsed_time": r.elapsed_us,
        "total_inferences": r.results_lines,
        "iterations": r.count,
        "warmups": r.warmup,
    }
    if mode == "performance":
        d["throughput"] = scoring.Window(r.count, r.elapsed_us).throughput
    return d
