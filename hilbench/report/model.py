"""The collected report: everything a report of one run shows, gathered from the results
store into plain data (`collect` -> `Report`): the run's samples grouped per board x model x
dataset (`Combo`, with its summary figures, job, per-layer profile and timing caveat), its
events, the history of the same combinations, an optional baseline comparison and the
device-choice candidates. The HTML page (`hilbench.report.html`), the Markdown summary
(`hilbench.report.markdown`) and `hilbench show` (`hilbench.report.terminal`) all render
this one model, so the three never disagree; none of them reads the store itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hilbench.errors import HilbenchError
from hilbench.report.caveats import emulated_note
from hilbench.report.format import DETERMINISTIC, LatencyUnit, caveat, fmt, num, short_caveat, stem
from hilbench.results.choice import candidates
from hilbench.results.comparison import compare_runs
from hilbench.results.events import EVENT_KINDS
from hilbench.results.history import history
from hilbench.results.notices import warn
from hilbench.results.schema import LAYER_SCHEMA
from hilbench.results.stats import phase_labels
from hilbench.results.store import JOBS, RUN_META, check_run, load_events, load_layers, read_samples, run_dir
from hilbench.results.summary import GROUP, summarize_group
from hilbench.results.tags import resolve, resolve_any

REPORT_NAME = "report.html"  # the HTML report's file in the run directory


@dataclass
class RunData:
    run_id: str
    meta: dict[str, Any]
    samples: pd.DataFrame
    layers: pd.DataFrame
    jobs: pd.DataFrame
    partial: bool


def resolve_run(ref: str, results_dir: str | Path | None = None) -> str:
    """A run id from a run id, a tag or `last` (the newest readable run, whatever its
    status: a partial run is shown, marked as such)."""
    return resolve_any(ref, results_dir)


def load_run(run_id: str, results_dir: str | Path | None = None) -> RunData:
    d = run_dir(run_id, results_dir)
    if not d.is_dir():
        raise HilbenchError(f"{d}: no such run (no {RUN_META})")
    entry = check_run(d)  # DamagedRun: one line naming the file
    meta = dict(entry.meta, status=entry.status, status_reason=entry.reason or None)
    samples = read_samples(d).to_pandas()
    layers = load_layers(run_id, results_dir)
    jobs = pd.read_parquet(d / JOBS) if (d / JOBS).is_file() else pd.DataFrame(meta.get("jobs") or [])
    return RunData(run_id, meta, samples, layers, jobs, not entry.complete)


# -- the collected report -------------------------------------------------------------------


@dataclass
class Combo:
    """One board x model x dataset of the run."""

    board: str
    model: str
    dataset: str
    timing_source: str
    emulated: bool
    rows: pd.DataFrame  # every row of the group, in execution order
    summary: dict[str, Any]
    job: dict[str, Any]
    layers: pd.DataFrame
    unit: LatencyUnit
    caveat: str

    @property
    def key(self) -> str:
        return f"{self.board} · {self.model} · {self.dataset}"

    @property
    def label(self) -> str:
        return f"{self.board} · {stem(self.model)}"

    @property
    def mark(self) -> str:
        return "*" if self.emulated else ""

    @property
    def short_caveat(self) -> str:
        return short_caveat(self.timing_source, self.emulated, self.summary.get("clock_hz"))

    @property
    def accuracy(self) -> tuple[str, float | None]:
        """(metric name, value 0..1): top-1 for classifiers, AUC for anomaly detection."""
        if num(self.summary.get("top1")) is not None:
            return "top-1", num(self.summary["top1"])
        if num(self.summary.get("auc")) is not None:
            return "AUC", num(self.summary["auc"])
        return "top-1", None

    def _by_phase(self, phase: str, col: str = "latency_us") -> np.ndarray:
        """The finite values of `col` of the rows in `phase` (warmup | cold | steady)."""
        rows = self.rows.reset_index(drop=True)
        if col not in rows:
            return np.array([], dtype=np.float64)
        x = pd.to_numeric(rows[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        v = x[phase_labels(rows).to_numpy() == phase]
        return v[np.isfinite(v)]

    @cached_property
    def steady_us(self) -> np.ndarray:
        """Latencies (µs) of the steady-state measured inferences (the cold first one when
        there is no other): what the distribution chart draws."""
        steady = self._by_phase("steady")
        return steady if steady.size else self._by_phase("cold")

    @cached_property
    def constant_line(self) -> str | None:
        """One line for a constant distribution (every steady-state latency equal, as an
        emulated board's exact counts are), else None: a histogram of it is one spike that
        looks like a measurement of spread and is not. When the cold first measured
        inference took the same it is counted in; otherwise it is named apart."""
        steady, cold = self._by_phase("steady"), self._by_phase("cold")
        if steady.size == 0:
            steady, cold = cold, cold[:0]
        if steady.size < 2 or float(steady.min()) != float(steady.max()):
            return None
        value = float(steady[0])
        same_cold = cold.size > 0 and float(cold[0]) == value
        n, what = (steady.size + 1, "inferences") if same_cold else (steady.size, "steady-state inferences")
        if not cold.size:
            what = "inferences"
        cyc = np.concatenate([self._by_phase("steady", "cycles"), self._by_phase("cold", "cycles")])
        cycles = (
            f" ({float(cyc[0]):,.0f} cycles)" if cyc.size and float(cyc.min()) == float(cyc.max()) else ""
        )
        if not same_cold and cold.size:  # the cold count differs: only the steady ones are constant
            sc = self._by_phase("steady", "cycles")
            cycles = (
                f" ({float(sc[0]):,.0f} cycles)" if sc.size and float(sc.min()) == float(sc.max()) else ""
            )
        line = (
            f"latency constant at {self.unit.show(value, 7)}{cycles} over {n:,} {what} ({self.timing_source})"
        )
        if cold.size and not same_cold:
            line += f"; the cold first measured inference took {self.unit.show(float(cold[0]), 7)}"
        return line

    @property
    def energy(self) -> pd.Series:
        m = self.rows[(self.rows["phase"] == "measure")]
        return m["energy_uj"].dropna() if "energy_uj" in m else pd.Series(dtype=float)


@dataclass
class Report:
    run_id: str
    meta: dict[str, Any]
    partial: bool
    combos: list[Combo]
    baseline: str | None = None
    baseline_ref: str | None = None
    verdicts: list[Any] = field(default_factory=list)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    choice: list[dict[str, Any]] = field(default_factory=list)  # device-choice points, all datasets
    generated_at: str = ""
    events: pd.DataFrame = field(default_factory=pd.DataFrame)  # hilbench.results.events

    @property
    def event_counts(self) -> dict[str, int]:
        """Events by kind, in the order of EVENT_KINDS."""
        if self.events.empty:
            return {}
        counts = self.events["kind"].value_counts()
        return {
            k: int(counts[k])
            for k in (*EVENT_KINDS, *sorted(set(counts.index) - set(EVENT_KINDS)))
            if k in counts
        }

    @property
    def event_rows(self) -> list[dict[str, Any]]:
        """The events table of the report (first 200)."""
        out = []
        for r in self.events.head(200).to_dict("records"):
            at = r.get("at")
            out.append(
                dict(
                    at=at.strftime("%H:%M:%S") if hasattr(at, "strftime") else str(at),
                    kind=r.get("kind"),
                    job=r.get("job_id") or "",
                    board=r.get("board") or "",
                    count="" if num(r.get("count")) is None else fmt(r.get("count")),
                    detail=r.get("detail") or "",
                )
            )
        return out

    @property
    def caveats(self) -> list[dict[str, Any]]:
        """One caveat per kind of non-silicon timing, naming its boards: {text, star}; `star`
        when the figures it explains are marked with an asterisk (emulated)."""
        emu: dict[str, dict[str, Any]] = {}
        host: list[str] = []
        for c in self.combos:
            if c.emulated or c.timing_source in DETERMINISTIC:
                mhz = num(c.summary.get("clock_hz"))
                emu.setdefault(c.timing_source, {}).setdefault(c.board, f"{mhz / 1e6:g} MHz" if mhz else "?")
            elif c.timing_source == "host_clock" and c.board not in host:
                host.append(c.board)
        out = []
        for ts, boards in emu.items():
            clocks = ", ".join(f"{b} {hz}" for b, hz in boards.items())
            out.append(dict(star=True, text=f"{', '.join(boards)}: {emulated_note(ts, clocks)}."))
        if host:
            out.append(
                dict(
                    star=False,
                    text=f"{', '.join(host)}: host_clock. Microseconds of the host CPU running the "
                    f"firmware natively, not of any device.",
                )
            )
        return out

    @property
    def status(self) -> str:
        """complete, or what the run is and why: `partial: interrupted by SIGTERM`."""
        status = str(self.meta.get("status") or "complete")
        if not self.partial:
            return status
        reason = self.meta.get("status_reason")
        label = "failed (partial results)" if status == "failed" and self.combos else status
        return f"{label}: {reason}" if reason else label

    @property
    def has_energy(self) -> bool:
        return any(len(c.energy) for c in self.combos)

    @property
    def regressed(self) -> list[Any]:
        return [v for v in self.verdicts if v.verdict == "regressed"]

    @property
    def datasets(self) -> list[str]:
        """The datasets of this run, in order of first appearance."""
        return list(dict.fromkeys(c.dataset for c in self.combos))

    def choice_points(self, dataset: str) -> list[dict[str, Any]]:
        """The device-choice candidates with an accuracy on one dataset."""
        return [p for p in self.choice if p["dataset"] == dataset and num(p["accuracy"]) is not None]

    def single_choice_line(self, dataset: str) -> str | None:
        """One line when a dataset has a single candidate (a one-point Pareto front compares
        nothing), else None."""
        pts = self.choice_points(dataset)
        if len(pts) != 1:
            return None
        p = pts[0]
        return (
            f"device choice on {dataset}: one candidate ({p['board']} · {stem(p['model'])}), nothing to compare "
            f"it with; measure more boards or model variants on this dataset for a Pareto front"
        )


def _job_for(jobs: pd.DataFrame, board: str, model: str, dataset: str) -> dict[str, Any]:
    if jobs.empty:
        return {}
    m = jobs
    for col, val in (("board", board), ("model", model), ("dataset", dataset)):
        if col in m:
            m = m[m[col] == val]
    return m.iloc[0].to_dict() if len(m) else {}


def collect(
    run_id: str, results_dir: str | Path | None = None, baseline: str | None = None, with_history: bool = True
) -> Report:
    """Everything the report shows, from the results store."""
    run = load_run(run_id, results_dir)
    df = run.samples
    combos: list[Combo] = []
    if not df.empty:
        for key, g in df.groupby(GROUP, dropna=False, sort=False):
            k = dict(zip(GROUP, key, strict=False))
            board, model, dataset = str(k["board"]), str(k["model"]), str(k["dataset"])
            job = _job_for(run.jobs, board, model, dataset)
            if not (g["phase"] == "measure").any():
                continue
            dtype = job.get("output_dtype")
            s = summarize_group(
                g,
                int(job["macs"]) if num(job.get("macs")) is not None else None,
                dtype if isinstance(dtype, str) else None,
            )
            lay = run.layers
            if not lay.empty:
                lay = lay[(lay["board"] == board) & (lay["model"] == model)]
            emulated = (
                bool(k["emulated"]) if k["emulated"] is not None and not pd.isna(k["emulated"]) else False
            )
            ts = None if pd.isna(k["timing_source"]) else str(k["timing_source"])
            combos.append(
                Combo(
                    board,
                    model,
                    dataset,
                    ts or "?",
                    emulated,
                    g,
                    s,
                    job,
                    lay if isinstance(lay, pd.DataFrame) else pd.DataFrame(columns=LAYER_SCHEMA.names),
                    LatencyUnit.for_us(num(s.get("latency_us_median"))),
                    caveat(ts, emulated, s.get("clock_hz")),
                )
            )
    rep = Report(
        run_id,
        run.meta,
        run.partial,
        combos,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    )
    rep.events = load_events(run_id, results_dir)
    if baseline is not None and rep.partial:
        warn(
            f"run {run_id} is {rep.status}: not compared with baseline '{baseline}' (only complete runs are)"
        )
    elif baseline is not None:
        base_id = resolve(baseline, results_dir, exclude=run_id if baseline == "last" else None)
        rep.baseline, rep.baseline_ref = base_id, baseline
        rep.verdicts = compare_runs(base_id, run_id, results_dir)
    if with_history:
        h = history(results_dir)
        if not h.empty:  # trends and device choice: complete runs only (and this one)
            h = h[(h["run_id"] <= run_id) & ((h["status"] == "complete") | (h["run_id"] == run_id))]
        rep.history = h
    rep.choice = candidates(current_points(rep), rep.history)
    return rep


def current_points(rep: Report) -> list[dict[str, Any]]:
    """The device-choice candidates of this run, one per board x model x dataset (the
    history's are added and the fronts marked by `hilbench.results.choice.candidates`)."""
    points: list[dict[str, Any]] = []
    for c in rep.combos:
        name, acc = c.accuracy
        e = c.energy
        points.append(
            dict(
                board=c.board,
                model=c.model,
                dataset=c.dataset,
                timing_source=c.timing_source,
                emulated=c.emulated,
                latency_ms=(num(c.summary.get("latency_us_median")) or math.nan) / 1e3,
                accuracy=acc,
                accuracy_name=name,
                arena=num(c.job.get("arena_used")),
                energy_uj=float(e.median()) if len(e) else None,
                run_id=rep.run_id,
                current=True,
            )
        )
    return points
