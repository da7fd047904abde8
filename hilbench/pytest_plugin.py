"""hilbench's pytest plugin: hardware-in-the-loop tests on the boards of boards.toml.

Registered through the `pytest11` entry point, so installing hilbench makes it available
in every pytest run; docs/pytest.md is the user's guide. In brief:

    @pytest.mark.hil(board="mps2-*", core="cortex-m*", min_ram=64_000, features=["dsp"])
    def test_model(dut, hil_bench):
        dut.load_model("kws.tflite")
        assert dut.run(vector).output == expected
        result = hil_bench(model="kws.tflite", dataset="vectors/")
        assert result.latency.median_us < 20_000 and result.bit_exact

A marked test (or one that uses `dut`, `hil_dut`, `hil_bench` or `hil_board`) runs once
per matching board that is present now (ids = board names), and is skipped with a
reason naming what is missing when none is.

Options are all `--hil-*`, so they coexist with pytest-embedded (`--port`, `--target`)
and labgrid (`--lg-*`). `dut` is also offered as `hil_dut`; if another plugin (e.g.
pytest-embedded) already provides a `dut` fixture, hilbench leaves that name alone.

Cost for projects that do not use it: this module imports only pytest and the stdlib and
registers options and a marker. Boards, devices, pandas and the rest are imported by the
hooks and fixtures below only when a test uses a hil marker or fixture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, cast

import pytest

from hilbench.paths import packaged_boards_file

Scope = Literal["session", "module", "function"]
SCOPES: tuple[Scope, ...] = ("session", "module", "function")
DEFAULT_SCOPE = "module"


class _HilState:
    """Per-run state; heavy things inside are created on first use."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        opt = config.getoption
        from hilbench.envvars import EnvVarError, get, get_bool, get_choice
        from hilbench.locks import lock_timeout

        try:  # a bad value in the environment is a usage error now, not at the first hil test
            self.boards_opt: str | None = opt("hil_boards") or get("HILBENCH_BOARDS")
            self.cli_board: str | None = opt("hil_board") or get("HILBENCH_BOARD")
            self.emulate: bool = bool(opt("hil_emulate")) or get_bool("HILBENCH_EMULATE")
            scope = opt("hil_dut_scope") or get_choice("HILBENCH_DUT_SCOPE", SCOPES, DEFAULT_SCOPE)
            lock_timeout()
        except EnvVarError as exc:
            raise pytest.UsageError(str(exc)) from None
        results = opt("hil_results") or None
        self.results_dir: Path | None = Path(results) if results else None
        self.baseline: bool = bool(opt("hil_baseline"))
        self.scope: Scope = cast(Scope, scope)  # one of SCOPES: get_choice and argparse choices check it
        self.used = False  # some test was parametrized over boards
        self._boards: Any = None
        self._boards_error: Exception | None = None
        self.availability: dict[str, str | None] = {}
        self.sessions: list[Any] = []  # open-able DutSessions of this process

    def boards_path(self) -> Path | None:
        """--hil-boards / $HILBENCH_BOARDS, else ./boards.toml, <rootdir>/boards.toml, or the
        default boards.toml (the checkout's or the installed package's, as `hilbench run` uses)."""
        if self.boards_opt:
            return Path(self.boards_opt)
        for p in (
            Path("boards.toml"),
            Path(str(self.config.rootpath)) / "boards.toml",
            packaged_boards_file(),
        ):
            if p.is_file():
                return p
        return None

    def boards(self) -> Any:
        """The BoardsFile; raises ValueError (a bad file: collection error) or LookupError
        (no file at all: the hil tests are skipped)."""
        if self._boards is None and self._boards_error is None:
            path = self.boards_path()
            if path is None:
                self._boards_error = LookupError(
                    "no boards.toml (looked in ./ and the rootdir; pass --hil-boards or set HILBENCH_BOARDS)"
                )
            else:
                from hilbench.config import load_boards
                from hilbench.errors import HilbenchError

                try:
                    self._boards = load_boards(path)
                except HilbenchError as exc:
                    self._boards_error = ValueError(str(exc))
        if self._boards_error is not None:
            raise type(self._boards_error)(str(self._boards_error))
        return self._boards


_STATE = pytest.StashKey[_HilState]()


def _state(config: pytest.Config) -> _HilState:
    return config.stash[_STATE]


def _scope(fixture_name: str, config: pytest.Config) -> Scope:
    return _state(config).scope


def _set_prop(item: Any, key: str, value: Any) -> None:
    """Set a user property (JUnit XML <property>) on a test, replacing an earlier value."""
    if value is None or item is None:
        return
    props = item.user_properties
    for i, (k, _) in enumerate(props):
        if k == key:
            props[i] = (key, value)
            return
    props.append((key, value))


# ----------------------------------------------------------------------------- options


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hilbench", "hardware-in-the-loop tests (hilbench)")
    group.addoption(
        "--hil-boards",
        metavar="PATH",
        default=None,
        help="boards.toml to use [env HILBENCH_BOARDS; default ./boards.toml]",
    )
    group.addoption(
        "--hil-board",
        metavar="NAME_OR_GLOB",
        default=None,
        help="run hil tests only on boards matching this name or glob (comma-separated) [env HILBENCH_BOARD]",
    )
    group.addoption(
        "--hil-emulate",
        action="store_true",
        default=False,
        help="let emulated boards (QEMU) and the host firmware satisfy hil markers [env HILBENCH_EMULATE=1]",
    )
    group.addoption(
        "--hil-results",
        metavar="DIR",
        default=None,
        help="results store for hil_bench runs [env HILBENCH_RESULTS; default ./results]",
    )
    group.addoption(
        "--hil-baseline",
        action="store_true",
        default=False,
        help="compare each hil_bench run with the last good run of the same test; fail on regression",
    )
    group.addoption(
        "--hil-dut-scope",
        choices=SCOPES,
        default=None,
        help=f"how long one device session lives [env HILBENCH_DUT_SCOPE; default {DEFAULT_SCOPE}]",
    )


def _defines_fixture(plugin: object, name: str) -> bool:
    try:
        obj = getattr(plugin, name, None)
    except Exception:
        return False
    if obj is None:
        return False
    return (
        type(obj).__name__ == "FixtureFunctionDefinition"
        or hasattr(obj, "_pytestfixturefunction")
        or hasattr(obj, "_fixture_function_marker")
    )


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "hil(board=None, core=None, kind=None, min_ram=None, min_flash=None, features=[]): run on every "
        "boards.toml board that matches (globs on name, core and kind; minimum RAM and flash bytes; "
        "required features) and is present now; skip naming what is missing if none is (hilbench)",
    )
    config.stash[_STATE] = _HilState(config)
    me = config.pluginmanager.get_plugin("hilbench")
    if not any(_defines_fixture(p, "dut") for p in config.pluginmanager.get_plugins() if p is not me):
        from hilbench.pytest_support import dut_fixture

        config.pluginmanager.register(dut_fixture, "hilbench-dut")


# ----------------------------------------------------------------------------- parametrization


def _parametrized_already(metafunc: pytest.Metafunc) -> bool:
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", "")
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",")]
        if "hil_board" in names:
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    markers = list(metafunc.definition.iter_markers("hil"))
    if not markers and "hil_board" not in metafunc.fixturenames:
        return
    if _parametrized_already(metafunc):
        return
    from hilbench.pytest_support.selection import requirement_from_markers, select

    state = _state(metafunc.config)
    state.used = True
    where = metafunc.definition.nodeid
    try:
        req = requirement_from_markers(markers, where)
    except ValueError as exc:
        raise pytest.Collector.CollectError(str(exc)) from None
    if "hil_board" not in metafunc.fixturenames:
        metafunc.fixturenames.append("hil_board")  # a marked test that asks for no hil fixture
    try:
        boards = state.boards()
    except LookupError as exc:
        reason: str | None = f"hil: {exc}"
        names: list[str] = []
    except ValueError as exc:
        raise pytest.Collector.CollectError(f"{where}: {exc}") from None
    else:
        sel = select(
            boards.boards,
            req,
            cli_board=state.cli_board,
            emulate=state.emulate,
            boards_path=boards.path,
            availability=state.availability,
        )
        names, reason = sel.boards, sel.reason
    if names:
        metafunc.parametrize("hil_board", names, ids=names, indirect=True, scope=state.scope)
    else:
        metafunc.parametrize(
            "hil_board",
            [pytest.param(None, marks=pytest.mark.skip(reason=reason or "no board"), id="no-board")],
            indirect=True,
            scope=state.scope,
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With pytest-xdist, group each board's tests (`--dist loadgroup` keeps a board's
    tests on one worker, so workers rarely wait for each other's boards)."""
    state = config.stash.get(_STATE, None)
    if state is None or not state.used or not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        cs = getattr(item, "callspec", None)
        name = cs.params.get("hil_board") if cs is not None else None
        if name:
            item.add_marker(pytest.mark.xdist_group(name=f"hil-{name}"))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    cs = getattr(item, "callspec", None)
    if cs is not None:
        name = cs.params.get("hil_board")
        if name:
            _set_prop(item, "board", name)


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope=_scope)
def hil_board(request: pytest.FixtureRequest) -> Any:
    """The BoardConfig (boards.toml entry) this hil test runs on."""
    name = getattr(request, "param", None)
    if name is None:
        raise pytest.UsageError(
            "hil_board is parametrized by the hilbench plugin; do not request it outside a test"
        )
    return _state(request.config).boards().boards[name]


@pytest.fixture(scope=_scope)
def _hil_session(request: pytest.FixtureRequest, hil_board: Any) -> Any:
    from hilbench.pytest_support.session import DutSession

    state = _state(request.config)
    session = DutSession(hil_board, owner=f"pytest {request.node.nodeid or 'session'} ({state.scope} dut)")
    state.sessions.append(session)
    try:
        yield session
    finally:
        state.sessions.remove(session)
        session.close()


@pytest.fixture
def hil_dut(request: pytest.FixtureRequest, _hil_session: Any) -> Any:
    """An open device session on this test's board (see hilbench.pytest_support.session.Dut)."""
    from hilbench.errors import HilbenchError, NotImplementedFeature
    from hilbench.pytest_support.session import Dut

    session = _hil_session
    try:
        session.ensure_open()
    except NotImplementedFeature as exc:
        pytest.skip(f"dut {session.board.name}: {exc}")
    except HilbenchError as exc:
        pytest.fail(f"dut {session.board.name}: {exc}", pytrace=False)
    node = request.node
    _set_prop(node, "firmware_sha256", session.info.firmware_sha256)
    _set_prop(node, "model_sha256", session.model_sha256)
    yield Dut(session, on_model=lambda sha: _set_prop(node, "model_sha256", sha))
    _set_prop(node, "model_sha256", session.model_sha256)
    if _state(request.config).scope != "function":
        session.yield_if_wanted()  # a longer-lived session steps aside for a waiting worker


@pytest.fixture
def hil_bench(request: pytest.FixtureRequest, hil_board: Any) -> Any:
    """Run a benchmark on this test's board; returns a BenchResult to assert on."""
    from hilbench.pytest_support.bench import HilBench

    state = _state(request.config)
    node = request.node
    return HilBench(
        hil_board,
        node.nodeid,
        state.results_dir,
        state.baseline,
        sessions=lambda: list(state.sessions),
        record=lambda k, v: _set_prop(node, k, v),
    )
