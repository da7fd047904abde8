"""The HTML report rendered in headless Chromium with the network off: every plot draws (an
SVG with marks and a non-empty box in the rendered DOM), the console has no JavaScript
error, and a full-page screenshot is saved with the test artefacts.

Chromium is Debian's `chromium` (./test.sh installs it as root). It runs with
--headless --no-sandbox --disable-gpu, the background networking off, a fresh
--user-data-dir, and - where the kernel allows - in a network namespace of its own
(`unshare -n`), so nothing could be fetched even if the page asked; the page's own CSP
forbids it too. Console errors are caught twice: the report's script writes any error into
#js-errors (the DOM dump shows it), and Chromium's log (--enable-logging=stderr) must have
no "Uncaught". A control page with a deliberate error proves both detectors work.

Screenshots go to $HILBENCH_TEST_ARTIFACTS (default build/test-artifacts)/report/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from benchmarks.report_speed import history_runs, synthetic_run
from hilbench.report.html import write_report
from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    # belt and braces: no proxy, no DNS, even outside a network namespace
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
WIDTH = 1400
MAX_HEIGHT = 30_000

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).is_file(),
    reason=f"{CHROMIUM} not installed (Debian's chromium; ./test.sh installs it as root)",
)


def artifacts() -> Path:
    d = Path(os.environ.get("HILBENCH_TEST_ARTIFACTS", ROOT / "build" / "test-artifacts")) / "report"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _netns() -> list[str]:
    """`unshare -n` when this kernel lets us have a network namespace (no network at all)."""
    exe = shutil.which("unshare")
    if exe and subprocess.run([exe, "-n", "true"], capture_output=True).returncode == 0:
        return [exe, "-n"]
    if exe and subprocess.run([exe, "-rn", "true"], capture_output=True).returncode == 0:
        return [exe, "-rn"]
    return []


def chromium(page: Path, tmp: Path, *args: str, height: int = 900) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"  # a fresh --user-data-dir every time
    cmd = [
        *_netns(),
        CHROMIUM,
        *FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},{height}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
        page.as_uri(),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def render(page: Path, tmp: Path) -> tuple[str, str]:
    """(DOM after load, Chromium's log)."""
    r = chromium(page, tmp, "--dump-dom")
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout, r.stderr


def console_errors(dom: str, log: str) -> list[str]:
    errs = [ln for ln in log.splitlines() if "Uncaught" in ln or ("CONSOLE" in ln and ":ERROR:" in ln)]
    m = re.search(r'<div id="js-errors"([^>]*)>(.*?)</div>', dom, re.S)
    assert m, "the report's #js-errors element is missing"
    if "hidden" not in m.group(1) or m.group(2).strip():
        errs.append(f"#js-errors: {m.group(2).strip()}")
    return errs


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three boards (two emulated, one real with energy) x three model variants, a history
    of four runs and a baseline, so every section and chart kind is drawn."""
    tmp = tmp_path_factory.mktemp("results")
    ids = history_runs(tmp, 4, samples=900)
    rid = "20261128T200000Z-c4f3e0"
    synthetic_run(
        tmp,
        rid,
        samples=3000,
        started=datetime(2026, 11, 28, 20, tzinfo=timezone.utc),
        seed=7,
        slower={("mps2-an386", "kws_int8.tflite"): 1.05},
    )
    return write_report(rid, None, tmp, baseline=ids[-1])


def test_every_plot_draws_and_the_console_is_clean(report: Path, tmp_path: Path) -> None:
    dom, log = render(report, tmp_path)
    figures = re.findall(r'<figure class="plot"[^>]*>', dom)
    assert len(figures) >= 30, len(figures)
    total = int(re.search(r'data-plots="(\d+)"', dom).group(1))  # type: ignore[union-attr]
    drawn = int(re.search(r'data-plots-drawn="(\d+)"', dom).group(1))  # type: ignore[union-attr]
    assert total == len(figures) and drawn == total, (drawn, total)
    assert all('data-drawn="yes"' in f for f in figures)
    kinds = set(re.findall(r'data-plot="([a-z-]+)"', dom))
    assert {
        "latency-hist",
        "latency-seq",
        "layers",
        "confusion",
        "fidelity",
        "energy",
        "trend",
        "pareto",
    } <= kinds
    for body in re.findall(r'<figure class="plot".*?</figure>', dom, re.S):
        assert "<svg" in body and re.search(r"<(rect|circle|path|line|polyline)\b", body)
    assert console_errors(dom, log) == []
    assert "not silicon time" in dom  # the emulated caveat is on the page


def test_screenshot_is_saved_with_the_artefacts(report: Path, tmp_path: Path) -> None:
    dom, _ = render(report, tmp_path)
    height = min(int(re.search(r'data-page-height="(\d+)"', dom).group(1)), MAX_HEIGHT)  # type: ignore[union-attr]
    shot = artifacts() / "report.png"
    shot.unlink(missing_ok=True)
    r = chromium(report, tmp_path, f"--screenshot={shot}", height=height)
    assert r.returncode == 0, r.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    w, h = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (w, h) == (WIDTH, height)
    shutil.copy(report, artifacts() / "report.html")


def test_a_javascript_error_would_be_caught(report: Path, tmp_path: Path) -> None:
    """The control: the same report with one broken script must fail both detectors."""
    broken = tmp_path / "broken.html"
    broken.write_text(report.read_text().replace("</body>", "<script>notDefinedAnywhere();</script></body>"))
    dom, log = render(broken, tmp_path)
    errs = console_errors(dom, log)
    assert any("notDefinedAnywhere" in e and e.startswith("#js-errors") for e in errs), errs
    assert any("Uncaught" in e for e in errs), errs
