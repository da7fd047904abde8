#!/usr/bin/env bash
# Set up everything hilbench needs on a fresh Debian/Ubuntu machine, idempotently:
# the apt packages (cross compilers, QEMU), a virtualenv in .venv, and hilbench itself
# installed into it in editable mode. Sourced by bench.sh and test.sh.
set -euo pipefail

HIL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Settings from the environment: HILBENCH_VENV (the virtualenv), HILBENCH_PYTHON (the
# interpreter that creates it). Their old names HIL_VENV / HIL_PYTHON are read, with a
# warning, while the new ones are unset (until the next release).
for _hil_name in VENV PYTHON; do
  _hil_old="HIL_$_hil_name" _hil_new="HILBENCH_$_hil_name"
  if [ -n "${!_hil_old:-}" ]; then
    if [ -n "${!_hil_new:-}" ]; then _hil_why="ignored, $_hil_new is set"; else _hil_why="read because $_hil_new is unset"; fi
    echo "hilbench: warning: $_hil_old is deprecated, set $_hil_new instead ($_hil_why; $_hil_old stops working in the next release)" >&2
    [ -n "${!_hil_new:-}" ] || printf -v "$_hil_new" '%s' "${!_hil_old}"
  fi
done
unset _hil_name _hil_old _hil_new _hil_why
HILBENCH_VENV="${HILBENCH_VENV:-$HIL_ROOT/.venv}"

# command -> Debian package that provides it
declare -A HIL_APT=(
  [arm-none-eabi-gcc]="gcc-arm-none-eabi libnewlib-arm-none-eabi"
  [qemu-system-arm]="qemu-system-arm"
  [riscv64-unknown-elf-gcc]="gcc-riscv64-unknown-elf"
  [qemu-system-riscv32]="qemu-system-misc"
  [make]="make"
  [gcc]="gcc libc6-dev"
  [python3]="python3 python3-venv"
  [clang]="clang"  # libFuzzer harnesses of the firmware parsers (firmware/fuzz/)
  [chromium]="chromium"  # the HTML report's headless-browser test (tests/test_report_chromium.py)
  [bossac]="bossa-cli"  # flasher "bossac" (docs/flashing.md; tests/test_flash_tools.py)
  [openocd]="openocd"  # flasher "openocd" (docs/flashing.md; tests/test_flash_tools.py)
)

hil_missing_packages() {
  local cmd missing=()
  for cmd in "${!HIL_APT[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=(${HIL_APT[$cmd]})
  done
  # newlib headers are a separate package from the compiler
  if command -v arm-none-eabi-gcc >/dev/null 2>&1 && \
     ! echo '#include <string.h>' | arm-none-eabi-gcc -x c -fsyntax-only - >/dev/null 2>&1; then
    missing+=(libnewlib-arm-none-eabi)
  fi
  # libFuzzer and the sanitizer runtimes are a separate package from clang (firmware/fuzz/)
  if command -v clang >/dev/null 2>&1 && \
     ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' | \
       clang -x c -fsanitize=fuzzer,address -o /dev/null - >/dev/null 2>&1; then
    missing+=("libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev")
  fi
  echo "${missing[@]:-}"
}

hil_install_apt() {
  local missing
  missing="$(hil_missing_packages)"
  [ -z "${missing// /}" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "hilbench: these system packages are missing: $missing" >&2
    echo "hilbench: install them with:  sudo apt-get update && sudo apt-get install -y $missing" >&2
    exit 2
  fi
  echo "hilbench: installing system packages: $missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

hil_setup_venv() {
  local py="${HILBENCH_PYTHON:-python3}"
  if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "hilbench: needs Python 3.11 or newer ($py is $("$py" --version 2>&1))" >&2
    exit 2
  fi
  if [ ! -x "$HILBENCH_VENV/bin/python" ]; then
    if ! "$py" -m venv "$HILBENCH_VENV" >/dev/null 2>&1; then
      rm -rf "$HILBENCH_VENV"
      if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        apt-get install -y -qq python3-venv >/dev/null
        "$py" -m venv "$HILBENCH_VENV"
      else
        echo "hilbench: cannot create a virtualenv: install python3-venv (sudo apt-get install -y python3-venv)" >&2
        exit 2
      fi
    fi
  fi
  # Reinstall only when the dependency list changed.
  local stamp="$HILBENCH_VENV/.hilbench-deps" want
  want="$(sha256sum "$HIL_ROOT/pyproject.toml" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "hilbench: installing Python dependencies into $HILBENCH_VENV" >&2
    "$HILBENCH_VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$HILBENCH_VENV/bin/python" -m pip install -q -e "$HIL_ROOT[dev]"
    echo "$want" > "$stamp"
  fi
}

hil_bootstrap() {
  hil_install_apt
  hil_setup_venv
}
