#!/usr/bin/env bash
# The style gate: every check the tree must pass, with the tools pinned in pyproject.toml's
# dev extras (from the virtualenv: HILBENCH_VENV, default .venv).
#
#   scripts/style.sh                 all steps
#   scripts/style.sh clang-format    only the named steps (ruff-format ruff-check mypy clang-format)
#
# Each step prints one line naming its tool ("style: <tool>: ok" or "style: <tool>: FAILED
# ..." followed by the tool's own report); the exit status is 1 if any step failed.
# HILBENCH_STYLE_FIRMWARE names the C tree clang-format checks (default: firmware/); its style is
# always firmware/.clang-format, wherever the tree is. HILBENCH_STYLE_PYTHON names the Python
# files or directories the ruff and mypy steps check instead of the tree (tests use both to
# show a planted violation fails the gate).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${HILBENCH_VENV:-.venv}"
FIRMWARE="${HILBENCH_STYLE_FIRMWARE:-firmware}"
read -r -a PYTHON <<< "${HILBENCH_STYLE_PYTHON:-}"
STEPS=("$@")
[ ${#STEPS[@]} -eq 0 ] && STEPS=(ruff-format ruff-check mypy clang-format)
failed=0

tool() {  # tool NAME: the venv's executable, or a clear line and failure
    local exe="$VENV/bin/$1"
    if [ ! -x "$exe" ]; then
        echo "style: $1: FAILED: $exe not found (pip install -e '.[dev]' into the venv)"
        return 1
    fi
    printf '%s' "$exe"
}

run_step() {  # run_step NAME CMD...: one line, and the tool's report on failure
    local name="$1" out
    shift
    if out="$("$@" 2>&1)"; then
        echo "style: $name: ok"
    else
        echo "style: $name: FAILED"
        printf '%s\n' "$out" | sed 's/^/  /'
        failed=1
    fi
}

for step in "${STEPS[@]}"; do
    case "$step" in
    ruff-format)
        exe="$(tool ruff)" || { echo "$exe"; failed=1; continue; }
        if [ ${#PYTHON[@]} -gt 0 ]; then targets=("${PYTHON[@]}"); else targets=(hilbench tests benchmarks scripts); fi
        run_step "ruff format" "$exe" format --check "${targets[@]}" ;;
    ruff-check)
        exe="$(tool ruff)" || { echo "$exe"; failed=1; continue; }
        if [ ${#PYTHON[@]} -gt 0 ]; then targets=("${PYTHON[@]}"); else targets=(hilbench); fi
        run_step "ruff check" "$exe" check "${targets[@]}" ;;
    mypy)
        exe="$(tool mypy)" || { echo "$exe"; failed=1; continue; }
        run_step "mypy" "$exe" "${PYTHON[@]}" ;;  # no arguments: pyproject.toml's files
    clang-format)
        exe="$(tool clang-format)" || { echo "$exe"; failed=1; continue; }
        mapfile -t files < <(find "$FIRMWARE" -path "$FIRMWARE/build" -prune -o \
                                  -type f \( -name '*.c' -o -name '*.h' \) -print | sort)
        if [ ${#files[@]} -eq 0 ]; then
            echo "style: clang-format: FAILED: no C files under $FIRMWARE"
            failed=1
            continue
        fi
        if out="$("$exe" --dry-run --Werror --style="file:$ROOT/firmware/.clang-format" "${files[@]}" 2>&1)"; then
            echo "style: clang-format: ok (${#files[@]} files)"
        else
            bad="$(printf '%s\n' "$out" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error:.*clang-format-violations.*/\1/p' | sort -u | tr '\n' ' ')"
            echo "style: clang-format: FAILED: not formatted: ${bad:-see below} (fix: $exe -i --style=file <file>)"
            printf '%s\n' "$out" | head -40 | sed 's/^/  /'
            failed=1
        fi ;;
    *)
        echo "style: unknown step '$step' (ruff-format ruff-check mypy clang-format)"
        failed=1 ;;
    esac
done
exit $failed
