"""No dependency cycle among the firmware's C modules (scripts/check_cycles.py).

The check must be able to fail: a synthetic two-file firmware tree whose files call each
other is reported, naming both modules, and a one-way pair is not.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import check_cycles


def test_firmware_has_no_cycle() -> None:
    assert check_cycles.firmware_cycles(ROOT / "firmware") == []


def test_package_has_no_import_cycle() -> None:
    """Module-level and function-level imports alike: a function-level import that only
    dodges a cycle is still a cycle."""
    assert check_cycles.python_cycles(ROOT / "hilbench") == []


def test_script_exits_zero_on_this_tree() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_cycles.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no cycle" in proc.stdout


def _tree(tmp: Path, files: dict[str, str]) -> Path:
    fw = tmp / "firmware"
    for rel, text in files.items():
        p = fw / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return fw


def test_a_call_cycle_through_headers_is_reported(tmp_path: Path) -> None:
    fw = _tree(
        tmp_path,
        {
            "dut/a.h": "#ifndef A_H\n#define A_H\nint a_get(void);\n#endif\n",
            "dut/a.c": '#include "a.h"\n#include "b.h"\nint a_get(void) { return b_get() + 1; }\n',
            "dut/b.h": "#ifndef B_H\n#define B_H\nint b_get(void);\n#endif\n",
            # b.c calls a_get without including a.h: the function-reference graph still sees it
            "dut/b.c": '#include "b.h"\nint a_get(void);\nint b_get(void) { return a_get(); }\n',
        },
    )
    cycles = check_cycles.firmware_cycles(fw)
    assert len(cycles) == 1, cycles
    assert "dut/a <-> dut/b" in cycles[0]
    assert "uses a_get" in cycles[0]
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "check_cycles.py"),
            "--only",
            "firmware",
            "--root",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "dut/a <-> dut/b" in proc.stdout


def test_an_include_cycle_of_headers_is_reported(tmp_path: Path) -> None:
    fw = _tree(
        tmp_path,
        {
            "runtime/x.h": '#include "y.h"\n#define X_SIZE 4\n',
            "runtime/y.h": '#include "x.h"\n#define Y_SIZE (X_SIZE * 2)\n',
        },
    )
    cycles = check_cycles.firmware_cycles(fw)
    assert len(cycles) == 1 and "runtime/x <-> runtime/y" in cycles[0], cycles


def test_one_way_dependencies_and_static_namesakes_are_not_cycles(tmp_path: Path) -> None:
    fw = _tree(
        tmp_path,
        {
            "dut/low.h": "#define LOW_N 3\nint low_get(void);\n",
            "dut/low.c": '#include "low.h"\nstatic int helper(void) { return LOW_N; }\n'
            "int low_get(void) { return helper(); }\n",
            # top.c has its own static helper(): a namesake, not a use of low.c's
            "dut/top.c": '#include "low.h"\nstatic int helper(void) { return 1; }\n'
            "int top(void) { return low_get() + helper(); }\n",
        },
    )
    assert check_cycles.firmware_cycles(fw) == []


def test_a_python_import_cycle_is_reported(tmp_path: Path) -> None:
    """The Python half (the lead's test asserts hilbench/ has none): module-level and
    in-function imports both count; a one-way import does not."""
    pkg = tmp_path / "pkg"
    (pkg / "report").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "report" / "__init__.py").write_text("")
    (pkg / "report" / "html.py").write_text("from pkg.report import markdown\n")
    (pkg / "report" / "markdown.py").write_text("def f():\n    from .html import x\n    return x\n")
    (pkg / "report" / "model.py").write_text("")
    (pkg / "cli.py").write_text("import pkg.report.model\n")
    cycles = check_cycles.python_cycles(pkg)
    assert len(cycles) == 1, cycles
    assert "pkg.report.html <-> pkg.report.markdown" in cycles[0]
