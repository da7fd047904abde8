"""JUnit XML for CI servers: one test case per board x model x metric.

A regression is a <failure>, a harness or infrastructure problem an <error> (so a CI
server shows a broken board differently from a slower model), an inconclusive verdict a
passing case with its figures; every figure goes in <properties>.
"""

from __future__ import annotations

import os
import socket
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hilbench.results.verdict import Verdict


@dataclass
class Case:
    classname: str  # board.model
    name: str  # metric
    properties: dict[str, object] = field(default_factory=dict)
    failure: str | None = None
    error: str | None = None
    detail: str = ""


def _props(parent: ET.Element, props: dict[str, object]) -> None:
    if not props:
        return
    el = ET.SubElement(parent, "properties")
    for k, v in props.items():
        if v is None:
            continue
        ET.SubElement(el, "property", name=str(k), value=str(v))


def write_junit(
    path: Path, suite: str, cases: list[Case], properties: dict[str, object] | None = None
) -> Path:
    failures = sum(1 for c in cases if c.failure)
    errors = sum(1 for c in cases if c.error)
    root = ET.Element(
        "testsuites", name="hilbench", tests=str(len(cases)), failures=str(failures), errors=str(errors)
    )
    ts = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(cases)),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
        time="0",
        timestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        hostname=socket.gethostname(),
    )
    _props(ts, properties or {})
    for c in cases:
        tc = ET.SubElement(ts, "testcase", classname=c.classname, name=c.name, time="0")
        _props(tc, c.properties)
        if c.failure:
            ET.SubElement(tc, "failure", message=c.failure, type="regression").text = c.detail or c.failure
        if c.error:
            ET.SubElement(tc, "error", message=c.error, type="infrastructure").text = c.detail or c.error
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    ET.ElementTree(root).write(tmp, encoding="utf-8", xml_declaration=True)
    os.replace(tmp, path)
    return path


def junit_cases(verdicts: list[Verdict], extra: dict[str, Any] | None = None) -> list[Case]:
    cases = []
    for v in verdicts:
        props = {k: v2 for k, v2 in v.to_dict().items() if k not in ("board", "model", "metric", "detail")}
        props.update(extra or {})
        failure = None
        if v.regressed:
            failure = (
                f"regressed: {v.metric} {v.effect:+.2%} ({v.method})" if v.effect is not None else "regressed"
            )
        cases.append(
            Case(
                classname=f"{v.board}.{v.model}",
                name=v.metric,
                properties=props,
                failure=failure,
                detail=v.detail,
            )
        )
    return cases
