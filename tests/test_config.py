"""boards.toml validation: every error names the file, table and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from hilbench.config import load_boards
from hilbench.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_repo_boards_toml_is_valid() -> None:
    cfg = load_boards(ROOT / "boards.toml")
    assert cfg.default_board == "mps2-an386"
    b = cfg.get(None)
    assert b.kind == "emulated" and b.qemu is not None and b.qemu.machine == "mps2-an386"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "boards.toml"
    p.write_text(text)
    return p


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "[boards.x\nkind = 1\n")
    with pytest.raises(ConfigError) as e:
        load_boards(p)
    msg = str(e.value)
    assert str(p) in msg and "TOML syntax error" in msg and "line 1" in msg
    assert "\n" not in msg


def test_unknown_key_names_table_and_key(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        '[boards.b1]\nkind = "native"\ncore = "host"\nclock_hz = 1\nfirmware = "host"\nclok_hz = 5\n',
    )
    with pytest.raises(ConfigError, match=r"\[boards\.b1\] key 'clok_hz': unknown key"):
        load_boards(p)


def test_unknown_nested_key(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        '[boards.q]\nkind = "emulated"\ncore = "m4"\nclock_hz = 1\nfirmware = "x"\n'
        '[boards.q.qemu]\nmachine = "m"\nbinry = "qemu"\n',
    )
    with pytest.raises(ConfigError, match=r"\[boards\.q\.qemu\] key 'binry': unknown key"):
        load_boards(p)


def test_emulated_needs_qemu(tmp_path: Path) -> None:
    p = _write(tmp_path, '[boards.q]\nkind = "emulated"\ncore = "m4"\nclock_hz = 1\nfirmware = "x"\n')
    with pytest.raises(ConfigError, match=r"\[boards\.q\].*qemu"):
        load_boards(p)


def test_bad_value_type(tmp_path: Path) -> None:
    p = _write(tmp_path, '[boards.q]\nkind = "native"\ncore = "h"\nclock_hz = "fast"\nfirmware = "host"\n')
    with pytest.raises(ConfigError, match=r"\[boards\.q\] key 'clock_hz'"):
        load_boards(p)


def test_unknown_board_lists_known(tmp_path: Path) -> None:
    cfg = load_boards(ROOT / "boards.toml")
    with pytest.raises(ConfigError, match="no board named 'nano33'.*mps2-an386"):
        cfg.get("nano33")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_boards(tmp_path / "nope.toml")
