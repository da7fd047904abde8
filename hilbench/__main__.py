"""`python -m hilbench` is the `hilbench` command."""

from hilbench.cli import main

main()
