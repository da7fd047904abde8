#!/usr/bin/env python3
"""Report dependency cycles in the firmware's C sources and in the hilbench package.

Why: a cycle means two files cannot be understood, tested or replaced one at a time; the
layering (protocol -> model slot -> runtime -> kernels, say) only holds if nothing below
reaches back up. This script is the check behind issue #14's "no import or include cycle".

Firmware (C): a *module* is a .c/.h pair with the same stem in the same directory (either
may be missing). Module A depends on module B when a file of A #includes a header of B, or
uses an identifier that B defines: a non-static function or global of B's .c, or a macro,
typedef, struct/union/enum tag, enum constant or inline function of B's .h. A prototype is
a declaration, not a use. Each board (and the fuzz harnesses, and tools/) is a separate
build, so the graph is built once per build: the portable sources (dut/, runtime/,
runtime/ops/, boards/common/) plus that build's own directory. Any strongly connected
component of more than one module is a cycle.

Python: a module depends on every hilbench module it imports (module level or inside a
function); `from pkg import name` depends on pkg.name when that is a module, else on pkg.

usage: python scripts/check_cycles.py [--only firmware|python] [--root DIR]
Exit status: 0 no cycle, 1 a cycle (each one is printed on its own line).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Directories whose sources every firmware build compiles (relative to firmware/).
PORTABLE_DIRS = ("dut", "runtime", "runtime/ops", "boards/common")
# Directories never scanned: build outputs.
SKIP_PARTS = {"build"}

_C_KEYWORDS = frozenset(
    [
        "auto",
        "break",
        "case",
        "char",
        "const",
        "continue",
        "default",
        "do",
        "double",
        "else",
        "enum",
        "extern",
        "float",
        "for",
        "goto",
        "if",
        "inline",
        "int",
        "long",
        "register",
        "restrict",
        "return",
        "short",
        "signed",
        "sizeof",
        "static",
        "struct",
        "switch",
        "typedef",
        "union",
        "unsigned",
        "void",
        "volatile",
        "while",
        "_Alignas",
        "_Alignof",
        "_Atomic",
        "_Bool",
        "_Complex",
        "_Generic",
        "_Imaginary",
        "_Noreturn",
        "_Static_assert",
        "_Thread_local",
        "defined",
        "__attribute__",
        "__asm__",
        "asm",
        "__inline__",
        "__restrict__",
        "__builtin_memcpy",
        "__builtin_memset",
        "__builtin_memmove",
    ]
)
_IDENT = re.compile(r"\b[A-Za-z_]\w*\b")
_INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)
_DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)", re.MULTILINE)
_TAG = re.compile(r"\b(?:struct|union|enum)\s+([A-Za-z_]\w*)\s*\{")


def _strip_comments_and_strings(text: str) -> str:
    """C source with comments and string/char literals blanked (newlines kept)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(" ")
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _join_continuations(text: str) -> str:
    return text.replace("\\\n", " ")


@dataclass
class CFile:
    """What one C file defines for others and what it uses."""

    path: Path
    includes: list[str] = field(default_factory=list)
    exports: set[str] = field(default_factory=set)  # visible to other files
    local: set[str] = field(default_factory=set)  # defined here (static or not)
    declared: set[str] = field(default_factory=set)  # prototypes and externs
    uses: set[str] = field(default_factory=set)


def _top_level_chunks(code: str) -> Iterable[tuple[str, str | None]]:
    """(text before a depth-0 '{' or ';', the brace body or None) for each top-level item."""
    i, n, start = 0, len(code), 0
    while i < n:
        c = code[i]
        if c == ";":
            yield code[start:i], None
            start = i + 1
        elif c == "{":
            depth, j = 1, i + 1
            while j < n and depth:
                depth += {"{": 1, "}": -1}.get(code[j], 0)
                j += 1
            head, body = code[start:i], code[i + 1 : j - 1]
            k = j
            while k < n and code[k] in " \t\n":
                k += 1
            if k < n and code[k] not in ";" and not re.search(r"\)\s*$", head):
                # struct/enum/initialiser: the item goes on to its ';'
                e = code.find(";", k)
                e = n if e < 0 else e
                yield head + " {} " + code[j:e], body
                start = i = e + 1
                continue
            yield head, body
            start = i = j
            continue
        i += 1


def parse_c(path: Path) -> CFile:
    raw = path.read_text(encoding="utf-8", errors="replace")
    f = CFile(path)
    f.includes = _INCLUDE.findall(raw)
    code = _join_continuations(_strip_comments_and_strings(raw))
    is_header = path.suffix == ".h"
    macros = set(_DEFINE.findall(code))
    (f.exports if is_header else f.local).update(macros)
    # Preprocessor lines: their identifiers are uses (macro bodies, #if conditions), but the
    # directive words and the included names are not.
    pp_uses: set[str] = set()
    body_lines = []
    for line in code.splitlines():
        s = line.lstrip()
        if s.startswith("#"):
            m = re.match(r"#\s*(\w+)\s*(.*)", s)
            if m and m.group(1) not in ("include", "pragma", "error", "warning"):
                rest = m.group(2)
                if m.group(1) == "define":
                    rest = re.sub(r"^[A-Za-z_]\w*(\([^)]*\))?", " ", rest)
                pp_uses.update(_IDENT.findall(rest))
            body_lines.append("")
        else:
            body_lines.append(line)
    body = "\n".join(body_lines)
    for tag in _TAG.findall(body):
        (f.exports if is_header else f.local).add(tag)
    for head, brace in _top_level_chunks(body):
        h = " ".join(head.split())
        if not h:
            continue
        is_static = bool(re.match(r"(?:\w+\s+)*static\b", h)) or "HIL_K_INLINE" in h
        if brace is not None and re.search(r"\)\s*(?:__attribute__\s*\(\(.*\)\))?\s*$", h):
            m = re.search(r"([A-Za-z_]\w*)\s*\((?:[^()]|\([^()]*\))*\)\s*(?:__attribute__.*)?$", h)
            if m:
                name = m.group(1)
                f.local.add(name)
                if is_header or not is_static:
                    f.exports.add(name)
            continue
        if h.startswith("typedef"):
            m = re.search(r"\(\s*\*\s*([A-Za-z_]\w*)\s*\)", h) or re.search(
                r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\])*\s*$", h
            )
            if m:
                (f.exports if is_header else f.local).add(m.group(1))
        if brace is not None and re.search(r"\benum\b", h.split("{")[0]):
            for item in brace.split(","):
                m = re.match(r"\s*([A-Za-z_]\w*)", item)
                if m:
                    (f.exports if is_header else f.local).add(m.group(1))
        if h.startswith(("typedef", "extern")) or re.match(r"(?:struct|union|enum)\s+\w*\s*\{\}\s*$", h):
            # a declaration; an extern or a prototype names something defined elsewhere
            if h.startswith("extern"):
                m = re.search(r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\])*\s*$", h.split("=")[0])
                if m and "(" not in h:
                    f.declared.add(m.group(1))
            for m in re.finditer(r"([A-Za-z_]\w*)\s*\(", h):
                if not h.startswith("typedef"):
                    f.declared.add(m.group(1))
            continue
        decl = h.split("=")[0]
        m = re.search(r"([A-Za-z_]\w*)\s*\((?:[^()]|\([^()]*\))*\)\s*(?:__attribute__.*)?$", decl)
        if m and "(" in decl and brace is None:
            f.declared.add(m.group(1))  # a prototype: declared here, defined elsewhere
            continue
        m = re.search(r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\])*\s*$", decl.split("{")[0])
        if m and m.group(1) not in _C_KEYWORDS:
            f.local.add(m.group(1))
            if not is_static and not is_header:
                f.exports.add(m.group(1))
    # `struct tag` without a body is a forward declaration of an opaque type, not a use.
    no_tags = re.sub(r"\b(?:struct|union|enum)\s+[A-Za-z_]\w*\b(?!\s*\{)", " ", body)
    f.uses = (set(_IDENT.findall(no_tags)) | pp_uses) - _C_KEYWORDS
    if is_header:
        # A header's prototypes and externs declare what some .c defines: not uses. (A .c
        # that declares a function itself instead of including its header still uses it.)
        f.uses -= f.declared - f.local
    return f


def module_of(path: Path, base: Path) -> str:
    return str(path.relative_to(base).with_suffix(""))


def _builds(fw: Path) -> dict[str, list[Path]]:
    """build name -> the C files it compiles (portable sources plus its own directory)."""

    def files(d: Path) -> list[Path]:
        return sorted(p for p in d.glob("*.[ch]") if p.is_file())

    portable = [p for d in PORTABLE_DIRS if (fw / d).is_dir() for p in files(fw / d)]
    builds: dict[str, list[Path]] = {}
    for d in sorted((fw / "boards").glob("*")) if (fw / "boards").is_dir() else []:
        if d.is_dir() and d.name != "common":
            builds[f"board {d.name}"] = portable + files(d)
    for extra in ("fuzz", "tools"):
        if (fw / extra).is_dir():
            builds[extra] = portable + files(fw / extra)
    if not builds:
        builds["portable"] = portable
    return builds


def _sccs(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan, iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    out.append(sorted(comp))
    return out


def _describe(comp: list[str], why: dict[tuple[str, str], str]) -> str:
    members = set(comp)
    edges = [f"{a} -> {b} ({why[(a, b)]})" for (a, b) in sorted(why) if a in members and b in members]
    return "cycle: " + " <-> ".join(comp) + ": " + "; ".join(edges)


def c_graph(files: list[Path], base: Path) -> tuple[dict[str, set[str]], dict[tuple[str, str], str]]:
    """Module graph of C files, and for every edge the first reason found."""
    parsed = {p: parse_c(p) for p in files}
    by_name: dict[str, list[Path]] = {}
    for p in files:
        by_name.setdefault(p.name, []).append(p)
    definers: dict[str, set[str]] = {}
    for p, f in parsed.items():
        for name in f.exports:
            definers.setdefault(name, set()).add(module_of(p, base))
    graph: dict[str, set[str]] = {module_of(p, base): set() for p in files}
    why: dict[tuple[str, str], str] = {}

    def add(a: str, b: str, reason: str) -> None:
        if a != b:
            graph[a].add(b)
            why.setdefault((a, b), reason)

    for p, f in parsed.items():
        me = module_of(p, base)
        for inc in f.includes:
            cands = [q for q in by_name.get(Path(inc).name, []) if q.parent == p.parent] or by_name.get(
                Path(inc).name, []
            )
            for q in cands[:1]:
                add(me, module_of(q, base), f"{p.name} includes {inc}")
        own = f.local | f.exports
        for name in sorted(f.uses - own):
            mods = definers.get(name, set()) - {me}
            if len(mods) > 1:
                continue  # defined in several places (a default macro): not one module's
            for m in mods:
                add(me, m, f"{p.name} uses {name}")
    return graph, why


def firmware_cycles(fw: Path | None = None) -> list[str]:
    """One line per cycle among the firmware's C modules (empty: none), over every build."""
    fw = fw or ROOT / "firmware"
    found: dict[tuple[str, ...], str] = {}
    for build, files in _builds(fw).items():
        graph, why = c_graph(files, fw)
        for comp in _sccs(graph):
            if len(comp) > 1 and tuple(comp) not in found:
                found[tuple(comp)] = f"firmware ({build}) " + _describe(comp, why)
    return list(found.values())


def python_graph(pkg: Path) -> tuple[dict[str, set[str]], dict[tuple[str, str], str]]:
    """Import graph of the modules of package directory pkg (top-level name = pkg.name)."""
    base = pkg.parent
    mods: dict[str, Path] = {}
    for p in sorted(pkg.rglob("*.py")):
        parts = list(p.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = p
    graph: dict[str, set[str]] = {m: set() for m in mods}
    why: dict[tuple[str, str], str] = {}
    for mod, p in mods.items():
        is_pkg = p.name == "__init__.py"
        tree = ast.parse(p.read_text(encoding="utf-8"), filename=str(p))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    pkg_parts = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    pkg_parts = pkg_parts[: len(pkg_parts) - (node.level - 1)]
                    src = ".".join(pkg_parts + ([node.module] if node.module else []))
                else:
                    src = node.module or ""
                targets = [f"{src}.{a.name}" if f"{src}.{a.name}" in mods else src for a in node.names]
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != mod:
                    graph[mod].add(t)
                    why.setdefault(
                        (mod, t), f"{p.relative_to(base)}:{getattr(node, 'lineno', 0)} imports {t}"
                    )
    return graph, why


def python_cycles(pkg: Path | None = None) -> list[str]:
    """One line per import cycle among the hilbench package's modules (empty: none)."""
    pkg = pkg or ROOT / "hilbench"
    graph, why = python_graph(pkg)
    return ["python " + _describe(c, why) for c in _sccs(graph) if len(c) > 1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("firmware", "python"), help="check one half only")
    ap.add_argument("--root", type=Path, default=ROOT, help="checkout to check (default: this one)")
    args = ap.parse_args(argv)
    cycles: list[str] = []
    if args.only in (None, "firmware"):
        cycles += firmware_cycles(args.root / "firmware")
    if args.only in (None, "python"):
        cycles += python_cycles(args.root / "hilbench")
    for line in cycles:
        print(line)
    if not cycles:
        print(f"check_cycles: no cycle ({args.only or 'firmware and python'})")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())
