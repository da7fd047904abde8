"""Docs live in the repo: every document the code cites exists, and nothing cites a file
outside it (the design the project started from was ../shared/DESIGN.md; its content is
docs/architecture.md now, with the same section numbers)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC_REF = re.compile(r"\bdocs/([\w.-]+\.md)(?:\s*(?:§|section\s+)(\d+))?")


def _tracked_text_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    keep = (".py", ".c", ".h", ".md", ".toml", ".sh", ".mk", ".txt", "Makefile")
    return [ROOT / p for p in out.splitlines() if p.endswith(keep) and (ROOT / p).is_file()]


def _sections(doc: Path) -> set[str]:
    return set(re.findall(r"^##\s+(\d+)[.\s]", doc.read_text(encoding="utf-8"), flags=re.M))


def test_no_reference_to_a_design_file_outside_the_repo() -> None:
    bad = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in _tracked_text_files()
        if p.name != Path(__file__).name
        for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if "DESIGN.md" in line or "DESIGN §" in line
    ]
    assert not bad, f"cites DESIGN.md (not in the repo; use docs/architecture.md §N): {bad}"


def test_every_cited_doc_and_section_exists() -> None:
    missing = []
    for p in _tracked_text_files():
        if p.name == Path(__file__).name:
            continue
        for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for m in DOC_REF.finditer(line):
                doc = ROOT / "docs" / m.group(1)
                where = f"{p.relative_to(ROOT)}:{n}"
                if not doc.is_file():
                    missing.append(f"{where}: docs/{m.group(1)}")
                elif m.group(2) and m.group(2) not in _sections(doc):
                    missing.append(f"{where}: docs/{m.group(1)} §{m.group(2)}")
    assert not missing, f"cited but not there: {missing}"


def test_the_checker_sees_a_missing_section(tmp_path: Path) -> None:
    """The section check can fail: architecture.md has §1-§7, not §42."""
    assert {"1", "2", "5", "7"} <= _sections(ROOT / "docs" / "architecture.md")
    assert "42" not in _sections(ROOT / "docs" / "architecture.md")
    m = DOC_REF.search("see docs/architecture.md §42 for why")
    assert m is not None and m.group(2) == "42"


def test_readme_layout_table_lists_every_module(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    import layout_table

    assert layout_table.missing_from_readme() == [], "run python scripts/layout_table.py and paste it"
    # ...and the check can fail: a README without the table misses every module
    bare = tmp_path / "README.md"
    bare.write_text("# hilbench\n")
    assert "hilbench/cli.py" in layout_table.missing_from_readme(bare)
