"""What `cnncalc check` found, as documents CI systems read: JUnit XML for test reporters, and JSON.

JUnit has a test suite per spec and a test case per thing checked: that it reads and computes, each
expectation, the `--target` rules, and (under --strict) its warnings; JSON has each spec's expectations with
what was expected and found. Each takes the judged specs and returns text; only the CLI prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from .check import Judged
from .diagnostics import Diagnostic
from .record import Record
from .spec import Location


class Case(Record):
    """One test case: what was checked, where in the spec, and the problems that fail it (`verdict` "failure")
    or keep it from being judged at all ("error": the spec is invalid)."""

    name: str
    loc: Location | None
    verdict: str  # "passed", "failure" or "error"
    problems: tuple[Diagnostic, ...] = ()


def cases(judged: Judged, target: str | None, strict: bool) -> Iterator[Case]:
    """The test cases of one spec, in the order they are checked."""
    if judged.checked is None:
        yield Case("reads and computes", judged.errors[0].loc if judged.errors else None, "error", judged.errors)
        return
    yield Case("reads and computes", None, "passed")
    for outcome in judged.checked.outcomes:
        problem = outcome.problem
        loc = outcome.expectation.loc or (problem.loc if problem else None)
        yield Case(f"expect {outcome.expectation.key}", loc, "failure" if problem else "passed", _some(problem))
    if target:
        errors = tuple(d for d in judged.checked.unbuildable if d.severity == "error")
        yield Case(f"target {target}", errors[0].loc if errors else None, "failure" if errors else "passed", errors)
    if strict:
        warnings = tuple(d for d in judged.checked.findings if d.severity == "warning")
        where = warnings[0].loc if warnings else None
        yield Case("no warnings (--strict)", where, "failure" if warnings else "passed", warnings)


def _some(problem: Diagnostic | None) -> tuple[Diagnostic, ...]:
    return (problem,) if problem else ()


# -- JUnit XML -------------------------------------------------------------------------------------------------

# what XML 1.0 cannot hold at all, escaped or not: control characters but tab, LF and CR, lone surrogates, U+FFFE/F
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    """`text` with what XML cannot hold written as Python writes it (`\\x01`); ElementTree escapes the rest."""
    return _NOT_XML.sub(lambda found: repr(found.group())[1:-1], text)


def classname(shown: str) -> str:
    """A spec's path as test reporters group it, as pytest names a test's module: `specs/vgg16.yaml` is
    `specs.vgg16` (Jenkins reads `specs` as its package)."""
    stem = re.sub(r"\.(ya?ml|onnx)$", "", shown, flags=re.IGNORECASE)
    return re.sub(r"[/\\]+", ".", stem).strip(".") or shown


def junit(specs: Sequence[Judged], target: str | None, strict: bool) -> str:
    """A JUnit XML report: `testsuites`, a `testsuite` per spec, a `testcase` per thing checked, each failed
    case with a `failure` (an invalid spec's case with an `error`) whose message is the first problem's and whose
    text lists every problem as `FILE:LINE:COL: error: ...`."""
    from xml.etree import ElementTree

    root = ElementTree.Element("testsuites", name="cnncalc check")
    counts = {"tests": 0, "failures": 0, "errors": 0}
    for judged in specs:
        suite = ElementTree.SubElement(root, "testsuite", name=_xml(judged.shown))
        found = list(cases(judged, target, strict))
        suite_counts = {
            "tests": len(found),
            "failures": sum(case.verdict == "failure" for case in found),
            "errors": sum(case.verdict == "error" for case in found),
        }
        for key, count in suite_counts.items():
            suite.set(key, str(count))
            counts[key] += count
        suite.set("skipped", "0")
        for case in found:
            element = ElementTree.SubElement(
                suite, "testcase", name=case.name, classname=_xml(classname(judged.shown)), file=_xml(judged.shown)
            )
            if case.loc is not None:
                element.set("line", str(case.loc.line))
            if case.verdict != "passed":
                first = case.problems[0]
                more = len(case.problems) - 1
                message = first.subject + (f" (and {more} more)" if more else "")
                failure = ElementTree.SubElement(element, case.verdict, message=_xml(message), type=first.code)
                failure.text = _xml("\n".join(problem.format(judged.shown) for problem in case.problems))
        if judged.checked is not None:
            told = [d for d in judged.checked.findings if d.severity == "warning"]
            if told and not strict:  # warnings fail nothing here: the reporters show them beside the cases
                ElementTree.SubElement(suite, "system-err").text = _xml(
                    "\n".join(warning.format(judged.shown) for warning in told)
                )
    for key, count in counts.items():
        root.set(key, str(count))
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


# -- JSON ------------------------------------------------------------------------------------------------------


def json_value(value: Any) -> Any:
    """An expectation's value or what was found against it, as JSON holds it: a volume or a field as a list."""
    return list(value) if isinstance(value, tuple) else value


def json_document(specs: Sequence[Judged], target: str | None, strict: bool) -> str:
    """One JSON document: every spec, its status, the input it was computed at, each expectation with what was
    expected and found and whether it holds, and every diagnostic (notes too)."""
    from .documents import diagnostic_dict, document, json_text

    listed = []
    for judged in specs:
        expectations = []
        diagnostics = list(judged.errors)
        if judged.checked is not None:
            for outcome in judged.checked.outcomes:
                expectation, problem = outcome.expectation, outcome.problem
                line, column = expectation.loc if expectation.loc else (None, None)
                expectations.append(
                    {
                        "key": expectation.key,
                        "expected": json_value(expectation.value),
                        "found": json_value(outcome.found),
                        "passed": problem is None,
                        "given": "command line" if expectation.loc is None else "spec",
                        "line": line,
                        "column": column,
                        "message": problem.subject if problem else None,
                    }
                )
            diagnostics = judged.checked.diagnostics
        listed.append(
            {
                "spec": judged.shown,
                "status": judged.status,
                "input": None if judged.input is None else list(judged.input),
                "expectations": expectations,
                "diagnostics": [diagnostic_dict(d) for d in diagnostics],
            }
        )
    checked = {
        "target": target,
        "strict": strict,
        "checked": len(specs),
        "failed": sum(judged.status != "passed" for judged in specs),
        "specs": listed,
    }
    return "".join(json_text(document("check", checked)))
