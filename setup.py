"""Build hook: ship the firmware sources and the default boards.toml inside the wheel.

Everything else is in pyproject.toml. The firmware stays at the repository's top level
(`firmware/`, where make and the C tooling expect it) and boards.toml beside it; this hook
copies them into the built package as `hilbench/_data/firmware/` and
`hilbench/_data/boards.toml` (hilbench/paths.py finds them there). The copy is a walk over
firmware/, not a file list, so new firmware files ship without touching this file; build
outputs (firmware/build/, where the firmware, tool and fuzz builds all go), Python caches
and dotfiles stay out. The sdist gets the same files (no MANIFEST.in: its `prune` of a
missing firmware/build would warn on every build from a fresh clone).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
DATA = Path("hilbench") / "_data"


def _skipped(rel: Path) -> bool:
    """Build outputs and caches, not sources."""
    return (
        rel.parts[0] == "build"
        or "__pycache__" in rel.parts
        or rel.suffix == ".pyc"
        or any(part.startswith(".") for part in rel.parts)
    )


def packaged_data() -> Iterator[tuple[Path, Path]]:
    """(source file, path inside the built package tree) for every shipped data file."""
    yield ROOT / "boards.toml", DATA / "boards.toml"
    firmware = ROOT / "firmware"
    for path in sorted(firmware.rglob("*")):
        rel = path.relative_to(firmware)
        if path.is_file() and not _skipped(rel):
            yield path, DATA / "firmware" / rel


class BuildPyWithData(build_py):
    """build_py, plus the firmware tree and boards.toml copied into build_lib."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install runs from the checkout, which has them
            return
        for src, rel in packaged_data():
            dst = Path(self.build_lib) / rel
            self.mkpath(str(dst.parent))
            self.copy_file(str(src), str(dst), preserve_mode=True)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        extra = [] if self.editable_mode else [str(Path(self.build_lib) / rel) for _, rel in packaged_data()]
        return [*super().get_outputs(include_bytecode), *extra]


class SdistWithData(sdist):
    """sdist, plus the files the wheel's build hook copies (a wheel built from the sdist needs them)."""

    def make_distribution(self) -> None:
        self.filelist.extend(str(src.relative_to(ROOT)) for src, _ in packaged_data())
        self.filelist.sort()
        self.filelist.remove_duplicates()
        super().make_distribution()


setup(cmdclass={"build_py": BuildPyWithData, "sdist": SdistWithData})
