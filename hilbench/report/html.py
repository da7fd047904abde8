"""The HTML report of one run: one self-contained file that works offline.

`collect()` gathers everything a report shows from the results store (the run's samples,
per-layer profile, jobs and run.json, the history of the same board x model combinations,
an optional baseline comparison) into plain data and inline SVG charts; `render_html()`
puts it through the Jinja template in `templates/`; `write_report()` does both and writes
the file. The Markdown summary (`hilbench.report.markdown`) and `hilbench show` read the
same collected data, so the three never disagree.

No CDN and no plotting library: the charts are hand-written SVG (`hilbench.report.svg`)
with native tooltips. The only script is a few lines that record JavaScript errors into
the page (``#js-errors``) and check that every plot has drawn, for the headless-browser
test. Docs: docs/reports.md.
"""

from __future__ import annotations

import math
import platform
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hilbench import __version__
from hilbench.errors import HilbenchError
from hilbench.report import svg
from hilbench.report.caveats import emulated_note, emulated_short
from hilbench.results.schema import LAYER_SCHEMA
from hilbench.results.store import JOBS, RUN_META, check_run, load_events, load_layers, read_samples, run_dir

DETERMINISTIC = {"qemu_icount"}
EXACT_THRESHOLD = 0.005   # the verdict rule for exact emulated counts (hilbench.compare)
NOISY_MIN_EFFECT = 0.02   # the smallest relative change of a noisy timing that counts
TREND_RUNS = 30           # points per trend chart
REPORT_NAME = "report.html"


# -- small helpers ------------------------------------------------------------------------


def num(x: Any) -> float | None:
    """A finite float, or None for None / NaN / NA / non-numbers."""
    if x is None or x is pd.NA:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def fmt(x: Any, spec: str = "{:,.0f}", missing: str = "–") -> str:
    v = num(x)
    return missing if v is None else spec.format(v)


def pct(x: Any, digits: int = 1) -> str:
    """A fraction 0..1 as a percentage."""
    v = num(x)
    return "–" if v is None else f"{100 * v:.{digits}f} %"


def short_hash(h: Any, n: int = 12) -> str:
    return str(h)[:n] if isinstance(h, str) and h else "–"


def stem(model: str) -> str:
    return model[:-7] if model.endswith(".tflite") else model


@dataclass
class LatencyUnit:
    name: str     # "µs" | "ms" | "s"
    div: float    # µs per unit

    @classmethod
    def for_us(cls, median_us: float | None) -> "LatencyUnit":
        m = median_us or 0.0
        if m >= 1e7:
            return cls("s", 1e6)
        if m >= 1e3:
            return cls("ms", 1e3)
        return cls("µs", 1.0)

    def show(self, us: Any, digits: int = 4) -> str:
        v = num(us)
        if v is None:
            return "–"
        x = v / self.div
        return f"{x:,.{max(1, digits - len(str(int(abs(x)))))}f} {self.name}"


def caveat(timing_source: str | None, emulated: bool, clock_hz: Any) -> str:
    """What a latency figure is, when it is not silicon time."""
    if emulated or timing_source in DETERMINISTIC:
        mhz = num(clock_hz)
        return emulated_note(timing_source, f"{mhz / 1e6:g} MHz" if mhz else None)
    if timing_source == "host_clock":
        return "host_clock: microseconds of the host CPU running the firmware natively, not of any device"
    return ""


def short_caveat(timing_source: str | None, emulated: bool, clock_hz: Any) -> str:
    """One line under every latency chart."""
    if emulated or timing_source in DETERMINISTIC:
        mhz = num(clock_hz)
        return emulated_short(timing_source, f"{mhz / 1e6:g} MHz" if mhz else None)
    if timing_source == "host_clock":
        return "host_clock: the host CPU's time, not a device's"
    return ""


def source_badge(timing_source: str | None, emulated: bool) -> str:
    if emulated or timing_source in DETERMINISTIC:
        return "emulated"
    if timing_source == "host_clock":
        return "host"
    return "device"


# -- loading ---------------------------------------------------------------------------------


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
    from hilbench.results.tags import resolve_any

    return resolve_any(ref, results_dir)


def load_run(run_id: str, results_dir: str | Path | None = None) -> RunData:
    d = run_dir(run_id, results_dir)
    if not d.is_dir():
        raise HilbenchError(f"{d}: no such run (no {RUN_META})")
    entry = check_run(d)  # DamagedRun: one line naming the file
    meta = dict(entry.meta, status=entry.status, status_reason=entry.reason or None)
    samples = read_samples(d).to_pandas()
    layers = load_layers(run_id, results_dir)
    if (d / JOBS).is_file():
        jobs = pd.read_parquet(d / JOBS)
    else:
        jobs = pd.DataFrame(meta.get("jobs") or [])
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
    rows: pd.DataFrame          # every row of the group, in execution order
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
    choice: list[dict[str, Any]] = field(default_factory=list)   # device-choice points, all datasets
    generated_at: str = ""
    events: pd.DataFrame = field(default_factory=pd.DataFrame)  # hilbench.results.events

    @property
    def event_counts(self) -> dict[str, int]:
        """Events by kind, in the order of EVENT_KINDS."""
        if self.events.empty:
            return {}
        counts = self.events["kind"].value_counts()
        from hilbench.results.events import EVENT_KINDS

        return {k: int(counts[k]) for k in (*EVENT_KINDS, *sorted(set(counts.index) - set(EVENT_KINDS))) if k in counts}

    @property
    def event_rows(self) -> list[dict[str, Any]]:
        """The events table of the report (first 200)."""
        out = []
        for r in self.events.head(200).to_dict("records"):
            at = r.get("at")
            out.append(dict(at=at.strftime("%H:%M:%S") if hasattr(at, "strftime") else str(at), kind=r.get("kind"),
                            job=r.get("job_id") or "", board=r.get("board") or "",
                            count="" if num(r.get("count")) is None else fmt(r.get("count")),
                            detail=r.get("detail") or ""))
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
            out.append(dict(star=False, text=f"{', '.join(host)}: host_clock. Microseconds of the host CPU running the "
                                             f"firmware natively, not of any device."))
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


def _job_for(jobs: pd.DataFrame, board: str, model: str, dataset: str) -> dict[str, Any]:
    if jobs.empty:
        return {}
    m = jobs
    for col, val in (("board", board), ("model", model), ("dataset", dataset)):
        if col in m:
            m = m[m[col] == val]
    return m.iloc[0].to_dict() if len(m) else {}


def collect(run_id: str, results_dir: str | Path | None = None, baseline: str | None = None,
            with_history: bool = True) -> Report:
    """Everything the report shows, from the results store."""
    from hilbench.results.summary import GROUP, summarize_group

    run = load_run(run_id, results_dir)
    df = run.samples
    combos: list[Combo] = []
    if not df.empty:
        for key, g in df.groupby(GROUP, dropna=False, sort=False):
            k = dict(zip(GROUP, key))
            board, model, dataset = str(k["board"]), str(k["model"]), str(k["dataset"])
            job = _job_for(run.jobs, board, model, dataset)
            if not (g["phase"] == "measure").any():
                continue
            dtype = job.get("output_dtype")
            s = summarize_group(g, int(job["macs"]) if num(job.get("macs")) is not None else None,
                                dtype if isinstance(dtype, str) else None)
            lay = run.layers
            if not lay.empty:
                lay = lay[(lay["board"] == board) & (lay["model"] == model)]
            emulated = bool(k["emulated"]) if k["emulated"] is not None and not pd.isna(k["emulated"]) else False
            ts = None if pd.isna(k["timing_source"]) else str(k["timing_source"])
            combos.append(Combo(board, model, dataset, ts or "?", emulated, g, s, job,
                                lay if isinstance(lay, pd.DataFrame) else pd.DataFrame(columns=LAYER_SCHEMA.names),
                                LatencyUnit.for_us(num(s.get("latency_us_median"))),
                                caveat(ts, emulated, s.get("clock_hz"))))
    rep = Report(run_id, run.meta, run.partial, combos,
                 generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"))
    rep.events = load_events(run_id, results_dir)
    if baseline is not None and rep.partial:
        from hilbench.results.notices import warn

        warn(f"run {run_id} is {rep.status}: not compared with baseline '{baseline}' (only complete runs are)")
    elif baseline is not None:
        from hilbench.compare import compare_runs
        from hilbench.results.tags import resolve

        base_id = resolve(baseline, results_dir, exclude=run_id if baseline == "last" else None)
        rep.baseline, rep.baseline_ref = base_id, baseline
        rep.verdicts = compare_runs(base_id, run_id, results_dir)
    if with_history:
        from hilbench.results.history import history

        h = history(results_dir)
        if not h.empty:  # trends and device choice: complete runs only (and this one)
            h = h[(h["run_id"] <= run_id) & ((h["status"] == "complete") | (h["run_id"] == run_id))]
        rep.history = h
    rep.choice = device_choice(rep)
    return rep


# -- device choice -------------------------------------------------------------------------------


def device_choice(rep: Report) -> list[dict[str, Any]]:
    """Candidate points per dataset: every board x model of this run, plus the newest
    earlier result of every other board x model on the same dataset from the history.
    Each point says whether it is on the Pareto front of accuracy against latency, against
    RAM (arena bytes) and against energy. Host-clock timings are never on a front: the
    host is not a device one ships."""
    points: list[dict[str, Any]] = []
    seen = set()
    for c in rep.combos:
        name, acc = c.accuracy
        e = c.energy
        points.append(dict(
            board=c.board, model=c.model, dataset=c.dataset, timing_source=c.timing_source, emulated=c.emulated,
            latency_ms=(num(c.summary.get("latency_us_median")) or math.nan) / 1e3,
            accuracy=acc, accuracy_name=name, arena=num(c.job.get("arena_used")),
            energy_uj=float(e.median()) if len(e) else None, run_id=rep.run_id, current=True,
        ))
        seen.add((c.board, c.model, c.dataset))
    datasets = {c.dataset for c in rep.combos}
    h = rep.history
    if not h.empty:
        h = h[h["dataset"].isin(datasets)].sort_values("run_id", ascending=False)
        for r in h.to_dict("records"):
            k = (r["board"], r["model"], r["dataset"])
            if k in seen or num(r.get("top1")) is None:
                continue
            seen.add(k)
            points.append(dict(
                board=r["board"], model=r["model"], dataset=r["dataset"], timing_source=r.get("timing_source"),
                emulated=bool(r.get("emulated")), latency_ms=num(r.get("latency_ms")), accuracy=num(r.get("top1")),
                accuracy_name="top-1", arena=num(r.get("arena_used")), energy_uj=None, run_id=r["run_id"],
                current=False,
            ))
    for ds in datasets:
        pts = [p for p in points if p["dataset"] == ds]
        for axis in ("latency_ms", "arena", "energy_uj"):
            elig = [i for i, p in enumerate(pts) if p["timing_source"] != "host_clock"
                    and num(p[axis]) is not None and num(p["accuracy"]) is not None]
            front = svg.pareto_front([(pts[i][axis], pts[i]["accuracy"]) for i in elig])
            on = {elig[i] for i in front}
            for i, p in enumerate(pts):
                p[f"front_{axis}"] = i in on
    return points


# -- charts ---------------------------------------------------------------------------------


def _phase_labels(rows: pd.DataFrame) -> np.ndarray:
    from hilbench.results.stats import phase_labels

    return phase_labels(rows).to_numpy()


def latency_charts(c: Combo) -> dict[str, str]:
    """Histogram of the steady-state latencies (median and p99 marked, warm-up and the cold
    first measured inference as triangles) and the latency of every inference in execution
    order (warm-up shaded, performance windows shaded)."""
    rows = c.rows.reset_index(drop=True)
    lab = _phase_labels(rows)
    lat = rows["latency_us"].to_numpy(dtype=np.float64, na_value=np.nan) / c.unit.div
    steady = lat[lab == "steady"]
    if steady.size == 0:
        steady = lat[lab == "cold"]
    u = c.unit.name + c.mark
    markers: list[svg.Marker] = []
    if steady.size:
        markers.append(svg.Marker(float(np.nanmedian(steady)), "median", svg.INK))
        markers.append(svg.Marker(float(np.nanpercentile(steady, 99)), "p99", svg.PINK))
    for v in lat[lab == "warmup"][:50]:
        markers.append(svg.Marker(float(v), "warm-up inference", svg.ORANGE, "point"))
    for v in lat[lab == "cold"]:
        markers.append(svg.Marker(float(v), "cold: first measured inference", svg.VERMILION, "point"))
    legend = [("steady", svg.BLUE, "box"), ("median", svg.INK, "dash"), ("p99", svg.PINK, "dash")]
    if (lab == "warmup").any():
        legend.append(("warm-up", svg.ORANGE, "tri"))
    legend.append(("cold", svg.VERMILION, "tri"))
    hist = svg.histogram(steady, title="distribution", x_label=f"latency ({u})", markers=markers, legend=legend,
                         width=630)

    idx = np.arange(len(rows), dtype=float)
    series = []
    bands = []
    warm = lab == "warmup"
    if warm.any():
        bands.append(svg.Band(float(idx[warm].min()) - 0.5, float(idx[warm].max()) + 0.5, "warm-up", svg.ORANGE))
    if "window" in rows:
        for w, g in rows[rows["window"].notna()].groupby("window"):
            bands.append(svg.Band(float(g.index.min()) - 0.5, float(g.index.max()) + 0.5,
                                  f"performance window {int(w)} ({len(g)} inferences on one vector)", svg.GREY))
    meas = lab != "warmup"
    series.append(svg.Series("measured", idx[meas], lat[meas], svg.BLUE, "points"))
    if warm.any():
        series.append(svg.Series("warm-up", idx[warm], lat[warm], svg.ORANGE, "points"))
    hl = [svg.Highlight(float(i), float(lat[i]), "cold: first measured inference", svg.VERMILION)
          for i in np.nonzero(lab == "cold")[0] if math.isfinite(lat[i])]
    leg = [("measured", svg.BLUE, "dot")]
    if warm.any():
        leg.append(("warm-up", svg.ORANGE, "band"))
    if any(b.color == svg.GREY for b in bands):
        leg.append(("perf. window", svg.GREY, "band"))
    leg.append(("cold", svg.VERMILION, "ring"))
    seq = svg.line_chart(series, title="in execution order", x_label="inference (execution order)",
                         y_label=f"latency ({u})", bands=bands, highlights=hl, legend=leg, width=630)
    return {"hist": hist, "seq": seq}


def layer_chart(c: Combo) -> tuple[str, list[dict[str, Any]]]:
    lay = c.layers.sort_values("op_index")
    use_cycles = lay["cycles"].notna().all()
    vals = (lay["cycles"] if use_cycles else lay["latency_us"]).astype(float).to_numpy()
    total = float(np.nansum(vals)) or 1.0
    labels = [f"#{int(i)} {n}" for i, n in zip(lay["op_index"], lay["op_name"])]
    rows = []
    notes = []
    tips = []
    for (i, r), v in zip(lay.iterrows(), vals):
        macs = num(r.get("macs"))
        cyc = num(r.get("cycles"))
        mpc = macs / cyc if macs and cyc else None
        share = 100 * v / total
        notes.append(f"{share:.1f} %" + (f" · {mpc:.2f} MAC/c" if mpc else ""))
        tips.append(f"#{int(r['op_index'])} {r['op_name']}: {svg.fmt_num(v)} {'cycles' if use_cycles else 'µs'}, "
                    f"{share:.1f} % of the inference, {svg.fmt_num(macs) if macs else 0} MACs")
        rows.append(dict(op=int(r["op_index"]), name=r["op_name"], macs=fmt(macs), cycles=fmt(cyc),
                         us=fmt(r.get("latency_us"), "{:,.1f}"), share=f"{share:.1f} %",
                         mpc=fmt(mpc, "{:.3f}")))
    unit = ("cycles" if use_cycles else "µs") + c.mark
    colors = [svg.BLUE if (num(m) or 0) > 0 else svg.SKY for m in lay["macs"]]
    chart = svg.bar_chart(labels, vals, title="", x_label=unit, notes=notes,
                          colors=colors, tips=tips, width=620)
    return chart, rows


def accuracy_views(rep: Report) -> list[dict[str, Any]]:
    """One entry per distinct (model, dataset, confusion matrix): boards whose outputs give
    the very same matrix share one heatmap."""
    out: list[dict[str, Any]] = []
    for c in rep.combos:
        s = c.summary
        cm = s.get("confusion_matrix")
        entry = dict(boards=[c.board], model=c.model, dataset=c.dataset, top1=pct(s.get("top1")),
                     top5=pct(s.get("top5")), ties_any=pct(s.get("top1_ties_any")),
                     tied=fmt(s.get("top1_tied")), auc=fmt(s.get("auc"), "{:.4f}"), pauc=fmt(s.get("pauc"), "{:.4f}"),
                     n_files=fmt(s.get("n_files")), svg="", kind="none", n=_acc_n(c))
        if isinstance(cm, list) and cm:
            for o in out:
                if o["kind"] == "cm" and o["model"] == c.model and o["dataset"] == c.dataset and o["cm"] == cm:
                    o["boards"].append(c.board)
                    break
            else:
                labels = [str(i) for i in range(len(cm))]
                entry.update(kind="cm", cm=cm, svg=svg.heatmap(cm, row_labels=labels, col_labels=labels,
                                                              title=f"confusion matrix ({stem(c.model)})"))
                out.append(entry)
        elif num(s.get("auc")) is not None or s.get("file_scores"):
            fs = s.get("file_scores") or {}
            from hilbench.results.summary import ad_file_scores

            f = ad_file_scores(c.rows)
            series = []
            for lab, name, col in ((0, "normal", svg.BLUE), (1, "anomaly", svg.VERMILION)):
                g = f[f["label"] == lab]
                if len(g):
                    series.append(svg.Series(name, g.index.to_numpy(float), g["score"].to_numpy(float), col,
                                             "points", tips=[f"{a}: {b:.4g}" for a, b in zip(g["file"], g["score"])]))
            entry.update(kind="ad", svg=svg.line_chart(series, title="anomaly score per file", x_label="file",
                                                       y_label="score (MSE)",
                                                       legend=[("normal", svg.BLUE, "dot"),
                                                               ("anomaly", svg.VERMILION, "dot")]) if series else "",
                         n=len(fs))
            out.append(entry)
        else:
            entry["kind"] = "plain" if num(s.get("top1")) is not None else "none"
            out.append(entry)
    return out


def _acc_n(c: Combo) -> int:
    m = c.rows[(c.rows["phase"] == "measure") & c.rows["label"].notna()]
    if "window" in m:
        m = m[m["window"].isna()]
    return len(m)


def fidelity_view(rep: Report) -> dict[str, Any]:
    labels, vals, notes, rows, diffs = [], [], [], [], []
    for c in rep.combos:
        s = c.summary
        be = num(s.get("bit_exact_pct"))
        m = c.rows[(c.rows["phase"] == "measure") & c.rows["bit_exact"].notna()]
        rows.append(dict(board=c.board, model=c.model, dataset=c.dataset, n=len(m),
                         bit_exact=fmt(be, "{:.2f} %"), max_lsb=fmt(s.get("max_abs_diff_lsb")),
                         rmse=fmt(s.get("rmse_lsb"), "{:.3f}"), cosine=fmt(s.get("cosine_similarity"), "{:.5f}"),
                         agree=pct(s.get("top1_agreement"), 2)))
        if be is not None:
            labels.append(c.label)
            vals.append(be)
            notes.append(f"{be:.1f} %  ({int(m['bit_exact'].sum())}/{len(m)})")
        d = m["max_abs_diff_vs_reference"].dropna() if "max_abs_diff_vs_reference" in m else pd.Series(dtype=float)
        if len(d) and (d > 0).any():
            vc = d.astype(int).value_counts().sort_index()
            diffs.append(dict(label=c.label, svg=svg.bar_chart(
                [f"{int(k)} LSB" for k in vc.index], vc.to_numpy(float), title=f"max |DUT − reference| per output ({c.label})",
                x_label="outputs", notes=[f"{int(v)}" for v in vc.to_numpy()],
                colors=[svg.GREEN if k == 0 else svg.VERMILION for k in vc.index])))
    chart = svg.bar_chart(labels, vals, title="outputs bit-exact with the tflite-micro reference", x_label="% bit-exact",
                          notes=notes, x_max=100, colors=[svg.GREEN if v == 100 else svg.VERMILION for v in vals],
                          width=620) if labels else ""
    return dict(rows=rows, chart=chart, diffs=diffs)


def energy_view(rep: Report) -> list[dict[str, Any]]:
    out = []
    for c in rep.combos:
        rows = c.rows.reset_index(drop=True)
        if "energy_uj" not in rows or rows["energy_uj"].notna().sum() == 0:
            continue
        lab = _phase_labels(rows)
        idx = np.arange(len(rows), dtype=float)
        e = rows["energy_uj"].to_numpy(dtype=np.float64, na_value=np.nan)
        bands = []
        warm = lab == "warmup"
        if warm.any():
            bands.append(svg.Band(float(idx[warm].min()) - 0.5, float(idx[warm].max()) + 0.5, "warm-up", svg.ORANGE))
        if "window" in rows:
            for w, g in rows[rows["window"].notna()].groupby("window"):
                bands.append(svg.Band(float(g.index.min()) - 0.5, float(g.index.max()) + 0.5,
                                      f"inference window {int(w)}", svg.GREY))
        src = ", ".join(sorted(set(rows["energy_source"].dropna()))) or "unknown source"
        leg = [("energy / inference", svg.GREEN, "line")]
        if warm.any():
            leg.append(("warm-up", svg.ORANGE, "band"))
        if any(b.color == svg.GREY for b in bands):
            leg.append(("window", svg.GREY, "band"))
        chart = svg.line_chart([svg.Series("energy per inference", idx, e, svg.GREEN, "line+points")],
                               title="energy trace", x_label="inference (execution order)",
                               y_label="energy (µJ)", bands=bands, legend=leg, width=760, y_zero=True)
        meas = rows[rows["phase"] == "measure"]["energy_uj"].dropna()
        out.append(dict(label=c.label, key=c.key, svg=chart, source=src,
                        median=fmt(meas.median(), "{:,.2f} µJ"), p90=fmt(meas.quantile(0.9), "{:,.2f} µJ"),
                        total=fmt(meas.sum() / 1e3, "{:,.2f} mJ"), n=len(meas)))
    return out


def _trend_rule(metric: str, prev: float, cur: float, deterministic: bool, same_n: bool) -> str | None:
    """"regressed" when the change from the previous run is beyond the verdict rule, else None."""
    if prev is None or cur is None:
        return None
    if metric == "latency":
        rel = (cur - prev) / prev if prev else 0.0
        return "regressed" if rel > (EXACT_THRESHOLD if deterministic else NOISY_MIN_EFFECT) else None
    if metric == "top1":
        if not same_n:
            return None
        if deterministic:
            return "regressed" if cur < prev else None
        return "regressed" if prev and (prev - cur) / prev > NOISY_MIN_EFFECT else None
    if metric == "bit_exact":
        return "regressed" if cur < prev else None
    if metric == "arena":
        return "regressed" if cur > prev else None
    return None


def trend_views(rep: Report) -> list[dict[str, Any]]:
    """Per board x model x dataset: median latency, top-1, bit-exact % and arena across the
    runs in the store (up to and including this one, same timing source), with every point
    whose change from the run before is beyond the verdict rule ringed in red."""
    out = []
    h = rep.history
    for c in rep.combos:
        if h.empty:
            break
        g = h[(h["board"] == c.board) & (h["model"] == c.model) & (h["dataset"] == c.dataset)
              & (h["timing_source"] == c.timing_source)].sort_values("run_id").tail(TREND_RUNS)
        if g.empty:
            continue
        det = c.timing_source in DETERMINISTIC
        g = g.reset_index(drop=True)
        x = np.arange(len(g), dtype=float)
        ticks = [(float(i), pd.Timestamp(t).strftime("%m-%d %H:%M")) for i, t in zip(x, g["started_at"])]
        lat_col, lat_name = ("cycles_median", f"median cycles{c.mark}") if det and g["cycles_median"].notna().all() \
            else ("latency_ms", "median latency (ms)" + c.mark)
        metrics = [("latency", lat_col, lat_name, 1.0), ("top1", "top1", "top-1 (%)", 100.0),
                   ("bit_exact", "bit_exact_pct", "bit-exact (%)", 1.0), ("arena", "arena_used", "arena (bytes)", 1.0)]
        charts = []
        regressions = []
        for metric, col, name, scale in metrics:
            vals = pd.to_numeric(g[col], errors="coerce").astype(float).to_numpy() * scale
            if not np.isfinite(vals).any():
                continue
            hl = []
            for i in range(1, len(g)):
                j = i - 1
                while j >= 0 and not math.isfinite(vals[j]):
                    j -= 1
                if j < 0 or not math.isfinite(vals[i]):
                    continue
                v = _trend_rule(metric, vals[j], vals[i], det, int(g["n"][i]) == int(g["n"][j]))
                if v:
                    rel = (vals[i] - vals[j]) / vals[j] if vals[j] else 0.0
                    what = f"{name} {svg.fmt_num(vals[j])} → {svg.fmt_num(vals[i])} ({rel:+.2%}) in {g['run_id'][i]}"
                    hl.append(svg.Highlight(float(i), float(vals[i]), "regressed: " + what, svg.RED))
                    regressions.append(what)
            cur = [i for i in range(len(g)) if g["run_id"][i] == rep.run_id]
            for i in cur:
                if math.isfinite(vals[i]):
                    hl.append(svg.Highlight(float(i), float(vals[i]), "this run", svg.INK))
            tips = [f"{g['run_id'][i]}: {svg.fmt_num(vals[i])}" for i in range(len(g))]
            leg = [("this run", svg.INK, "ring")]
            if any(h_.color == svg.RED for h_ in hl):
                leg.insert(0, ("regressed", svg.RED, "ring"))
            charts.append(svg.line_chart([svg.Series(name, x, vals, svg.BLUE, "line+points", tips=tips)],
                                         title=name, y_label="", x_ticks=ticks, highlights=hl, width=290,
                                         height=210, legend=leg))
        out.append(dict(label=c.key, charts=charts, runs=len(g), regressions=regressions,
                        note="" if len(g) > 1 else "the first run of this combination in the store"))
    return out


def choice_views(rep: Report) -> list[dict[str, Any]]:
    out = []
    boards = sorted({p["board"] for p in rep.choice})
    color = {b: svg.PALETTE[i % len(svg.PALETTE)] for i, b in enumerate(boards)}
    for ds in dict.fromkeys(c.dataset for c in rep.combos):
        pts = [p for p in rep.choice if p["dataset"] == ds and num(p["accuracy"]) is not None]
        if not pts:
            continue
        acc_name = pts[0]["accuracy_name"]
        charts = []
        for axis, xl in (("latency_ms", "median latency (ms)"), ("arena", "RAM: tensor arena used on the DUT (bytes)"),
                         ("energy_uj", "energy per inference (µJ)")):
            sel = [p for p in pts if num(p[axis]) is not None and float(p[axis]) > 0]
            if not sel:
                continue
            xv = [float(p[axis]) for p in sel]
            log = max(xv) / min(xv) > 50
            if log:
                xl = xl[:-1] + ", log scale)"
            sp = [svg.Point(float(p[axis]), 100 * float(p["accuracy"]),
                            f"{p['board']} · {stem(p['model'])}" + ("*" if p["emulated"] else ""),
                            color=color[p["board"]] if p["timing_source"] != "host_clock" else svg.GREY,
                            hollow=not p["current"] or p["timing_source"] == "host_clock",
                            front=p[f"front_{axis}"], shape="square" if p["emulated"] else "dot",
                            tip=(f"{p['board']} · {p['model']}: {acc_name} {100 * p['accuracy']:.2f} %, "
                                 f"{svg.fmt_num(p[axis])} {xl.split('(')[-1].rstrip(')').split(',')[0]} "
                                 f"(run {p['run_id']}{', emulated' if p['emulated'] else ''}"
                                 f"{', host_clock: not a device' if p['timing_source'] == 'host_clock' else ''})"))
                  for p in sel]
            charts.append(svg.scatter(sp, title=f"{acc_name} vs {xl.split(' (')[0].split(':')[0]}", x_label=xl,
                                      y_label=f"{acc_name} (%)", log_x=log, width=460, height=320))
        rows = []
        for p in sorted(pts, key=lambda p: (num(p["latency_ms"]) or math.inf)):
            rows.append(dict(board=p["board"], model=p["model"], latency=fmt(p["latency_ms"], "{:,.3f} ms"),
                             accuracy=pct(p["accuracy"], 2), arena=fmt(p["arena"], "{:,.0f} B"),
                             energy=fmt(p["energy_uj"], "{:,.2f} µJ"), run=p["run_id"], current=p["current"],
                             emulated=p["emulated"], host=p["timing_source"] == "host_clock",
                             front_latency=p["front_latency_ms"], front_arena=p["front_arena"],
                             front_energy=p["front_energy_uj"]))
        out.append(dict(dataset=ds, acc_name=acc_name, charts=charts, rows=rows,
                        energy_missing=not any(num(p["energy_uj"]) is not None for p in pts),
                        single=len(pts) == 1))
    return out


# -- the page ----------------------------------------------------------------------------------


def summary_rows(rep: Report) -> list[dict[str, Any]]:
    out = []
    for c in rep.combos:
        s = c.summary
        u, m = c.unit, c.mark
        acc_name, acc = c.accuracy
        e = c.energy
        first = c.rows[_phase_labels(c.rows.reset_index(drop=True)) == "cold"] if len(c.rows) else c.rows
        cold = first["latency_us"].iloc[0] if len(first) else None
        out.append(dict(
            board=c.board, model=c.model, dataset=c.dataset, n=int(s.get("n") or 0),
            median=u.show(s.get("latency_us_median")) + m, p90=u.show(s.get("latency_us_p90")) + m,
            p99=u.show(s.get("latency_us_p99")) + m,
            cv=fmt(s.get("cycles_cv") if num(s.get("cycles_cv")) is not None else s.get("latency_us_cv"), "{:.2%}"),
            cycles=fmt(s.get("cycles_median")) + (m if num(s.get("cycles_median")) is not None else ""),
            cold=u.show(cold) + m, source=c.timing_source, badge=source_badge(c.timing_source, c.emulated),
            accuracy=(f"{acc_name} " if acc_name != "top-1" else "") + pct(acc),
            bit_exact=fmt(s.get("bit_exact_pct"), "{:.1f} %"), mpc=fmt(s.get("mac_per_cycle"), "{:.3f}"),
            arena=fmt(c.job.get("arena_used"), "{:,.0f} B"), energy=fmt(e.median() if len(e) else None, "{:,.2f} µJ"),
        ))
    return out


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
        ("run", rep.run_id), ("status", rep.status), ("suite", m.get("suite") or "–"),
        ("started", str(started or "–")), ("finished", str(finished or "–") + (f"  ({dur})" if dur else "")),
        ("host", str(m.get("host") or "–")), ("hilbench", str(m.get("hilbench_version") or "–")),
        ("git commit", str(m.get("git_commit") or "–")),
        ("rows", f"{total:,} ({len(rep.combos)} board × model × dataset)"),
        ("report generated", f"{rep.generated_at} by hilbench {__version__} on Python {platform.python_version()}"),
    ]
    return rows


def env_rows(rep: Report) -> list[dict[str, Any]]:
    out = []
    for c in rep.combos:
        r = c.rows.iloc[0]
        j = c.job

        def pick(k: str) -> Any:
            v = j.get(k)
            return v if v is not None and not (isinstance(v, float) and math.isnan(v)) else r.get(k)

        out.append(dict(
            job=pick("job_id") or c.key, board=c.board, kind=pick("device_kind") or "–", core=r.get("core") or "–",
            clock=fmt(num(r.get("clock_hz")) and num(r.get("clock_hz")) / 1e6, "{:g} MHz"),
            firmware=r.get("firmware_name") or "–", firmware_sha=pick("firmware_sha256") or "",
            runtime=r.get("runtime") or "–", serial=r.get("board_serial") or "–",
            model=c.model, model_sha=pick("model_sha256") or "", model_path=j.get("model_path") or "",
            dataset=c.dataset, dataset_sha=pick("dataset_sha256") or "", dataset_path=j.get("dataset_path") or "",
            source=c.timing_source, arena=fmt(j.get("arena_used"), "{:,.0f} B"), ops=fmt(j.get("n_ops")),
            macs=fmt(j.get("macs")), status=j.get("status") or "ok", error=j.get("error") or "",
        ))
    return out


def verdict_rows(rep: Report) -> list[dict[str, Any]]:
    def f(x: Any) -> str:
        v = num(x)
        if v is None:
            return "–"
        return f"{v:,.4f}" if abs(v) < 10 else f"{v:,.0f}"

    return [dict(board=v.board or "", model=v.model or "", metric=v.metric, unit=v.unit, baseline=f(v.baseline),
                 candidate=f(v.candidate), effect="–" if v.effect is None else f"{v.effect:+.2%}",
                 p="–" if v.p_value is None else f"{v.p_value:.2g}", method=v.method, verdict=v.verdict,
                 detail=v.detail) for v in rep.verdicts]


def render_html(rep: Report) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("hilbench.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    boards: dict[str, list[dict[str, Any]]] = {}
    for c in rep.combos:
        boards.setdefault(c.board, []).append(dict(label=c.key, caveat=c.short_caveat, star=c.emulated, **latency_charts(c)))
    layers = []
    for c in rep.combos:
        if len(c.layers):
            chart, rows = layer_chart(c)
            layers.append(dict(label=c.key, svg=chart, rows=rows, caveat=c.short_caveat, star=c.emulated))
    ctx = dict(
        rep=rep, title=f"hilbench report · {rep.run_id}", meta=meta_rows(rep), env=env_rows(rep),
        summary=summary_rows(rep), latency=boards, layers=layers, accuracy=accuracy_views(rep),
        fidelity=fidelity_view(rep), energy=energy_view(rep), trend=trend_views(rep), verdicts=verdict_rows(rep),
        choice=choice_views(rep), caveats=rep.caveats, version=__version__,
        css=(Path(__file__).parent / "templates" / "report.css").read_text(),
        js=(Path(__file__).parent / "templates" / "report.js").read_text(),
    )
    return env.get_template("report.html.j2").render(**ctx)


def write_report(run_id: str, out: Path | None = None, results_dir: str | Path | None = None,
                 baseline: str | None = None, fmt_: str = "html") -> Path:
    """Write the HTML (or Markdown) report of a run; the default HTML path is
    results/<run-id>/report.html. Returns the path written."""
    rep = collect(run_id, results_dir, baseline)
    if fmt_ == "md":
        from hilbench.report.markdown import render_markdown

        html = run_dir(run_id, results_dir) / REPORT_NAME
        text = render_markdown(rep, html_path=html if html.is_file() else None)
        out = out or run_dir(run_id, results_dir) / "report.md"
    elif fmt_ == "html":
        text = render_html(rep)
        out = out or run_dir(run_id, results_dir) / REPORT_NAME
    else:
        raise HilbenchError(f"--format must be html or md, not '{fmt_}'")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
