"""Suite files, `hilbench history`, and infrastructure errors in a suite (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hilbench.config import load_suite
from hilbench.errors import ConfigError
from tests.clihelp import ROOT, run_cli
from tests.conftest import need_tool


def test_example_suite_parses() -> None:
    s = load_suite(ROOT / "examples" / "nightly.toml")
    assert s.name == "nightly" and s.boards == ["mps2-an386", "mps2-an500"]
    assert [m.label for m in s.models] == ["digits", "kws"]
    assert s.models[0].model.is_absolute() and s.models[0].model.is_file()
    assert s.measure.windows == 3


@pytest.mark.parametrize(
    "text,match",
    [
        (
            'boards = ["x"]\n[[models]]\nmodel = "a"\ndataset = "b"\nlimt = 3\n',
            r"\[\[models\]\] #1 key 'limt': unknown key",
        ),
        (
            'boards = ["x"]\n[[models]]\nmodel = "a"\ndataset = "b"\n[measure]\nwindow = 2\n',
            r"\[measure\] key 'window'",
        ),
        ('boards = []\n[[models]]\nmodel = "a"\ndataset = "b"\n', r"key 'boards'"),
        ('boards = ["x"\n', r"TOML syntax error"),
    ],
)
def test_suite_errors_name_table_and_key(tmp_path: Path, text: str, match: str) -> None:
    p = tmp_path / "s.toml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_suite(p)


def _suite(tmp_path: Path, boards: list[str], windows: int = 0) -> Path:
    p = tmp_path / "suite.toml"
    p.write_text(f"""
name = "t"
boards = {boards!r}
[[models]]
name = "digits"
model = "{ROOT / "hilbench/demo/digits_mlp.tflite"}"
dataset = "{ROOT / "hilbench/demo/digits"}"
limit = 12
[measure]
windows = {windows}
inferences = 7
""")
    return p


def test_suite_on_host_board_with_windows_and_history(tmp_path: Path) -> None:
    need_tool("gcc")
    res = tmp_path / "results"
    r = run_cli("run", str(_suite(tmp_path, ["host"], windows=2)), "--results-dir", str(res))
    assert r.code == 0, r.stderr
    import hilbench.results

    run_id = next(p.name for p in res.iterdir() if p.is_dir())
    df = hilbench.results.load(run_id, res)
    assert (df.suite == "t").all()
    win = df[df.window.notna()]
    assert sorted(win.window.unique().tolist()) == [0, 1] and len(win) == 14
    assert len(df[(df.phase == "measure") & df.window.isna()]) == 12
    h = run_cli("history", "--results-dir", str(res), "--csv")
    assert h.code == 0 and run_id in h.stdout and "host" in h.stdout
    h = run_cli("history", "--results-dir", str(res), "--where", "top1 > 2", "--csv")
    assert run_id not in h.stdout


def test_board_that_cannot_be_opened_is_exit_2_and_others_still_run(tmp_path: Path) -> None:
    need_tool("gcc")
    boards = tmp_path / "boards.toml"
    boards.write_text(
        (ROOT / "boards.toml").read_text()
        + """
[boards.broken]
kind = "emulated"
core = "cortex-m4f"
clock_hz = 25_000_000
firmware = "mps2-an386"
qemu = { binary = "qemu-system-doesnotexist", machine = "mps2-an386" }
"""
    )
    res = tmp_path / "results"
    junit = tmp_path / "junit.xml"
    r = run_cli(
        "run",
        str(_suite(tmp_path, ["broken", "host"])),
        "--boards",
        str(boards),
        "--results-dir",
        str(res),
        "--junit",
        str(junit),
    )
    assert r.code == 2, r.stdout + r.stderr
    assert "broken" in r.stderr and "qemu-system-doesnotexist not found" in r.stderr
    assert "host" in r.stdout  # the other board's results are in the table
    xml = junit.read_text()
    assert 'errors="1"' in xml and "<error" in xml
