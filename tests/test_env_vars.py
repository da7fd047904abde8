"""Environment variables: one prefix (HILBENCH_), shown in --help, strict (hilbench.envvars).

Before: `HIL_BOARDS`, `HIL_EMULATE`, `HIL_LOCK_TIMEOUT` beside `HILBENCH_RESULTS`; the
`[env HIL_BOARDS]` hints in --help were eaten by rich as markup; `HILBENCH_FLUSH_ROWS=x`
and `HIL_EMULATE=maybe` were silently a default. Now every variable is `HILBENCH_*`, the
old names are read (with one warning naming both) while the new one is unset, --help
names them, and a value that does not parse is one error line naming variable and value.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from hilbench import envvars
from hilbench.envvars import EnvVarError, lookup
from tests.clihelp import ROOT, assert_one_line_error, run_cli, stderr_lines
from tests.test_pytest_plugin import run_pytest

DEPRECATED = re.compile(r"^hilbench: warning: (HIL_\w+) is deprecated, set (HILBENCH_\w+) instead \(")


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(envvars, "_warned", set())


# ----------------------------------------------------------------------------- the reader


def test_new_name_wins_old_name_warns_once() -> None:
    warned: list[str] = []
    env = {"HIL_BOARDS": "old.toml"}
    assert lookup("HILBENCH_BOARDS", env, warned.append) == ("HIL_BOARDS", "old.toml")
    assert lookup("HILBENCH_BOARDS", env, warned.append) == ("HIL_BOARDS", "old.toml")
    assert len(warned) == 1 and DEPRECATED.match(warned[0]).groups() == ("HIL_BOARDS", "HILBENCH_BOARDS")
    assert "read because HILBENCH_BOARDS is unset" in warned[0]
    envvars._warned.clear()
    both = {"HIL_BOARDS": "old.toml", "HILBENCH_BOARDS": "new.toml"}
    assert lookup("HILBENCH_BOARDS", both, warned.append) == ("HILBENCH_BOARDS", "new.toml")
    assert "ignored, HILBENCH_BOARDS is set" in warned[-1]
    assert lookup("HILBENCH_RESULTS", {"HILBENCH_RESULTS": ""}) is None  # empty = unset, as before


@pytest.mark.parametrize(
    "name,value,message",
    [
        (
            "HILBENCH_LOCK_TIMEOUT",
            "abc",
            "HILBENCH_LOCK_TIMEOUT='abc': not a number of seconds (0 or negative: wait for ever)",
        ),
        ("HILBENCH_LOCK_TIMEOUT", "nan", "HILBENCH_LOCK_TIMEOUT='nan': not a number of seconds"),
        ("HILBENCH_FLUSH_ROWS", "0", "HILBENCH_FLUSH_ROWS='0': not a whole number of rows >= 1"),
        ("HILBENCH_FLUSH_ROWS", "1e3", "HILBENCH_FLUSH_ROWS='1e3': not a whole number of rows >= 1"),
        ("HILBENCH_FLUSH_SECONDS", "-1", "HILBENCH_FLUSH_SECONDS='-1': not a number of seconds >= 0"),
    ],
)
def test_bad_numbers_name_variable_and_value(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(EnvVarError) as err:
        envvars.check_environment()
    assert str(err.value).startswith(message)


def test_booleans_and_choices_are_strict() -> None:
    for raw, want in (
        ("1", True),
        ("Yes", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("off", False),
    ):
        assert envvars.get_bool("HILBENCH_EMULATE", environ={"HILBENCH_EMULATE": raw}) is want
    assert envvars.get_bool("HILBENCH_EMULATE", environ={}) is False
    with pytest.raises(EnvVarError, match=r"^HILBENCH_EMULATE='maybe': not a boolean \(1/true/yes/on or "):
        envvars.get_bool("HILBENCH_EMULATE", environ={"HILBENCH_EMULATE": "maybe"})
    with pytest.raises(EnvVarError, match=r"^HIL_DUT_SCOPE='forever': not one of session, module"):
        envvars.get_choice(
            "HILBENCH_DUT_SCOPE", ("session", "module"), "module", environ={"HIL_DUT_SCOPE": "forever"}
        )


_READ = re.compile(
    r"""(?:environ\.get|environ\[|getenv|\bget(?:_float|_int|_bool|_choice)?)\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
)
STANDARD = {"COLUMNS", "XDG_CACHE_HOME"}  # not ours: read as every terminal / XDG program reads them


def test_every_variable_hilbench_reads_is_hilbench_prefixed_and_listed() -> None:
    """A grep, so a new `os.environ.get("HIL_X")` cannot slip in; docs/cli.md lists them all."""
    found: dict[str, str] = {}
    for py in (ROOT / "hilbench").rglob("*.py"):
        if py.name == "envvars.py":
            continue
        for name in _READ.findall(py.read_text()):
            found.setdefault(name, str(py.relative_to(ROOT)))
    assert {"HILBENCH_BOARDS", "HILBENCH_RESULTS", "HILBENCH_LOCK_DIR", "HILBENCH_EMULATE"} <= set(found)
    stray = {n: f for n, f in found.items() if n not in envvars.VARIABLES and n not in STANDARD}
    # HIL_FLASH_IMAGE is not read by hilbench: hilbench sets it for its host-native firmware
    stray.pop("HIL_FLASH_IMAGE", None)
    assert not stray, stray
    assert all(n.startswith(envvars.PREFIX) for n in envvars.VARIABLES)
    doc = (ROOT / "docs" / "cli.md").read_text()
    assert [n for n in envvars.VARIABLES if f"`{n}`" not in doc] == []
    assert [old for old in envvars.RENAMED.values() if f"`{old}`" not in doc] == []


# ----------------------------------------------------------------------------- the command line


def test_help_names_the_environment_variables() -> None:
    r = run_cli("run", "--help")
    assert r.code == 0, r.stderr
    text = re.sub(r"[\s│]+", " ", r.stdout)
    for name in ("HILBENCH_BOARDS", "HILBENCH_RESULTS", "HILBENCH_PROGRESS_INTERVAL"):
        assert f"[env var: {name}]" in text, name
    assert "default: boards.toml max_restarts, else 3" in text  # no longer eaten as a markup tag
    r = run_cli("history", "--help")
    assert "[env var: HILBENCH_RESULTS]" in re.sub(r"[\s│]+", " ", r.stdout)


def _boards_file(tmp_path: Path, name: str) -> Path:
    p = tmp_path / name
    shutil.copy(ROOT / "boards.toml", p)
    return p


def test_boards_from_the_new_name_and_from_the_old_name_with_one_warning(tmp_path: Path) -> None:
    new = _boards_file(tmp_path, "new.toml")
    r = run_cli("boards", "--no-probe", env={"HILBENCH_BOARDS": str(new)})
    assert r.code == 0 and f"boards in {new}" in r.stdout, r.stderr
    assert stderr_lines(r.stderr) == []
    old = _boards_file(tmp_path, "old.toml")
    r = run_cli("boards", "--no-probe", env={"HIL_BOARDS": str(old)})
    assert r.code == 0 and f"boards in {old}" in r.stdout, r.stderr
    lines = stderr_lines(r.stderr)
    assert len(lines) == 1 and DEPRECATED.match(lines[0]).groups() == ("HIL_BOARDS", "HILBENCH_BOARDS"), (
        r.stderr
    )
    r = run_cli("boards", "--no-probe", env={"HIL_BOARDS": str(old), "HILBENCH_BOARDS": str(new)})
    assert r.code == 0 and f"boards in {new}" in r.stdout, r.stderr
    assert "ignored, HILBENCH_BOARDS is set" in r.stderr


def test_results_dir_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "tags.json").write_text('{"last-good": "20261203T000000Z-abcdef"}')
    r = run_cli("baseline", "list", env={"HILBENCH_RESULTS": str(tmp_path)})
    assert r.code == 0 and r.stdout.split() == ["last-good", "20261203T000000Z-abcdef"], (r.stdout, r.stderr)


@pytest.mark.parametrize(
    "env,needle",
    [
        (
            {"HILBENCH_LOCK_TIMEOUT": "abc"},
            "hilbench: error: HILBENCH_LOCK_TIMEOUT='abc': not a number of seconds",
        ),
        (
            {"HILBENCH_FLUSH_ROWS": "many"},
            "hilbench: error: HILBENCH_FLUSH_ROWS='many': not a whole number of rows",
        ),
        (
            {"HILBENCH_PROGRESS_INTERVAL": "abc"},
            "hilbench: error: HILBENCH_PROGRESS_INTERVAL='abc': not a number of seconds >= 0",
        ),
        (
            {"HILBENCH_PROGRESS_INTERVAL": "-5"},
            "hilbench: error: HILBENCH_PROGRESS_INTERVAL='-5': not a number of seconds >= 0",
        ),
    ],
)
def test_bad_value_is_one_error_line_before_any_board_starts(
    tmp_path: Path, env: dict[str, str], needle: str
) -> None:
    r = run_cli("run", "--board", "host", "--results-dir", str(tmp_path), env=env)
    line = assert_one_line_error(r, needle)
    assert line.startswith(needle)
    assert not list(tmp_path.iterdir())  # nothing started, no run directory


def test_bad_option_value_names_the_option(tmp_path: Path) -> None:
    r = run_cli("run", "--board", "host", "--progress-interval", "soon", "--results-dir", str(tmp_path))
    assert_one_line_error(r, "hilbench: error: --progress-interval 'soon': not a number of seconds >= 0")


def test_old_lock_timeout_name_warns_and_is_still_parsed(tmp_path: Path) -> None:
    r = run_cli("run", "--board", "host", "--results-dir", str(tmp_path), env={"HIL_LOCK_TIMEOUT": "abc"})
    assert r.code == 2, r.stderr
    lines = stderr_lines(r.stderr)
    assert len(lines) == 2 and DEPRECATED.match(lines[0]).groups() == (
        "HIL_LOCK_TIMEOUT",
        "HILBENCH_LOCK_TIMEOUT",
    )
    assert lines[1].startswith("hilbench: error: HIL_LOCK_TIMEOUT='abc': not a number of seconds"), lines


# ----------------------------------------------------------------------------- the pytest plugin


@pytest.mark.parametrize(
    "env,message",
    [
        ({"HILBENCH_EMULATE": "maybe"}, "ERROR: HILBENCH_EMULATE='maybe': not a boolean"),
        (
            {"HILBENCH_DUT_SCOPE": "forever"},
            "ERROR: HILBENCH_DUT_SCOPE='forever': not one of session, module, function",
        ),
        ({"HILBENCH_LOCK_TIMEOUT": "abc"}, "ERROR: HILBENCH_LOCK_TIMEOUT='abc': not a number of seconds"),
        ({"HIL_EMULATE": "maybe"}, "ERROR: HIL_EMULATE='maybe': not a boolean"),
    ],
)
def test_plugin_bad_value_is_a_usage_error(env: dict[str, str], message: str) -> None:
    r = run_pytest("examples/test_with_hilbench.py", "-q", cwd=ROOT, env=env)
    assert r.returncode == 4, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])  # pytest's usage error
    assert message in r.stderr, r.stderr


def test_plugin_reads_old_names_with_a_warning() -> None:
    r = run_pytest(
        "examples/test_with_hilbench.py", "-q", cwd=ROOT, env={"HIL_BOARD": "nano33ble", "HIL_EMULATE": "1"}
    )
    assert r.returncode == 0 and "4 skipped" in r.stdout, r.stdout[-2000:] + r.stderr[-2000:]
    assert "nano33ble" in r.stdout  # HIL_BOARD still filters
    warned = sorted(m.groups() for ln in r.stderr.splitlines() if (m := DEPRECATED.match(ln)))
    assert warned == [("HIL_BOARD", "HILBENCH_BOARD"), ("HIL_EMULATE", "HILBENCH_EMULATE")], r.stderr
