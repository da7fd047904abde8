"""Print the README's module table: every module of `hilbench/` with the first line of its
docstring, so the layout table is written from the code and cannot silently fall behind
(tests/test_docs_refs.py checks that the README names every module).

    python scripts/layout_table.py            # print the table
    python scripts/layout_table.py --check    # exit 1 naming modules README.md lacks
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def modules(root: Path = ROOT) -> list[Path]:
    """Every .py file of the package, relative to the repo root, in path order."""
    return sorted(
        p.relative_to(root) for p in (root / "hilbench").rglob("*.py") if "__pycache__" not in p.parts
    )


def summary(path: Path) -> str:
    """The first sentence-line of a module's docstring (empty when it has none)."""
    doc = ast.get_docstring(ast.parse((ROOT / path).read_text(encoding="utf-8"))) or ""
    first = doc.strip().split("\n\n")[0].replace("\n", " ")
    return first.replace("|", "\\|")


def table() -> str:
    rows = ["| module | what it is for |", "|---|---|"]
    rows += [f"| `{p.as_posix()}` | {summary(p)} |" for p in modules()]
    return "\n".join(rows)


def missing_from_readme(readme: Path = ROOT / "README.md") -> list[str]:
    text = readme.read_text(encoding="utf-8")
    return [p.as_posix() for p in modules() if f"`{p.as_posix()}`" not in text]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        missing = missing_from_readme()
        for m in missing:
            print(f"README.md: module {m} is not in the layout table (python scripts/layout_table.py)")
        return 1 if missing else 0
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
