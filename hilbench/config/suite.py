"""Suite files: boards x models x datasets, with warm-up, measurement windows and seeds.

A suite is what a nightly job runs. Paths inside it are relative to the suite file, so a
suite checked into a repository works from any working directory. Like boards.toml, an
unknown key is an error naming the file, table and key.

    name = "nightly"
    boards = ["mps2-an386", "mps2-an500"]
    warmup = 1

    [[models]]
    name = "digits"
    model = "../hilbench/demo/digits_mlp.tflite"
    dataset = "../hilbench/demo/digits"
    limit = 100

    [measure]
    windows = 3            # MLPerf Tiny style: k windows ...
    inferences = 20        # ... of at least N inferences ...
    min_seconds = 0.0      # ... and at least T seconds of DUT time each
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hilbench.config.toml_file import check_path_value, read_toml, validate


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MeasureConfig(_Strict):
    """Performance windows on one fixed input (vector 0), after the accuracy pass."""

    windows: int = Field(0, ge=0, le=1000)
    inferences: int = Field(10, ge=1, le=1_000_000)
    min_seconds: float = Field(0.0, ge=0.0)


class ModelEntry(_Strict):
    name: str | None = None
    model: Path
    dataset: Path
    limit: int | None = Field(None, ge=1)
    input_format: Literal["raw"] = "raw"

    @property
    def label(self) -> str:
        return self.name or self.model.stem


class Suite(_Strict):
    name: str
    boards: list[str] = Field(min_length=1)
    models: list[ModelEntry] = Field(min_length=1)
    warmup: int = Field(1, ge=0)
    repeat: int = Field(1, ge=1)
    seed: int = 0
    profile: bool = True
    measure: MeasureConfig = Field(default_factory=MeasureConfig)
    path: Path | None = None


def _where(loc: tuple) -> str:
    parts = [str(p) for p in loc]
    if not parts:
        return "top level"
    if parts[0] == "models" and len(parts) >= 2:
        table = f"[[models]] #{int(parts[1]) + 1}"
        return f"{table} key '{parts[2]}'" if len(parts) > 2 else table
    if parts[0] == "measure" and len(parts) > 1:
        return f"[measure] key '{parts[1]}'"
    return f"key '{parts[0]}'"


def load_suite(path: str | Path) -> Suite:
    """Read and validate a suite file; paths in it become absolute (relative to the file)."""
    path = Path(path)
    raw = read_toml(path)
    raw.setdefault("name", path.stem)
    for i, entry in enumerate(raw.get("models", []) if isinstance(raw.get("models"), list) else []):
        if isinstance(entry, dict):
            for key in ("model", "dataset"):
                if isinstance(entry.get(key), str):
                    check_path_value(entry[key], path, f"[[models]] #{i + 1} key '{key}'")
                if isinstance(entry.get(key), str) and not Path(entry[key]).is_absolute():
                    entry[key] = str((path.parent / entry[key]).resolve())
    suite = validate(Suite, raw, path, _where)
    return suite.model_copy(update={"path": path})
