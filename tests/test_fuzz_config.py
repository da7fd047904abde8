"""Property tests (hypothesis) of the boards.toml, suite and dataset loaders.

Any input, however malformed, must give a valid result or a HilbenchError subclass with a
one-line message naming the file; never a bare ValueError, RecursionError, KeyError or
TypeError traceback from tomllib, pydantic, pathlib or csv.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hilbench.config import load_boards
from hilbench.config.suite import load_suite
from hilbench.errors import ConfigError, DatasetError, HilbenchError
from tests.conftest import ROOT

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

BOARD_KEYS = [
    "kind",
    "description",
    "core",
    "clock_hz",
    "ram_bytes",
    "flash_bytes",
    "features",
    "firmware",
    "image",
    "defines",
    "model_store",
    "qemu",
    "port",
    "baudrate",
    "flasher",
    "serial_number",
    "protocol",
    "model",
    "hex_chunk_bytes",
    "verify_load",
    "flash",
    "chip",
    "target",
    "bogus",
]
QEMU_KEYS = ["binary", "machine", "cpu", "icount_shift", "extra_args"]
SUITE_KEYS = ["name", "board", "models", "warmup", "repeat", "seed", "profile", "measure", "bogus"]
ENTRY_KEYS = ["model", "dataset", "name", "limit", "bogus"]
WORDS = [
    "emulated",
    "native",
    "mcu",
    "litert",
    "remote",
    "ram",
    "flash",
    "auto",
    "hilbench",
    "mlperf-tiny",
    "pyocd",
    "esptool",
    "none",
    "mps2-an386",
    "cortex-m4f",
    "x.tflite",
    "",
    "a\x00b",
    "../../etc",
    "/abs/path",
]

scalars = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, 1, -1, 2**31, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(WORDS),
    st.text(max_size=20),
)


def values(keys: list[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(keys), inner, max_size=5)
        ),
        max_leaves=12,
    )


def toml_value(v: Any) -> str:
    """A TOML rendering of v (inline tables and arrays; JSON string escapes are TOML's)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(v), repr(v))
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"


def toml_doc(d: dict[str, Any]) -> str:
    return "\n".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in d.items()) + "\n"


boards_docs = st.fixed_dictionaries(
    {
        "boards": st.dictionaries(
            st.sampled_from(["a", "mps2-an386", "b.c", ""]),
            st.one_of(
                st.dictionaries(
                    st.sampled_from(BOARD_KEYS), st.one_of(scalars, values(QEMU_KEYS)), max_size=8
                ),
                scalars,
            ),
            max_size=3,
        )
    },
    optional={"default_board": st.one_of(scalars, st.sampled_from(["a", "zzz"])), "bogus": scalars},
)
suite_docs = st.fixed_dictionaries(
    {
        "models": st.one_of(
            st.lists(st.dictionaries(st.sampled_from(ENTRY_KEYS), scalars, max_size=5), max_size=3), scalars
        )
    },
    optional={k: values(["warmup", "repeat", "bogus"]) for k in SUITE_KEYS if k != "models"},
)


def _load(loader: Any, path: Path) -> None:
    try:
        loader(path)
    except HilbenchError as exc:
        msg = str(exc)
        assert isinstance(exc, ConfigError), repr(exc)
        assert "\n" not in msg, msg
        assert msg.startswith(str(path)), msg


@pytest.fixture(scope="module")
def tmp() -> Path:
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


@SETTINGS
@given(boards_docs)
def test_structured_boards_files(tmp: Path, doc: dict[str, Any]) -> None:
    p = tmp / "boards.toml"
    p.write_text(toml_doc(doc), encoding="utf-8", errors="surrogatepass")
    _load(load_boards, p)


@SETTINGS
@given(suite_docs)
def test_structured_suite_files(tmp: Path, doc: dict[str, Any]) -> None:
    p = tmp / "suite.toml"
    p.write_text(toml_doc(doc), encoding="utf-8", errors="surrogatepass")
    _load(load_suite, p)


@SETTINGS
@given(
    st.lists(
        st.tuples(st.integers(0, 10**6), st.binary(max_size=4), st.integers(0, 3)), min_size=1, max_size=6
    )
)
def test_mutated_real_boards_and_suite_files(tmp: Path, edits: list[tuple[int, bytes, int]]) -> None:
    for name, loader in (("boards.toml", load_boards), ("examples/nightly.toml", load_suite)):
        data = bytearray((ROOT / name).read_bytes())
        for pos, new, dropped in edits:
            i = pos % (len(data) + 1)
            data[i : i + dropped] = new
        p = tmp / Path(name).name
        p.write_bytes(bytes(data))
        _load(loader, p)


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_as_a_boards_file(tmp: Path, data: bytes) -> None:
    p = tmp / "raw.toml"
    p.write_bytes(data)
    _load(load_boards, p)
    _load(load_suite, p)


@pytest.mark.parametrize("depth", [50, 5000])
def test_deeply_nested_toml_is_a_config_error(tmp: Path, depth: int) -> None:
    p = tmp / f"deep{depth}.toml"
    p.write_text("default_board = " + "[" * depth + "]" * depth + "\n")
    for loader in (load_boards, load_suite):
        with pytest.raises(ConfigError, match=rf"^{p}: "):
            loader(p)


def test_nul_in_a_suite_model_path_names_the_key(tmp: Path) -> None:
    p = tmp / "nul.toml"
    p.write_text('[[models]]\nmodel = "a\\u0000b.tflite"\n')
    with pytest.raises(ConfigError, match=r"\[\[models\]\] #1 key 'model': path contains a NUL character"):
        load_suite(p)


def test_nul_in_a_board_image_path_names_the_key(tmp: Path) -> None:
    p = tmp / "nulb.toml"
    p.write_text('[boards.x]\nkind = "native"\ncore = "c"\nclock_hz = 1\nimage = "a\\u0000b"\n')
    with pytest.raises(ConfigError, match=r"\[boards\.x\] key 'image': path contains a NUL character"):
        load_boards(p)


# -- datasets ---------------------------------------------------------------------------

csv_text = st.one_of(
    st.binary(max_size=200),
    st.lists(
        st.lists(
            st.one_of(
                st.sampled_from(
                    [
                        "a.bin",
                        "b.bin",
                        "",
                        "10",
                        "0",
                        "-1",
                        "x",
                        "2",
                        "sub/a.bin",
                        "../a.bin",
                        "a\x00.bin",
                        "9" * 30,
                    ]
                ),
                st.text(max_size=6),
            ),
            max_size=4,
        ),
        max_size=5,
    ).map(lambda rows: "\n".join(",".join(r) for r in rows).encode("utf-8", "surrogatepass")),
)


@SETTINGS
@given(
    csv_text,
    st.lists(
        st.sampled_from(
            ["a.bin", "b.bin", "normal_1_hist_librosa.bin", "anomaly_2_hist_librosa.bin", "c.txt"]
        ),
        max_size=3,
        unique=True,
    ),
    st.binary(max_size=2600),
    st.one_of(st.none(), st.integers(-2, 3)),
)
def test_dataset_directories(labels: bytes, files: list[str], content: bytes, limit: int | None) -> None:
    pytest.importorskip(
        "hilbench.csv_rows",
        reason="y_labels.csv read errors (UnicodeDecodeError, "
        "csv.Error on NUL) become DatasetErrors in the 'errors' branch's hilbench/csv_rows.py",
    )
    from hilbench.datasets import load_dataset

    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        for f in files:
            (root / f).write_bytes(content)
        if labels:
            (root / "y_labels.csv").write_bytes(labels)
        try:
            ds = load_dataset(root, limit=limit)
            if ds.is_ad:
                ds.for_ad_input(0.1, 0, "int8", 640, "input 0")
            else:
                ds.check_sizes(len(content), "input 0")
                ds.sha256()
        except HilbenchError as exc:
            assert isinstance(exc, DatasetError), repr(exc)
            assert "\n" not in str(exc), str(exc)
