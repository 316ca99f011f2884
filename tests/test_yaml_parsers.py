"""cnncalc says the same of a text whichever YAML parser PyYAML has: libyaml 0.2.5, libyaml 0.2.6, or none.

libyaml's parser reads first, being seven times as fast; PyYAML's own is the reference, whose words and places
every message carries. A text libyaml refuses is read again by the reference: libyaml words its errors otherwise
and has limits of its own (0.2.6 refuses a 1,000th level of nesting, and finds it before cnncalc's bound of 200,
as it scans ahead). Where the two may read a text otherwise (a tab, a byte-order mark, a tag, a directive, a
block scalar, an empty value in a flow collection), the reference reads it alone. Elsewhere libyaml gives the
reference's events and marks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from fuzzing import YAMLISH, almost_right_specs, any_documents, examples
from hypothesis import event, given
from hypothesis import strategies as st
from test_errors import HEAD, NESTED, alias_bomb, spec_with

from cnncalc.diagnostics import SpecError
from cnncalc.loader import load
from cnncalc.spec import Spec

LIBYAML = getattr(yaml, "CSafeLoader", None)
needs_libyaml = pytest.mark.skipif(LIBYAML is None, reason="PyYAML was built without libyaml")
SPECS = sorted((Path(__file__).resolve().parent.parent / "specs").glob("*.yaml"))


def read(text: str, monkeypatch: pytest.MonkeyPatch, fast_parser: type | None) -> Spec | list[str]:
    """The spec `text` holds, or its diagnostics as printed, read as cnncalc reads with `fast_parser`."""
    with monkeypatch.context() as patch:
        patch.setattr("cnncalc.compose.FAST_PARSER", fast_parser)
        try:
            return load(text)
        except SpecError as exc:
            return [diagnostic.format("spec.yaml") for diagnostic in exc.diagnostics]


ERRORS = [
    pytest.param("input: [32, 32, 3\nlayers: [flatten]\n", id="unclosed-flow-list"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3\n", id="unclosed-flow-mapping"),
    pytest.param("input: [32, 32, 3]\n  layers: [flatten]\n", id="bad-indentation"),
    pytest.param("- a\nb: c\n", id="block-list-then-mapping"),
    pytest.param("input: [32, 32, 3]\nlayers: [flatten]\nname: a: b\n", id="mapping-value-in-a-plain-scalar"),
    pytest.param(HEAD + "\t- flatten\n", id="tab"),
    pytest.param(HEAD + "  - flatten\x00\n", id="nul"),
    pytest.param(HEAD + "  - flatten\n---\nname: second\n", id="two-documents"),
    pytest.param(HEAD + "  - *nowhere\n", id="undefined-alias"),
    pytest.param("input: [32, 32, 3]\nlayers: [flatten]\n'", id="unclosed-quote"),
    pytest.param("input: [32, 32, 3]\nlayers: [flatten]\n%YAML 1.1\n", id="directive-after-content"),
    pytest.param("input: !!python/object/apply:os.system ['true']\nlayers: [flatten]\n", id="python-tag"),
    pytest.param(alias_bomb(), id="billion-laughs"),
    pytest.param(NESTED, id="nested-10000-deep"),
    pytest.param("input: " + "[" * 10_000 + "\n", id="unclosed-10000-deep"),
    pytest.param("input: " + "{a: " * 1_500 + "}" * 1_500 + "\nlayers: [flatten]\n", id="mappings-1500-deep"),
    pytest.param("a:\n" + "".join("  " * depth + "- \n" for depth in range(1, 1_200)), id="block-1200-deep"),
    pytest.param("input: [8, 8, 3]\nlayers: [relu]\nname: " + "[" * 150 + "]" * 150 + "\n", id="nested-150-deep"),
    pytest.param(spec_with("\r", "") + "  - conv: {filters: 0, kernel: 1}\r", id="cr-line-ends"),
    pytest.param(spec_with("\n") + "  - conv: {filters: 0, kernel: 1}\n", id="byte-order-mark-in-a-line"),
    # texts libyaml takes and PyYAML's parser refuses
    pytest.param("input: [8, 8, 3]\nlayers: [relu]\t\n", id="tab-after-a-value"),
    pytest.param("input: [8, 8, 3]\nlayers: [relu]\nname: !:! x\n", id="tag-libyaml-takes"),
    pytest.param("input: [8, 8, 3]\nlayers: [relu]\nname: >#\n  x\n", id="comment-after-a-block-scalar-header"),
    # and what the two place otherwise: libyaml puts an empty value where the next token starts
    pytest.param(HEAD + "  - conv: {filters: , kernel: 3}\n", id="empty-value-in-a-flow-mapping"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: [3, ]}\n  - dense: {units: [1: ]}\n", id="empty-flow-values"),
]


@needs_libyaml
@pytest.mark.parametrize("text", ERRORS)
def test_the_same_diagnostics_with_libyaml_and_without(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    with_libyaml = read(text, monkeypatch, LIBYAML)
    assert isinstance(with_libyaml, list) and with_libyaml  # each is a bad spec
    assert with_libyaml == read(text, monkeypatch, None)


@needs_libyaml
@pytest.mark.parametrize("end", ["\n", "\r\n", "\r", "\x85", "\u2028", "\u2029"], ids=repr)
@pytest.mark.parametrize("text", [path.read_text(encoding="utf-8") for path in SPECS] + [spec_with("\n", "")])
def test_libyaml_gives_the_marks_pyyaml_gives(text: str, end: str) -> None:
    # what a spec read by libyaml is placed by: every event, with where it starts and ends
    text = end.join(text.split("\n"))

    def events(parser: Any) -> list[tuple[Any, ...]]:
        return [
            (type(e).__name__, getattr(e, "value", None), *_place(e.start_mark), *_place(e.end_mark))
            for e in yaml.parse(text.encode(), Loader=parser)
        ]

    assert events(LIBYAML) == events(yaml.SafeLoader)


def _place(mark: Any) -> tuple[int, int]:
    return mark.line, mark.column


class Unused(yaml.SafeLoader):
    def __init__(self, stream: Any) -> None:
        raise AssertionError("read by PyYAML's parser, where libyaml's reads it alike")


@needs_libyaml
@pytest.mark.parametrize("path", SPECS, ids=lambda path: path.stem)
def test_libyaml_reads_the_shipped_specs_alone(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    # the fast path is the usual one: a spec as people write them holds nothing the two parsers read otherwise
    monkeypatch.setattr("cnncalc.compose.REFERENCE_PARSER", Unused)
    assert isinstance(read(path.read_text(encoding="utf-8"), monkeypatch, LIBYAML), Spec)


class NestingLimited(yaml.SafeLoader):
    """A stand-in for a libyaml with a nesting limit of its own: PyYAML's parser, refusing a 51st flow level."""

    def fetch_flow_collection_start(self, TokenClass: type[yaml.Token]) -> None:
        if self.flow_level >= 50:
            mark = self.get_mark()
            raise yaml.scanner.ScannerError("while increasing flow level", mark, "exceeded maximum nesting depth", mark)
        super().fetch_flow_collection_start(TokenClass)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(NESTED, "spec.yaml:1:207: error: YAML nested more than 200 levels deep: not an architecture spec",
                     id="past-cnncalc-s-bound"),
        pytest.param("input: [8, 8, 3]\nlayers: [relu]\nname: " + "[" * 60 + "]" * 60 + "\n",
                     "spec.yaml:3:7: error: `name` must be a string, got a list of 1", id="within-cnncalc-s-bound"),
    ],
)  # fmt: skip
def test_a_limit_of_the_fast_parser_is_not_cnncalc_s(monkeypatch: pytest.MonkeyPatch, text: str, expected: str) -> None:
    with pytest.raises(yaml.scanner.ScannerError, match="exceeded maximum nesting depth"):
        list(yaml.parse(text, Loader=NestingLimited))  # the stand-in refuses the text
    assert read(text, monkeypatch, NestingLimited) == [expected]


@needs_libyaml
@examples(300)
@given(
    almost_right_specs()
    | any_documents()
    | st.binary(max_size=200)
    | st.lists(YAMLISH, max_size=40).map(lambda parts: "".join(parts).encode())
)
def test_any_text_reads_the_same_with_libyaml_and_without(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    with pytest.MonkeyPatch.context() as monkeypatch:
        with_libyaml = read(text, monkeypatch, LIBYAML)
        assert with_libyaml == read(text, monkeypatch, None), text
    event("valid" if isinstance(with_libyaml, Spec) else "invalid")
