"""The two rich consoles every command prints through: results on stdout, diagnostics on
stderr. A module of its own so command modules outside `hilbench/cli.py` print the same way
without importing the CLI (which imports them: that would be a cycle)."""

from __future__ import annotations

import os
import sys

from rich.console import Console

# Piped output (CI logs, `| tee`) gets a table wide enough not to truncate; rich honours
# COLUMNS when it is set.
console = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 150)
err_console = Console(stderr=True)
