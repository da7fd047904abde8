"""The `hilbench` command line.

Errors a user can fix (HilbenchError) print as one line on stderr and exit 2 - never a
traceback; exit 2 always means "harness or infrastructure", so a CI job never mistakes a
broken board for a slower model.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from hilbench import __version__
from hilbench.console import console, err_console
from hilbench.errors import HilbenchError, ModelError, NotImplementedFeature
from hilbench.paths import default_boards_file

if TYPE_CHECKING:
    from hilbench.config import BoardConfig

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Hardware-in-the-loop benchmarking for TinyML.",
)


def _print_version(value: bool) -> None:
    """--version: eager, like --help, so `hilbench --version <anything>` only prints it."""
    if value:
        console.print(f"hilbench {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print hilbench's version and exit."
        ),
    ] = False,
) -> None:
    """Hardware-in-the-loop benchmarking for TinyML."""


def handle_errors(fn: Callable[..., None]) -> Callable[..., None]:
    """One line and exit 2 for HilbenchError; exit 130 (and results kept) on Ctrl-C."""

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> None:
        from hilbench.envvars import warn_renamed

        warn_renamed()  # HIL_BOARDS & co. (hilbench.envvars.RENAMED)
        try:
            fn(*args, **kwargs)
        except HilbenchError as exc:
            if exc.exit_code == 0:  # nothing to do (e.g. --resume of a complete run)
                err_console.print(f"hilbench: {exc}", markup=False, highlight=False, soft_wrap=True)
                raise typer.Exit(0) from None
            err_console.print(f"hilbench: error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt as exc:
            from hilbench.signals import exit_code, interrupted_message

            err_console.print(interrupted_message(exc), markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(exit_code(exc)) from None

    return wrapper


BoardsOpt = Annotated[
    Path | None,
    typer.Option("--boards", help="boards.toml to use", envvar="HILBENCH_BOARDS", show_envvar=True),
]


@app.command()
@handle_errors
def run(
    suite: Annotated[
        Path | None, typer.Argument(help="suite file (TOML): boards x models x datasets")
    ] = None,
    board: Annotated[str | None, typer.Option("--board", "-b", help="board name from boards.toml")] = None,
    model: Annotated[
        Path | None, typer.Option("--model", "-m", help=".tflite model (default: the demo model)")
    ] = None,
    dataset: Annotated[
        Path | None, typer.Option("--dataset", "-d", help="vector directory, MLPerf Tiny layout")
    ] = None,
    boards: BoardsOpt = None,
    results_dir: Annotated[
        Path | None,
        typer.Option(
            "--results-dir", help="where run directories go", envvar="HILBENCH_RESULTS", show_envvar=True
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="use only the first N vectors")] = None,
    warmup: Annotated[int, typer.Option("--warmup", min=0, help="warm-up inferences before measuring")] = 1,
    repeat: Annotated[int, typer.Option("--repeat", min=1, help="measured inferences per vector")] = 1,
    profile: Annotated[
        bool, typer.Option("--profile/--no-profile", help="per-layer profile of one inference")
    ] = True,
    layers: Annotated[bool, typer.Option("--layers", help="print the per-layer profile table")] = False,
    confusion: Annotated[
        bool, typer.Option("--confusion", help="print the confusion matrix of each classifier")
    ] = False,
    baseline: Annotated[
        str | None,
        typer.Option("--baseline", help="run id, tag, or 'last': compare and exit 1 on regression"),
    ] = None,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="write JUnit XML of the verdicts (or of the jobs)")
    ] = None,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="write report.html into the run directory")
    ] = True,
    mlperf_tiny: Annotated[
        str | None,
        typer.Option(
            "--mlperf-tiny",
            metavar="MODE",
            help='MLPerf Tiny scoring mode, performance | accuracy, on a board with protocol = "mlperf-tiny": '
            "writes the official runner's session files (results.txt, log.txt, results.json)",
        ),
    ] = None,
    window_seconds: Annotated[
        float | None,
        typer.Option(
            "--window-seconds",
            min=0.0,
            help="--mlperf-tiny performance: grow the runner's `infer N` until each window lasts this many DUT "
            "seconds (default: N as the official tests_performance.yaml has it)",
        ),
    ] = None,
    windows: Annotated[
        int, typer.Option("--windows", min=1, help="--mlperf-tiny performance: windows (rules: 5)")
    ] = 5,
    resume: Annotated[
        str | None,
        typer.Option(
            "--resume",
            metavar="RUN_ID",
            help="finish an interrupted (partial) run: only what it has not measured, into the same run",
        ),
    ] = None,
    max_restarts: Annotated[
        int | None,
        typer.Option(
            "--max-restarts",
            min=0,
            help="restarts/resets of a failed board in a row before it is quarantined "
            "(0: the first failure ends the job; default: boards.toml max_restarts, else 3)",
        ),
    ] = None,
    progress_interval: Annotated[
        str | None,
        typer.Option(
            "--progress-interval",
            metavar="SECONDS",
            envvar="HILBENCH_PROGRESS_INTERVAL",
            show_envvar=True,
            help="stderr not a terminal: a progress line at least this often (and every 10 % of a job; 0: only those) "
            "(default: 30)",
        ),
    ] = None,
) -> None:
    """Benchmark a model on a board (or a whole suite): latency, accuracy, bit-exactness."""
    from hilbench.signals import stop_on_signals

    with stop_on_signals():
        _run(
            suite,
            board,
            model,
            dataset,
            boards,
            results_dir,
            limit,
            warmup,
            repeat,
            profile,
            layers,
            confusion,
            baseline,
            junit,
            report,
            mlperf_tiny,
            window_seconds,
            windows,
            resume,
            max_restarts,
            _progress_interval(progress_interval),
        )


def _progress_interval(raw: str | None) -> float:
    """--progress-interval / HILBENCH_PROGRESS_INTERVAL (hilbench.runner.progress); and every other
    variable a run reads is checked here, before a board starts (hilbench.envvars)."""
    from hilbench.envvars import check_environment
    from hilbench.runner.progress import interval_from

    check_environment()
    return interval_from(raw)


def _run(
    suite,
    board,
    model,
    dataset,
    boards,
    results_dir,
    limit,
    warmup,
    repeat,
    profile,
    layers,
    confusion,
    baseline,
    junit,
    report,
    mlperf_tiny,
    window_seconds,
    windows,
    resume,
    max_restarts,
    progress_interval,
) -> None:
    if resume is not None and any(x is not None for x in (suite, board, model, dataset, limit, mlperf_tiny)):
        raise HilbenchError(
            "--resume takes its jobs from the run's plan: give no suite, --board, --model, "
            "--dataset, --limit or --mlperf-tiny with it"
        )
    if mlperf_tiny is not None:
        if suite is not None:
            raise HilbenchError("--mlperf-tiny runs one board, not a suite file")
        _run_mlperf_tiny(
            mlperf_tiny,
            board,
            model,
            dataset,
            boards,
            results_dir,
            limit,
            window_seconds,
            windows,
            report,
            progress_interval,
        )
        return
    import pandas as pd

    from hilbench.config import load_boards, load_suite
    from hilbench.report.table import layers_table, summary_table
    from hilbench.results.summary import summarize
    from hilbench.runner import BenchRequest, jobs_for_request, jobs_for_suite, run_jobs

    boards_file = boards or default_boards_file()
    suite_name: str | None = None
    if resume is not None:
        jobs = []
    elif suite is not None:
        if any(x is not None for x in (board, model, dataset, limit)):
            raise HilbenchError("give either a suite file or --board/--model/--dataset/--limit, not both")
        s = load_suite(suite)
        jobs = jobs_for_suite(s, load_boards(boards_file))
        suite_name = s.name
    else:
        jobs = jobs_for_request(
            BenchRequest(
                board=board,
                model=model,
                dataset=dataset,
                boards_file=boards_file,
                limit=limit,
                warmup=warmup,
                repeat=repeat,
                profile=profile,
            )
        )
        suite_name = None
    from hilbench.devices.recovery import override_max_restarts

    jobs = override_max_restarts(jobs, max_restarts)
    from hilbench.runner.progress import job_progress

    with job_progress(err_console, progress_interval) as jobs_progress:
        if resume is not None:
            from hilbench.runner.resume import resume_run

            result = resume_run(resume, results_dir, jobs_progress=jobs_progress)
        else:
            result = run_jobs(jobs, results_dir, suite=suite_name, jobs_progress=jobs_progress)
    if suite is None and resume is None and result.errors:
        raise HilbenchError(f"{result.errors[0].error or 'job failed'} (run {result.run_id} {result.status})")
    if result.rows:
        summary = summarize(pd.DataFrame(result.rows), pd.DataFrame(result.meta.get("jobs", [])))
        console.print(summary_table(summary, title=f"hilbench run {result.run_id}"))
    if layers and result.layers:
        console.print(layers_table(result.layers))
    if confusion and result.rows:
        from hilbench.report.table import confusion_table

        for rec in summary.to_dict("records"):
            if rec.get("confusion_matrix") is not None:
                console.print(confusion_table(rec))
    for o in result.outcomes:
        if o.arena_used is not None:
            console.print(f"{o.job.job_id}: arena used on the DUT {o.arena_used:,} bytes")
    _print_link_lines(result.run_id, results_dir)
    for o in result.errors:
        err_console.print(
            f"hilbench: error: {o.job.job_id}: {o.error}", markup=False, highlight=False, soft_wrap=True
        )
    if result.samples_file is not None:
        console.print(f"samples: {result.samples_file}")
        if report:
            _run_report(result.run_id, results_dir, baseline)
    if not result.complete:
        from hilbench.results.store import describe_status

        reason = result.meta.get("status_reason")
        err_console.print(
            f"hilbench: error: run {result.run_id} is {describe_status(result.status, reason or '')}"
            f"; finish it with `hilbench run --resume {result.run_id}`",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    code = 2 if result.errors or not result.complete else 0
    if baseline is not None or junit is not None:
        from hilbench.cli_compare import finish_run

        code = finish_run(
            result,
            baseline=baseline,
            junit=junit,
            results_dir=results_dir,
            console=console,
            infra_error=bool(result.errors) or not result.complete,
        )
    if code:
        raise typer.Exit(code)


def _run_mlperf_tiny(
    mode: str,
    board: str | None,
    model: Path | None,
    dataset: Path | None,
    boards: Path | None,
    results_dir: Path | None,
    limit: int | None,
    window_seconds: float | None,
    windows: int,
    report: bool,
    progress_interval: float = 30.0,
) -> None:
    """`hilbench run --mlperf-tiny MODE`: MLPerf Tiny's rules over its own protocol."""
    from hilbench.config import load_boards
    from hilbench.mlperf_tiny.runner import run_mlperf

    if dataset is None:
        raise HilbenchError(
            "--mlperf-tiny needs --dataset (a directory in MLPerf Tiny layout, e.g. kws01 "
            "with y_labels.csv; performance mode uses its first file)"
        )
    b = load_boards(boards or default_boards_file()).get(board)
    from hilbench.runner.progress import job_label, job_progress

    key, unit = f"{b.name}/mlperf-tiny-{mode}", "windows" if mode == "performance" else "vectors"
    label = (
        job_label(b.name, model.stem if model else (Path(b.model).stem if b.model else "model in flash"))
        + f" MLPerf Tiny {mode}"
    )
    with job_progress(err_console, progress_interval, "starting the DUT") as jp:
        result = run_mlperf(
            b,
            mode,
            dataset,
            model=model,
            results_dir=results_dir,
            windows=windows,
            min_window_s=window_seconds,
            limit=limit,
            progress=lambda done, total: jp.update(key, done, total),
            on_open=lambda info: jp.start(key, label, None, unit=unit),
        )
        jp.finish(key)
    if result.rows:
        import pandas as pd

        from hilbench.report.table import summary_table
        from hilbench.results.summary import summarize

        console.print(
            summary_table(summarize(pd.DataFrame(result.rows)), title=f"hilbench run {result.run_id}")
        )
    for line in result.lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"MLPerf Tiny session (official runner's files): {result.session_dir}",
        soft_wrap=True,
        highlight=False,
    )
    console.print(f"results.txt: {result.results_txt}", soft_wrap=True, highlight=False)
    console.print(f"submission checker input: {result.session_root}", soft_wrap=True, highlight=False)
    console.print(f"samples: {result.samples_file}", soft_wrap=True, highlight=False)
    if report:
        _run_report(result.run_id, results_dir, None)


def _print_link_lines(run_id: str, results_dir: Path | None) -> None:
    """Retransmission rate and link adaptations of the run just finished, if any."""
    from hilbench.report.terminal import link_lines
    from hilbench.results.store import load_events

    try:
        events = load_events(run_id, results_dir)
    except (OSError, ValueError):  # a damaged events file: `hilbench show` names it; the run itself stands
        return
    for line in link_lines(events):
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)


def _run_report(run_id: str, results_dir: Path | None, baseline: str | None) -> None:
    """report.html beside the results; a report that cannot be written never fails the run."""
    from hilbench.report.html import write_report

    try:
        try:
            path = write_report(run_id, results_dir=results_dir, baseline=baseline)
        except HilbenchError:
            if baseline is None:
                raise
            path = write_report(run_id, results_dir=results_dir)  # e.g. no earlier run for --baseline last
        console.print(f"report: {path}", soft_wrap=True, highlight=False)
    except Exception as exc:
        err_console.print(f"hilbench: warning: report not written: {exc}", markup=False, highlight=False)


# `hilbench boards` lists; `hilbench boards detect` (hilbench/boards_detect/) finds what is plugged in.
boards_app = typer.Typer(no_args_is_help=False)
app.add_typer(boards_app, name="boards")


@boards_app.callback(invoke_without_command=True)
@handle_errors
def boards_cmd(
    ctx: typer.Context,
    boards: BoardsOpt = None,
    probe: Annotated[
        bool, typer.Option("--probe/--no-probe", help="ask available MLPerf Tiny DUTs which model they run")
    ] = True,
) -> None:
    """List the boards in boards.toml, whether each is available now, and (MLPerf Tiny
    boards) the model id the DUT reports. `hilbench boards detect` finds boards plugged in."""
    if ctx.invoked_subcommand is not None:
        return
    from hilbench import firmware
    from hilbench.config import load_boards

    cfg = load_boards(boards or default_boards_file())
    t = Table(title=f"boards in {cfg.path}", title_justify="left")
    for col in ("board", "kind", "protocol", "core", "available", "why", "model id", "description"):
        t.add_column(col)
    for name, b in cfg.boards.items():
        ok, why = True, "ready"
        if b.kind == "emulated":
            assert b.qemu is not None
            image = (
                Path(b.image)
                if b.image
                else firmware.image_path(b.firmware or name, defines=tuple(b.defines))
            )
            if shutil.which(b.qemu.binary) is None:
                ok, why = False, f"{b.qemu.binary} not installed"
            elif not image.is_file():
                ok, why = False, f"firmware image not built ({image.name}; `hilbench run` builds it)"
        elif b.kind == "native":
            if not firmware.image_exists(b.firmware or "host"):
                ok, why = False, "host firmware not built (`hilbench run` builds it)"
        elif b.kind == "mcu":
            port = b.port or ""
            if "://" not in port and not Path(port).exists():
                ok, why = False, f"serial port {port} not present"
        else:
            ok, why = False, f"device kind '{b.kind}' not implemented yet"
        model_id = ""
        if b.protocol == "mlperf-tiny" and ok and probe:
            model_id, ok, why = _probe_mlperf(b)
        default = " (default)" if name == cfg.default_board else ""
        t.add_row(
            name + default, b.kind, b.protocol, b.core, "yes" if ok else "no", why, model_id, b.description
        )
    console.print(t)


def _probe_mlperf(board: BoardConfig) -> tuple[str, bool, str]:
    """(model id, available, why) as an MLPerf Tiny DUT answers `profile%`."""
    from hilbench.mlperf_tiny.device import MlperfTinyDevice

    try:
        with MlperfTinyDevice(board, build=False) as dev:
            dev.open()
            ident = dev.identity
            assert ident is not None
            return ident.model_id or "?", True, f"answers as {ident.name!r}"
    except HilbenchError as exc:
        return "", False, str(exc)


ResultsOpt = Annotated[
    Path | None,
    typer.Option("--results-dir", help="results directory", envvar="HILBENCH_RESULTS", show_envvar=True),
]


@app.command()
@handle_errors
def verify(
    board: Annotated[str | None, typer.Option("--board", "-b", help="board name from boards.toml")] = None,
    model: Annotated[
        Path | None, typer.Option("--model", "-m", help=".tflite model (default: the demo model)")
    ] = None,
    dataset: Annotated[Path | None, typer.Option("--dataset", "-d", help="vector directory")] = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="dataset vectors to check")] = 3,
    random: Annotated[int, typer.Option("--random", min=0, help="seeded random input vectors to check")] = 0,
    seed: Annotated[int, typer.Option("--seed", min=0)] = 0,
    boards: BoardsOpt = None,
) -> None:
    """Per-layer bit-exactness on the DUT: every intermediate tensor vs tflite-micro."""
    from hilbench.config import load_boards
    from hilbench.datasets import load_dataset
    from hilbench.devices import make_device
    from hilbench.devices.base import LayerInspection
    from hilbench.models.inspect import inspect_model
    from hilbench.models.layer_check import check_layers
    from hilbench.models.reference import ReferenceInterpreter

    if model is None:
        from hilbench import demo

        model, dataset = Path(demo.DEMO_MODEL), dataset or Path(demo.DEMO_DATASET)
    info = inspect_model(model)
    if len(info.inputs) != 1:
        raise ModelError(f"{model}: {len(info.inputs)} inputs; verify checks single-input models")
    model_bytes = model.read_bytes()
    vectors: list[tuple[str, bytes]] = []
    if dataset is not None and limit:
        ds = load_dataset(dataset, limit=limit).for_model_input(info.inputs[0], f"{model.name} input")
        vectors += [(v.sample_id, ds.read(v)) for v in ds.vectors]
    if random:
        from hilbench.models.random_inputs import random_vectors

        rand, rand_range = random_vectors(info, random, seed)
        vectors += rand
        console.print(f"random inputs (seed {seed}): {rand_range.describe()}", markup=False)
    if not vectors:
        raise HilbenchError("nothing to verify: give --dataset with --limit > 0, or --random N")
    ref = ReferenceInterpreter(model_bytes, preserve_all_tensors=True, name=str(model))
    b = load_boards(boards or default_boards_file()).get(board)
    rows: dict[tuple[int, int], list] = {}
    with make_device(b) as dev:
        if not isinstance(dev, LayerInspection):
            raise NotImplementedFeature(
                f"board '{b.name}': its device kind cannot read tensors after an operator"
            )
        dev.open()
        dev.load_model(model_bytes, source=str(model))
        for _, vec in vectors:
            for c in check_layers(dev, info, ref, vec):
                rows.setdefault((c.op_index, c.tensor_index), []).append(c)
    t = Table(
        title=f"per-layer fidelity on {b.name}: {model.name}, {len(vectors)} inputs", title_justify="left"
    )
    for col in ("op", "name", "tensor", "bytes", "bit-exact", "max |diff|"):
        t.add_column(col, justify="left" if col == "name" else "right")
    bad = 0
    for (op_i, t_i), cs in sorted(rows.items()):
        exact = sum(c.bit_exact for c in cs)
        bad += len(cs) - exact
        t.add_row(
            str(op_i),
            cs[0].op_name,
            str(t_i),
            f"{cs[0].nbytes:,}",
            f"{exact}/{len(cs)}",
            f"{max(c.max_abs_diff for c in cs):g}",
        )
    console.print(t)
    if bad:
        err_console.print(f"hilbench: {bad} tensor comparisons differ from tflite-micro", markup=False)
        raise typer.Exit(1)
    console.print(f"all {sum(len(v) for v in rows.values())} tensors bit-exact with tflite-micro")


@app.command()
@handle_errors
def history(
    board: Annotated[str | None, typer.Option("--board", "-b")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m")] = None,
    where: Annotated[
        str | None, typer.Option("--where", help="SQL filter, e.g. 'latency_ms < 50 and top1 > 0.9'")
    ] = None,
    last: Annotated[int | None, typer.Option("--last", min=1, help="newest N rows")] = None,
    results_dir: ResultsOpt = None,
    csv: Annotated[bool, typer.Option("--csv", help="print CSV instead of a table")] = False,
) -> None:
    """Runs in the results store, one row per run x board x model, newest first."""
    from hilbench.report.table import history_table
    from hilbench.results.history import history as query

    df = query(results_dir, board=board, model=model, where=where, last=last)
    if csv:
        print(df.to_csv(index=False), end="")
        return
    console.print(history_table(df))


@app.command()
@handle_errors
def compare(
    baseline: Annotated[str, typer.Argument(help="baseline: run id, tag, or 'last'")],
    candidate: Annotated[str, typer.Argument(help="candidate: run id, tag, or 'last'")],
    results_dir: ResultsOpt = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="write JUnit XML of the verdicts")] = None,
    emulated_threshold: Annotated[
        float, typer.Option(help="relative change of an exact emulated count that counts")
    ] = 0.005,
    min_effect: Annotated[
        float, typer.Option(help="smallest relative change of a noisy timing that counts")
    ] = 0.02,
) -> None:
    """Regression verdicts per board x model x metric; exit 1 if anything regressed."""
    from hilbench.cli_compare import compare_command

    code = compare_command(baseline, candidate, results_dir, junit, emulated_threshold, min_effect, console)
    if code:
        raise typer.Exit(code)


@app.command("report")
@handle_errors
def report_cmd(
    run_id: Annotated[str, typer.Argument(help="run id, tag, or 'last'")] = "last",
    baseline: Annotated[
        str | None, typer.Option("--baseline", help="run id, tag, or 'last': add the comparison")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="file to write (default: results/<run>/report.html; Markdown: stdout)"
        ),
    ] = None,
    format: Annotated[
        str, typer.Option("--format", help="html (one self-contained file) or md (a CI comment)")
    ] = "html",
    results_dir: ResultsOpt = None,
) -> None:
    """A run's report: one self-contained HTML file that works offline, or Markdown."""
    from hilbench.report.html import collect, resolve_run, write_report

    if format not in ("html", "md"):
        raise HilbenchError(f"--format must be html or md, not '{format}'")
    rid = resolve_run(run_id, results_dir)
    if format == "md" and output is None:
        from hilbench.report.html import REPORT_NAME
        from hilbench.report.markdown import render_markdown
        from hilbench.results.store import run_dir

        html = run_dir(rid, results_dir) / REPORT_NAME
        print(render_markdown(collect(rid, results_dir, baseline), html if html.is_file() else None), end="")
        return
    path = write_report(rid, output, results_dir, baseline, fmt_=format)
    console.print(f"report: {path}", soft_wrap=True, highlight=False)


@app.command()
@handle_errors
def show(
    run_id: Annotated[str, typer.Argument(help="run id, tag, or 'last'")] = "last",
    baseline: Annotated[
        str | None, typer.Option("--baseline", help="run id, tag, or 'last': add the verdicts")
    ] = None,
    layers: Annotated[bool, typer.Option("--layers", help="print the per-layer profiles")] = False,
    results_dir: ResultsOpt = None,
) -> None:
    """A run's summary in the terminal: results table, verdicts, device choice."""
    from hilbench.report.html import collect, resolve_run
    from hilbench.report.terminal import show_run

    rid = resolve_run(run_id, results_dir)
    show_run(collect(rid, results_dir, baseline), console, layers=layers, results_dir=results_dir)


baseline_app = typer.Typer(help="Name runs to compare against (results/tags.json).", no_args_is_help=True)
app.add_typer(baseline_app, name="baseline")


@baseline_app.command("tag")
@handle_errors
def baseline_tag(
    run_id: Annotated[str, typer.Argument(help="run id (or 'last')")],
    name: Annotated[str, typer.Argument(help="tag name, e.g. last-good")],
    results_dir: ResultsOpt = None,
) -> None:
    """Tag a run, e.g. `hilbench baseline tag 20261128T120102Z-3f2a9c last-good`."""
    from hilbench.results.tags import resolve, set_tag

    rid = resolve(run_id, results_dir)
    set_tag(name, rid, results_dir)
    console.print(f"{name} -> {rid}")


@baseline_app.command("list")
@handle_errors
def baseline_list(results_dir: ResultsOpt = None) -> None:
    """List tags."""
    from hilbench.results.tags import read_tags

    for name, rid in sorted(read_tags(results_dir).items()):
        console.print(f"{name}\t{rid}")


@app.command("serve")
@handle_errors
def serve(
    board_arg: Annotated[
        str | None,
        typer.Argument(metavar="[BOARD]", help="board from boards.toml (same as --board), e.g. mps2-an386"),
    ] = None,
    board: Annotated[
        str | None,
        typer.Option(
            "--board", "-b", help="board from boards.toml: emulated (hilbench or MLPerf Tiny protocol) or mcu"
        ),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            "-m",
            help='protocol = "mlperf-tiny" boards: the .tflite written to the flash model '
            "partition (default: the board's `model`)",
        ),
    ] = None,
    boards: BoardsOpt = None,
) -> None:
    """Run a board's firmware (emulated: under QEMU; MLPerf Tiny boards with --model in flash)
    for other tools: prints `hilbench serve: board NAME on /dev/pts/N` (mcu: its port) and
    holds it, and its lock, until Ctrl-C / SIGTERM."""
    from hilbench.devices.serve import serve_board

    if board_arg is not None and board is not None and board_arg != board:
        raise HilbenchError(f"--board {board} and BOARD argument '{board_arg}': give the board once")
    serve_board(board or board_arg, boards or default_boards_file(), model=model)


def _register_proxy() -> None:
    """`hilbench proxy`: options and logic live in hilbench/faults/cli.py (light to import;
    numpy and the relay load only when the command runs)."""
    from hilbench.faults.cli import proxy_command

    app.command("proxy")(handle_errors(proxy_command))


_register_proxy()
from hilbench.flash.cli import flash_command  # noqa: E402 - light: the flashers load when it runs

app.command("flash")(handle_errors(flash_command))


def _register_boards_detect() -> None:
    """`hilbench boards detect`: options and logic live in hilbench/boards_detect/cli.py."""
    from hilbench.boards_detect.cli import detect_command

    boards_app.command("detect")(handle_errors(detect_command))


_register_boards_detect()


@app.command()
def version() -> None:
    """Print hilbench's version."""
    console.print(f"hilbench {__version__}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
