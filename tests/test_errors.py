"""Bad specs as users write them: the YAML, where the error points (line, column) and what it says.

Each table's cases run `cnncalc summary FILE` and expect one line per error on stderr, `FILE:LINE:COL: error: ...`,
nothing on stdout, exit code 2 and no traceback. Layers are named by position: `layer 3 (conv): ...`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from cnncalc.cli import cli
from cnncalc.diagnostics import Diagnostic, SpecError
from cnncalc.loader import load, load_file
from cnncalc.reading import MAX_SPEC_BYTES, position
from cnncalc.spec import Location

# the first two lines of most cases: the layers start on line 3, each list item's kind at column 5
HEAD = "input: [32, 32, 3]\nlayers:\n"


def summary(path: str, stdin: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["summary", path], input=stdin)


def assert_errors(result: Result, filename: str, expected: list[tuple[int | None, int | None, str]]) -> None:
    """Exit 2, nothing on stdout, and exactly the expected `FILE:LINE:COL: error:` lines, in this order; `FILE:
    error:` where the line and column expected are None (a problem with no place in the file)."""
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything
    assert isinstance(result.exception, SystemExit), result.exception  # not a fault that escaped
    assert result.exit_code == 2, everything
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == len(expected), result.stderr
    for got, (line, column, fragment) in zip(lines, expected, strict=True):
        place = "" if line is None else f":{line}:{column}"
        assert re.match(rf"^{re.escape(filename)}{place}: error: ", got), got
        assert fragment in got, got


def check(tmp_path: Path, text: str | bytes, expected: list[tuple[int | None, int | None, str]]) -> None:
    path = tmp_path / "spec.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    assert_errors(summary(str(path)), str(path), expected)


def alias_bomb(levels: int = 9) -> str:
    """A "billion laughs": each anchor is a list of nine aliases of the one before, 10 x 9**9 values expanded."""
    lines = ["input: [32, 32, 3]", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    lines.append(f"layers: *a{levels}")
    return "\n".join(lines) + "\n"


NESTED = "input: " + "[" * 10_000 + "]" * 10_000 + "\nlayers: [flatten]\n"  # libyaml crashes on this
# YAML 1.1 base 60: 1:00:00 is 3600; converting 1,000,000 places takes quadratic time, so it must not be converted
BASE_60 = HEAD + "  - dense: {units: 1" + ":00" * 80_000 + "}\n"  # 240 KB, under the 256 KiB cap


# -- YAML itself: syntax, tabs, documents, characters --------------------------------------------------

YAML_SYNTAX = [
    pytest.param("input: [32, 32, 3\nlayers: [flatten]\n", 2, 7,
                 "YAML syntax: expected ',' or ']', but got ':'", id="unclosed-flow-list"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3\n", 4, 1,
                 "YAML syntax: expected ',' or '}', but got '<stream end>'", id="unclosed-flow-mapping"),
    pytest.param("input: [32, 32, 3]\n  layers: [flatten]\n", 2, 3,
                 "YAML syntax: expected <block end>, but found '<block mapping start>'", id="bad-indentation"),
    pytest.param(HEAD + "\t- flatten\n", 3, 1, "YAML syntax: found character '\\t' that cannot start any token "
                 "(a tab: indent with spaces, YAML does not allow tabs)", id="tab-indent"),
    pytest.param(HEAD + "  - conv:\n    \tfilters: 8\n", 4, 5, "YAML does not allow tabs", id="tab-in-block-mapping"),
    pytest.param(HEAD + "  - flatten\n---\nname: second\n", 4, 1,
                 "expected a single document in the stream, but found another document", id="two-documents"),
    pytest.param(HEAD + "  - flatten\x00\n", 3, 12, "character U+0000 is not allowed", id="nul-character"),
    pytest.param(HEAD + "  - *nowhere\n", 3, 5, "YAML syntax: found undefined alias 'nowhere'", id="undefined-alias"),
    pytest.param("input: [32, 32, 3]\nlayers: [flatten]\n'", 3, 2,
                 "YAML syntax: found unexpected end of stream", id="unclosed-quote"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "column", "fragment"), YAML_SYNTAX)
def test_yaml_syntax_errors(tmp_path: Path, parser: str, text: str, line: int, column: int, fragment: str) -> None:
    # PyYAML's own words, also where libyaml reads the text first: it words its errors otherwise
    check(tmp_path, text, [(line, column, fragment)])


# -- the document's shape: empty, not a mapping, missing or unknown keys -------------------------------

DOCUMENT = [
    pytest.param("", None, None, "empty spec: expected a mapping with `input` and `layers`", id="empty-file"),
    pytest.param("  \n\n", None, None, "empty spec", id="whitespace-only"),
    pytest.param("# nothing but a comment\n", None, None, "empty spec", id="comment-only"),
    pytest.param("~\n", None, None, "empty spec", id="null-document"),
    pytest.param("- flatten\n", 1, 1, "a spec is a mapping with `input` and `layers`, got a list of 1", id="list"),
    pytest.param("just text\n", 1, 1, "a spec is a mapping with `input` and `layers`, got the string", id="text"),
    pytest.param("layers: [flatten]\n", 1, 1, "missing `input`", id="no-input"),
    pytest.param("input: [32, 32, 3]\n", 1, 1, "missing `layers`", id="no-layers"),
    pytest.param("input: [32, 32, 3]\nlayers: [flatten]\nlayer: [relu]\n", 3, 1,
                 "unknown top-level key 'layer' (did you mean 'layers'?); allowed: name, description, input, layers",
                 id="unknown-top-level-key"),
    pytest.param("input: [32, 32, 3]\nlayers: [flatten]\noutput: [1, 1, 10]\n", 3, 1,
                 "unknown top-level key 'output'; allowed:", id="unknown-top-level-key-no-suggestion"),
    pytest.param("input: [32, 32, 3]\nlayers: []\n", 2, 9, "`layers` is empty", id="layers-empty"),
    pytest.param("input: [32, 32, 3]\nlayers:\n", 2, 8,
                 "`layers` must be a list of layers, got nothing (null)", id="layers-null"),
    pytest.param("input: [32, 32, 3]\nlayers: flatten\n", 2, 9,
                 "`layers` must be a list of layers, got the string", id="layers-text"),
    pytest.param("input: 32\nlayers: [flatten]\n", 1, 8,
                 "`input` must be [l, c], [h, w, c] or [d, h, w, c], positive integers, got the integer 32",
                 id="input-scalar"),
    pytest.param("input: [32]\nlayers: [flatten]\n", 1, 8,
                 "`input` must be [l, c], [h, w, c] or [d, h, w, c], positive integers, got a list of 1",
                 id="input-one-size"),
    pytest.param("input: [2, 32, 32, 3, 1]\nlayers: [flatten]\n", 1, 8,
                 "`input` must be [l, c], [h, w, c] or [d, h, w, c], positive integers, got a list of 5",
                 id="input-five-sizes"),
    pytest.param("name: [LeNet]\ninput: [32, 32, 3]\nlayers: [flatten]\n", 1, 7,
                 "`name` must be a string, got a list of 1", id="name-list"),
    pytest.param("input: [32, 32, 3]\nlayers: [flatten]\ninput: [64, 64, 3]\n", 3, 1,
                 "duplicate key 'input' (first given on line 1)", id="duplicate-top-level-key"),
    pytest.param("input: [32, 32, 3]\nlayers: [flatten]\nexpect: 61706\n", 3, 9,
                 "`expect` must be a mapping, got the integer 61706", id="expect-scalar"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "column", "fragment"), DOCUMENT)
def test_document_errors(tmp_path: Path, text: str, line: int | None, column: int | None, fragment: str) -> None:
    check(tmp_path, text, [(line, column, fragment)])


# -- names: unknown kinds and options, with the nearest name suggested ---------------------------------

NAMES = [
    pytest.param(HEAD + "  - conv2d: {filters: 8, kernel: 3}\n", 3, 5,
                 "layer 1: unknown layer kind 'conv2d': cnncalc calls it `conv`", id="framework-kind"),
    pytest.param(HEAD + "  - convv: {filters: 8, kernel: 3}\n", 3, 5,
                 "layer 1: unknown layer kind 'convv' (did you mean 'conv'?)", id="unknown-kind"),
    pytest.param(HEAD + "  - maxpol\n", 3, 5,
                 "layer 1: unknown layer kind 'maxpol' (did you mean 'maxpool'?)", id="unknown-kind-bare"),
    pytest.param(HEAD + "  - Conv: {filters: 8, kernel: 3}\n", 3, 5,
                 "layer 1: unknown layer kind 'Conv': cnncalc calls it `conv`", id="kind-in-capitals"),
    pytest.param(HEAD + "  - flatten\n  - transformer\n", 4, 5,
                 "layer 2: unknown layer kind 'transformer'", id="unknown-kind-no-suggestion"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, strid: 2}\n", 3, 35,
                 "layer 1 (conv): unknown option 'strid' (did you mean 'stride'?); conv takes: filters, kernel",
                 id="unknown-option"),
    pytest.param(HEAD + "  - maxpool: {size: 2, strides: 2}\n", 3, 24,
                 "layer 1 (maxpool): unknown option 'strides': cnncalc calls it `stride`", id="unknown-option-plural"),
    pytest.param(HEAD + "  - flatten\n  - dense: {units: 10, activations: relu}\n", 4, 24,
                 "layer 2 (dense): unknown option 'activations' (did you mean 'activation'?)",
                 id="unknown-option-dense"),
    pytest.param(HEAD + "  - flatten: {start_dim: 1}\n", 3, 15,
                 "layer 1 (flatten): unknown option 'start_dim'; flatten takes: none besides name",
                 id="option-on-flatten"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, activation: Rleu}\n", 3, 47,
                 "layer 1 (conv): activation must be one of relu, relu6, leakyrelu, elu, gelu, silu, mish, hardswish, "
                 "tanh, sigmoid, hardsigmoid, softmax or none, got the string 'Rleu' (did you mean 'relu'?)",
                 id="activation-misspelt"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3}\n    stride: 2\n", 3, 5,
                 "layer 1: a layer has exactly one kind, got 2 keys: conv, stride (indent the options under `conv:`)",
                 id="options-not-indented"),
    pytest.param(HEAD + "  - {name: c1}\n", 3, 5, "layer 1: a layer needs a kind", id="layer-without-kind"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, filters: 16}\n", 3, 35,
                 "layer 1 (conv): duplicate key 'filters' (first given on line 3)", id="duplicate-option"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, <<: {stride: 2}}\n", 3, 35,
                 "layer 1 (conv): keys must be names, got the merge key << (not supported", id="merge-key"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, 3: 3}\n", 3, 35,
                 "layer 1 (conv): keys must be names, got the integer 3", id="number-key"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "column", "fragment"), NAMES)
def test_unknown_names(tmp_path: Path, text: str, line: int, column: int, fragment: str) -> None:
    check(tmp_path, text, [(line, column, fragment)])


# -- types: YAML 1.1 reads `1e3` as text, `no` as false, `010` as octal; only what is written is taken ---

TYPES = [
    pytest.param(HEAD + "  - conv: {filters: '8', kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be a positive integer, got the string '8' (quoted, so it is text",
                 id="quoted-number"),
    pytest.param(HEAD + "  - conv: {filters: 1e3, kernel: 3}\n", 3, 21,
                 "filters must be a positive integer, got the string '1e3' (YAML 1.1 reads this as text",
                 id="exponent-is-text"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3.5}\n", 3, 32,
                 "layer 1 (conv): kernel must be a positive integer, got the float 3.5", id="float-kernel"),
    pytest.param(HEAD + "  - conv: {filters: 8.0, kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be a positive integer, got the float 8.0", id="whole-float"),
    pytest.param(HEAD + "  - conv: {filters: true, kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be a positive integer, got the boolean true", id="bool-filters"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, stride: no}\n", 3, 43,
                 "stride must be a positive integer, got the boolean no (YAML 1.1 reads 'no' as a boolean)",
                 id="no-is-false"),
    pytest.param(HEAD + "  - conv: {filters: [8], kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be a positive integer, got a list of 1", id="list-filters"),
    pytest.param(HEAD + "  - conv: {filters: {n: 8}, kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be a positive integer, got a mapping", id="mapping-filters"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: [3, 3, 3]}\n", 3, 32,
                 "layer 1 (conv): kernel must be an integer or a pair [height, width], got a list of 3",
                 id="kernel-triple"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: [3, '3']}\n", 3, 36,
                 "layer 1 (conv): kernel must be a positive integer, got the string '3'", id="kernel-pair-with-text"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3:3}\n", 3, 32,
                 "layer 1 (conv): kernel must be a positive integer, got 3:3 (YAML 1.1 reads this as a base-60 number",
                 id="base-60"),
    pytest.param(HEAD + "  - conv: {filters: 010, kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be a positive integer, got 010 (YAML 1.1 reads this as octal",
                 id="octal"),
    pytest.param(HEAD + "  - conv: {filters: 0x10, kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be a positive integer, got 0x10 (YAML 1.1 reads this as hexadecimal",
                 id="hexadecimal"),
    pytest.param(HEAD + "  - conv: {filters: 0b_, kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be a positive integer, got 0b_", id="binary-without-digits"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, padding: full}\n", 3, 44,
                 "padding must be `same`, `valid`, an integer or a list of 2 or 4 integers, got the string 'full'",
                 id="padding-word"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, padding: [1, 1, 1]}\n", 3, 44,
                 "layer 1 (conv): padding must be [ph, pw] or [top, bottom, left, right], got a list of 3",
                 id="padding-triple"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, padding: 1.5}\n", 3, 44,
                 "padding must be `same`, `valid`, an integer or a list of 2 or 4 integers, got the float 1.5",
                 id="padding-float"),
    pytest.param(HEAD + "  - zeropad: {padding: same}\n", 3, 24,
                 "layer 1 (zeropad): padding must be an integer or a list of 2 or 4 integers, got the string 'same'",
                 id="zeropad-same"),
    pytest.param(HEAD + "  - zeropad: {padding: [1, -1]}\n", 3, 28,
                 "layer 1 (zeropad): padding must be an integer >= 0, got -1", id="zeropad-negative"),
    pytest.param(HEAD + "  - zeropad\n", 3, 5, "layer 1 (zeropad): zeropad needs `padding`", id="zeropad-bare"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, bias: 1}\n", 3, 41,
                 "layer 1 (conv): bias must be true or false, got the integer 1", id="bias-number"),
    pytest.param(HEAD + "  - maxpool: {size: 3, stride: 2, ceil: 'true'}\n", 3, 41,
                 "layer 1 (maxpool): ceil must be true or false, got the string 'true'", id="ceil-quoted"),
    pytest.param(HEAD + "  - dropout: {rate: '0.5'}\n", 3, 21,
                 "layer 1 (dropout): rate must be a number with 0 <= rate < 1, got the string '0.5'", id="rate-quoted"),
    pytest.param(HEAD + "  - dropout: {rate: 1}\n", 3, 21,
                 "layer 1 (dropout): rate must be a number with 0 <= rate < 1, got 1", id="rate-one"),
    pytest.param(HEAD + "  - flatten\n  - dense: {units: 10, name: 7}\n", 4, 30,
                 "layer 2 (dense): name must be a string, got the integer 7", id="name-number"),
    pytest.param(HEAD + "  - flatten\n  - dense: {units: 10, name: 2024-01-01}\n", 4, 30,
                 "layer 2 (dense): name must be a string, got 2024-01-01 (YAML 1.1 reads this as a date)",
                 id="name-date"),
    pytest.param(HEAD + "  - 7\n", 3, 5,
                 "layer 1: a layer is a kind (e.g. `flatten`) or a mapping (e.g. `conv: {...}`), got the integer 7",
                 id="layer-number"),
    pytest.param(HEAD + "  - [conv, 8, 3]\n", 3, 5,
                 "layer 1: a layer is a kind (e.g. `flatten`) or a mapping", id="layer-list"),
    pytest.param(HEAD + "  - conv: [8, 3]\n", 3, 11,
                 "layer 1 (conv): the options of conv must be a mapping, got a list of 2", id="options-list"),
    pytest.param("input: [32, 32, 3.0]\nlayers: [flatten]\n", 1, 17,
                 "input c must be a positive integer, got the float 3.0", id="input-float"),
    pytest.param("input: ['32', 32, 3]\nlayers: [flatten]\n", 1, 9,
                 "input h must be a positive integer, got the string '32'", id="input-text"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "column", "fragment"), TYPES)
def test_wrong_types(tmp_path: Path, text: str, line: int, column: int, fragment: str) -> None:
    check(tmp_path, text, [(line, column, fragment)])


# -- text from the spec in a message: as written where it prints on one line, quoted and escaped where not ------

SPEC_TEXT = [
    pytest.param(HEAD + '  - {conv: {filters: 8, kernel: 3}, "x\\ny": 0}\n', 3, 5,
                 "layer 1: a layer has exactly one kind, got 2 keys: conv, 'x\\ny' (indent the options under `conv:`)",
                 id="key-with-a-line-feed"),
    pytest.param(HEAD + '  - {conv: {filters: 8, kernel: 3}, "x y": 0}\n', 3, 5,
                 "layer 1: a layer has exactly one kind, got 2 keys: conv, x y (indent the options under `conv:`)",
                 id="key-with-a-space"),
    pytest.param(HEAD + '  - conv: {filters: !!int "8\\n9", kernel: 3}\n', 3, 21,
                 "layer 1 (conv): filters must be a positive integer, got '8\\n9'", id="tagged-int-with-a-line-feed"),
    pytest.param(HEAD + "  - conv: {filters: !!int eight, kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be a positive integer, got eight", id="tagged-int-word"),
    pytest.param(HEAD + '  - conv: {filters: 8, kernel: !!float "\\e]0;title\\a"}\n', 3, 32,
                 "layer 1 (conv): kernel must be a positive integer, got the float '\\x1b]0;title\\x07'",
                 id="tagged-float-escape"),
    pytest.param(HEAD + '  - dropout: {rate: !!float "nan\\n"}\n', 3, 21,
                 "layer 1 (dropout): rate must be a number with 0 <= rate < 1, got 'nan\\n', which is nan as a float",
                 id="tagged-rate-with-a-line-feed"),
    pytest.param(HEAD + '  - conv: {filters: 8, kernel: 3, ? !!bool "yes\\u2028" : 1}\n', 3, 37,
                 "layer 1 (conv): keys must be names, got 'yes\\u2028'", id="tagged-key-with-a-line-separator"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "column", "fragment"), SPEC_TEXT)
def test_spec_text_in_a_message(tmp_path: Path, text: str, line: int, column: int, fragment: str) -> None:
    check(tmp_path, text, [(line, column, fragment)])


# -- odd values: huge, not a number, null -----------------------------------------------------------

ODD_VALUES = [
    pytest.param(HEAD + "  - conv: {filters: 1000000000000000000000000000000, kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be at most 2,147,483,647, got 1,000,000,000,000,000,000,000,000,000,000",
                 id="ten-to-the-30"),
    pytest.param(HEAD + "  - conv: {filters: 2147483648, kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be at most 2,147,483,647, got 2,147,483,648", id="int32-plus-one"),
    pytest.param(HEAD + "  - conv: {filters: " + "9" * 50 + ", kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be at most 2,147,483,647, got a number of 50 digits", id="fifty-digits"),
    pytest.param(HEAD + "  - conv: {filters: " + "9" * 5000 + ", kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be a positive integer, got a number of 5,000 digits",
                 id="past-python-digit-limit"),
    pytest.param(HEAD + "  - conv: {filters: .nan, kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be a positive integer, got the float .nan", id="nan"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: .inf}\n", 3, 32,
                 "layer 1 (conv): kernel must be a positive integer, got the float .inf", id="inf"),
    pytest.param(HEAD + "  - dropout: {rate: .NaN}\n", 3, 21,
                 "layer 1 (dropout): rate must be a number with 0 <= rate < 1, got .NaN", id="rate-nan"),
    pytest.param(HEAD + "  - dropout: {rate: -.inf}\n", 3, 21,
                 "layer 1 (dropout): rate must be a number with 0 <= rate < 1, got -.inf", id="rate-minus-inf"),
    pytest.param(HEAD + "  - conv: {filters: null, kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be a positive integer, got nothing (null)", id="null"),
    pytest.param(HEAD + "  - conv: {filters: ~, kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be a positive integer, got nothing (null)", id="tilde"),
    pytest.param(HEAD + "  - conv:\n      filters:\n      kernel: 3\n", 4, 15,
                 "layer 1 (conv): filters must be a positive integer, got nothing (null)", id="empty-value"),
    pytest.param(HEAD + "  - conv:\n", 3, 5, "layer 1 (conv): conv needs `filters` and `kernel`", id="no-options"),
    pytest.param(HEAD + "  - conv: {kernel: 3}\n", 3, 5, "layer 1 (conv): conv needs `filters`", id="no-filters"),
    pytest.param(HEAD + "  - maxpool: {stride: 2}\n", 3, 5,
                 "layer 1 (maxpool): maxpool needs `size`", id="no-pool-size"),
    pytest.param(HEAD + "  - flatten\n  - dense: {}\n", 4, 5, "layer 2 (dense): dense needs `units`", id="no-units"),
    pytest.param(HEAD + "  -\n", 3, 4,
                 "layer 1: a layer is a kind (e.g. `flatten`) or a mapping (e.g. `conv: {...}`), got nothing (null)",
                 id="null-layer"),
    pytest.param("input: [~, 32, 3]\nlayers: [flatten]\n", 1, 9,
                 "input h must be a positive integer, got nothing (null)", id="input-null"),
    pytest.param("input: [2147483648, 32, 3]\nlayers: [flatten]\n", 1, 9,
                 "input h must be at most 2,147,483,647, got 2,147,483,648", id="input-too-large"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "column", "fragment"), ODD_VALUES)
def test_odd_values(tmp_path: Path, text: str, line: int, column: int, fragment: str) -> None:
    check(tmp_path, text, [(line, column, fragment)])


# -- sizes: zero and negative sizes, strides, filters, units, padding ---------------------------------

SIZES = [
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, stride: 0}\n", 3, 43,
                 "layer 1 (conv): stride must be a positive integer, got 0", id="stride-0"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, stride: -2}\n", 3, 43,
                 "layer 1 (conv): stride must be a positive integer, got -2", id="stride-negative"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, stride: [1, 0]}\n", 3, 47,
                 "layer 1 (conv): stride must be a positive integer, got 0", id="stride-pair-0"),
    pytest.param(HEAD + "  - conv: {filters: 0, kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be a positive integer, got 0", id="filters-0"),
    pytest.param(HEAD + "  - conv: {filters: -8, kernel: 3}\n", 3, 21,
                 "layer 1 (conv): filters must be a positive integer, got -8", id="filters-negative"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 0}\n", 3, 32,
                 "layer 1 (conv): kernel must be a positive integer, got 0", id="kernel-0"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: [3, -1]}\n", 3, 36,
                 "layer 1 (conv): kernel must be a positive integer, got -1", id="kernel-pair-negative"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, dilation: 0}\n", 3, 45,
                 "layer 1 (conv): dilation must be a positive integer, got 0", id="dilation-0"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, groups: 0}\n", 3, 43,
                 "layer 1 (conv): groups must be a positive integer, got 0", id="groups-0"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, padding: -1}\n", 3, 44,
                 "padding must be `same`, `valid`, an integer or a list of 2 or 4 integers, got the integer -1",
                 id="padding-negative"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, padding: [1, -1]}\n", 3, 48,
                 "layer 1 (conv): padding must be an integer >= 0, got -1", id="padding-pair-negative"),
    pytest.param(HEAD + "  - maxpool: {size: 0}\n", 3, 21,
                 "layer 1 (maxpool): size must be a positive integer, got 0", id="pool-size-0"),
    pytest.param(HEAD + "  - avgpool: {size: 2, stride: 0}\n", 3, 32,
                 "layer 1 (avgpool): stride must be a positive integer, got 0", id="pool-stride-0"),
    pytest.param(HEAD + "  - flatten\n  - dense: {units: 0}\n", 4, 20,
                 "layer 2 (dense): units must be a positive integer, got 0", id="units-0"),
    pytest.param("input: [32, 0, 3]\nlayers: [flatten]\n", 1, 13,
                 "input w must be a positive integer, got 0", id="input-width-0"),
    pytest.param("input: [32, 32, -3]\nlayers: [flatten]\n", 1, 17,
                 "input c must be a positive integer, got -3", id="input-channels-negative"),
    # block style: the column is the value's, under its key
    pytest.param(HEAD + "  - conv:\n      filters: 8\n      kernel: 3\n      stride: 0\n", 6, 15,
                 "layer 1 (conv): stride must be a positive integer, got 0", id="block-style"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "column", "fragment"), SIZES)
def test_bad_sizes(tmp_path: Path, text: str, line: int, column: int, fragment: str) -> None:
    check(tmp_path, text, [(line, column, fragment)])


# -- shapes: what cannot be computed; the error points at the layer's kind ----------------------------

SHAPES = [
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 33}\n", 3, 32,
                 "layer 1 (conv): kernel 33 is larger than the padded input 32", id="kernel-too-large"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 35, padding: 1}\n", 3, 32,
                 "layer 1 (conv): kernel 35 is larger than the padded input 34 (32 + 1 + 1)",
                 id="kernel-too-large-padded"),
    pytest.param("input: [4, 4, 3]\nlayers:\n  - conv: {filters: 8, kernel: 3, dilation: 2}\n", 3, 32,
                 "layer 1 (conv): dilated kernel 5 (kernel 3, dilation 2) is larger than the padded input 4",
                 id="dilated-kernel-too-large"),
    pytest.param("input: [8, 8, 3]\nlayers:\n  - maxpool: {size: 2}\n  - maxpool: {size: 2}\n"
                 "  - conv: {filters: 8, kernel: 3}\n",
                 5, 32, "layer 3 (conv): kernel 3 is larger than the padded input 2", id="shrunk-by-pools"),
    pytest.param("input: [32, 8, 3]\nlayers:\n  - conv: {filters: 8, kernel: [3, 9]}\n", 3, 32,
                 "layer 1 (conv): kernel 9 is larger than the padded input 8", id="kernel-too-wide"),
    pytest.param("input: [2, 2, 3]\nlayers:\n  - maxpool: {size: 3}\n", 3, 21,
                 "layer 1 (maxpool): kernel 3 is larger than the padded input 2", id="pool-too-large"),
    # 1 + 0 - 3 = -2; ceil(-2 / 2) + 1 = 0 windows: even ceil cannot make an output of this
    pytest.param("input: [1, 1, 3]\nlayers:\n  - maxpool: {size: 3, stride: 2, ceil: true}\n", 3, 21,
                 "layer 1 (maxpool): kernel 3 is larger than the padded input 1", id="ceil-output-0"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, groups: 2}\n", 3, 43,
                 "layer 1 (conv): groups 2 must divide both the input channels (3) and the filters (8)",
                 id="groups-channels"),
    pytest.param("input: [32, 32, 4]\nlayers:\n  - conv: {filters: 6, kernel: 3, groups: 4}\n", 3, 43,
                 "layer 1 (conv): groups 4 must divide both the input channels (4) and the filters (6)",
                 id="groups-filters"),
    pytest.param(HEAD + "  - concat: {split: [1, 1], branches: [[], []]}\n", 3, 21,
                 "layer 1 (concat): split needs one count per branch (2) adding up to the input's 3 channels, got 2: "
                 "1 + 1 = 2", id="split-short"),
    pytest.param("input: [8, 8, 1]\nlayers:\n  - concat: {split: [1, 1], branches: [[], []]}\n", 3, 21,
                 "layer 1 (concat): split needs one count per branch (2) adding up to the input's 1 channel, got 2: "
                 "1 + 1 = 2", id="split-one-channel"),
    pytest.param(HEAD + "  - add: {split: [1, 2], branches: [[], []]}\n", 3, 11,
                 "layer 1 (add): unknown option 'split'", id="split-on-add"),
    pytest.param(HEAD + "  - channelshuffle: {groups: 2}\n", 3, 30,
                 "layer 1 (channelshuffle): groups 2 must divide the input channels (3)", id="shuffle-groups"),
    pytest.param(HEAD + "  - droppath: {rate: 1}\n", 3, 22, "layer 1 (droppath): rate must be", id="droppath-rate-1"),
    pytest.param(HEAD + "  - dense: {units: 10}\n", 3, 5,
                 "layer 1 (dense): dense needs a 1 x 1 x n input, got 32 x 32 x 3: add `flatten` before it",
                 id="dense-on-volume"),
    pytest.param(HEAD + "  - maxpool: {size: 2, padding: 2}\n", 3, 33,
                 "layer 1 (maxpool): pool padding 2 is more than half the window 2x2 (at most 1, 1); PyTorch refuses",
                 id="pool-padding"),
    pytest.param(HEAD + "  - avgpool: {size: [3, 5], padding: [1, 3]}\n", 3, 38,
                 "layer 1 (avgpool): pool padding (1, 1, 3, 3) is more than half the window 3x5 (at most 1, 2)",
                 id="pool-padding-width"),
    pytest.param(HEAD + "  - maxpool: {size: 3, stride: 2, padding: same, ceil: true}\n", 3, 56,
                 "layer 1 (maxpool): ceil goes with explicit padding only", id="ceil-with-same"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "column", "fragment"), SHAPES)
def test_shape_errors(tmp_path: Path, text: str, line: int, column: int, fragment: str) -> None:
    check(tmp_path, text, [(line, column, fragment)])


# the no-op table beside it: edges that look wrong but are what the frameworks do
VALID_EDGES = [
    # (6 - 3) / 2 rounds up to 2, so 3 windows; the last starts at 4 and hangs one past the input, as ceil_mode allows
    pytest.param("input: [6, 6, 3]\nlayers:\n  - maxpool: {size: 3, stride: 2, ceil: true}\n", id="ceil-last-window"),
    # a ceil pool's only window may be larger than the input: PyTorch gives a 1 x 1 output
    pytest.param("input: [2, 2, 3]\nlayers:\n  - maxpool: {size: 3, stride: 2, ceil: true}\n",
                 id="ceil-window-past-input"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, padding: 5}\n", id="conv-pads-more-than-half"),
    pytest.param(HEAD + "  - maxpool: {size: 3, padding: 1}\n", id="pool-pads-half"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 33, padding: 1}\n", id="kernel-fits-padded"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, bias: no}\n", id="no-is-a-boolean-where-one-belongs"),
    pytest.param(HEAD + "  - conv: {filters: 1_024, kernel: 3}\n", id="underscores-in-decimal"),
    pytest.param("\ufeff" + HEAD + "  - flatten\n", id="byte-order-mark"),
    pytest.param(HEAD.replace("\n", "\r\n") + "  - flatten\r\n", id="crlf"),
    pytest.param(HEAD + "  - conv: &c3 {filters: 8, kernel: 3, padding: same}\n  - conv: *c3\n", id="alias-reused"),
]  # fmt: skip


@pytest.mark.parametrize("text", VALID_EDGES)
def test_valid_edges_are_not_errors(tmp_path: Path, text: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8", newline="")
    result = summary(str(path))
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    assert "Traceback" not in result.stdout


# -- hostile input: tags that name Python objects, alias bombs, deep nesting, huge files ------------

HOSTILE = [
    pytest.param("input: !!python/object/apply:os.system ['touch PWNED']\nlayers: [flatten]\n", 1, 8,
                 "YAML tag !!python/object/apply:os.system is not allowed", id="python-object-apply"),
    pytest.param(HEAD + "  - !!python/object:cnncalc.spec.Flatten {kind: flatten}\n", 3, 5,
                 "YAML tag !!python/object:cnncalc.spec.Flatten is not allowed", id="python-object"),
    pytest.param("input: [32, 32, !!python/name:os.sep '']\nlayers: [flatten]\n", 1, 17,
                 "YAML tag !!python/name:os.sep is not allowed", id="python-name"),
    pytest.param("input: !!set {32, 3}\nlayers: [flatten]\n", 1, 8, "YAML tag !!set is not allowed", id="set"),
    pytest.param("input: [32, 32, 3]\nlayers: !layers [flatten]\n", 2, 9,
                 "YAML tag !layers is not allowed", id="custom-tag"),
    pytest.param("input: [32, 32, 3]\nlayers: &l [flatten, *l]\n", 2, 9,
                 "an alias refers to a value that contains it", id="recursive-alias"),
    pytest.param(alias_bomb(), 7, 5,
                 "aliases expand to more than 100,000 values: not an architecture spec", id="billion-laughs"),
    # the 200th `[` after "input: " (the document's mapping is the first level) opens level 201
    pytest.param(NESTED, 1, 7 + 200, "YAML nested more than 200 levels deep", id="nested-10000-deep"),
    pytest.param("input: " + "[" * 10_000 + "\n", 1, 7 + 200,
                 "YAML nested more than 200 levels deep", id="unclosed-10000-deep"),
    pytest.param(BASE_60, 3, 20,
                 "layer 1 (dense): units must be a positive integer, got 1:00:00:00:", id="long-base-60"),
    pytest.param(HEAD + "#" * MAX_SPEC_BYTES + "\n", None, None,
                 "larger than 256 KiB: not an architecture spec", id="over-256-kib"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "column", "fragment"), HOSTILE)
def test_hostile_input(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    parser: str,
    text: str,
    line: int | None,
    column: int | None,
    fragment: str,
) -> None:
    monkeypatch.chdir(tmp_path)  # where `touch PWNED` would leave its mark
    check(tmp_path, text, [(line, column, fragment)])
    assert not (tmp_path / "PWNED").exists()


def test_a_tagged_value_is_reported_and_nothing_else(tmp_path: Path) -> None:
    # a spec that names Python objects is not read further: every value behind the tag would fail too
    text = "input: [0, 32, 3]\nlayers:\n  - conv: !!python/object:x {}\n  - conv: {filters: 0, kernel: 3}\n"
    check(tmp_path, text, [(3, 11, "YAML tag !!python/object:x is not allowed")])


# -- several errors in one file: all of them, in file order ------------------------------------------


def test_every_error_is_reported_in_file_order(tmp_path: Path) -> None:
    text = (
        "layers:\n"  # 1
        "  - conv: {filters: 8, kernel: 3, strid: 2}\n"  # 2
        "  - conv2d: {filters: 8, kernel: 3}\n"  # 3
        "  - conv: {filters: '16', kernel: 0}\n"  # 4
        "  - maxpool: {size: 2, ceil: yes please}\n"  # 5
        "extra: 1\n"  # 6
        "input: [0, 32, 3]\n"  # 7
        "input: [32, 32, 3]\n"  # 8
    )
    check(
        tmp_path,
        text,
        [
            (2, 35, "layer 1 (conv): unknown option 'strid' (did you mean 'stride'?)"),
            (3, 5, "layer 2: unknown layer kind 'conv2d': cnncalc calls it `conv`"),
            (4, 21, "layer 3 (conv): filters must be a positive integer, got the string '16'"),
            (4, 35, "layer 3 (conv): kernel must be a positive integer, got 0"),
            (5, 30, "layer 4 (maxpool): ceil must be true or false, got the string 'yes please'"),
            (6, 1, "unknown top-level key 'extra'"),
            (7, 9, "input h must be a positive integer, got 0"),
            (8, 1, "duplicate key 'input' (first given on line 7)"),
        ],
    )


def test_every_shape_error_is_reported(tmp_path: Path) -> None:
    text = HEAD + (
        "  - conv: {filters: 8, kernel: 3, groups: 2}\n"  # 3: 3 channels
        "  - conv: {filters: 9, kernel: 3, groups: 2}\n"  # 4: 8 channels, 9 filters
        "  - dense: {units: 10}\n"  # 5: on 28 x 28 x 9
        "  - maxpool: {size: 2, padding: 2}\n"  # 6
    )
    check(
        tmp_path,
        text,
        [
            (3, 43, "layer 1 (conv): groups 2 must divide both the input channels (3) and the filters (8)"),
            (4, 43, "layer 2 (conv): groups 2 must divide both the input channels (8) and the filters (9)"),
            (5, 5, "layer 3 (dense): dense needs a 1 x 1 x n input, got 28 x 28 x 9"),
            (6, 33, "layer 4 (maxpool): pool padding 2 is more than half the window 2x2"),
        ],
    )


def test_both_missing_keys_are_reported(tmp_path: Path) -> None:
    check(tmp_path, "name: LeNet-5\n", [(1, 1, "missing `input`"), (1, 1, "missing `layers`")])


# -- files: missing, a directory, unreadable, not UTF-8, standard input -------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nowhere.yaml")
    assert_errors(summary(path), path, [(None, None, "no such file")])


def test_directory(tmp_path: Path) -> None:
    assert_errors(summary(str(tmp_path)), str(tmp_path), [(None, None, "is a directory, not a spec file")])


def test_path_through_a_file(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(HEAD + "  - flatten\n")
    path = str(tmp_path / "spec.yaml" / "more.yaml")
    assert_errors(summary(path), path, [(None, None, "cannot read: Not a directory")])


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # chmod 000 does not stop root, so the refusal is the operating system's, simulated
    path = tmp_path / "spec.yaml"
    path.write_text(HEAD + "  - flatten\n")

    def refuse(file: str, mode: str = "r") -> None:
        raise PermissionError(13, "Permission denied", file)

    monkeypatch.setattr("cnncalc.reading.open", refuse, raising=False)
    assert_errors(summary(str(path)), str(path), [(None, None, "permission denied")])


NOT_UTF8 = [
    pytest.param((HEAD + "name: café\n").encode("latin-1"), 3, 10, "not UTF-8 text: byte 0xe9 cannot be decoded",
                 id="latin-1"),
    # the column counts characters, as YAML's do: é is two bytes but one column
    pytest.param((HEAD + "name: é").encode() + b"\xff\n", 3, 8, "not UTF-8 text: byte 0xff", id="after-utf8"),
    pytest.param("input: [32, 32, 3]\n".encode("utf-16"), 1, 1, "not UTF-8 text: byte 0xff", id="utf-16"),
    pytest.param(b"\xef\xbb\xbfname: x\x80\n", 1, 8, "not UTF-8 text: byte 0x80", id="after-byte-order-mark"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "line", "column", "fragment"), NOT_UTF8)
def test_not_utf8(tmp_path: Path, data: bytes, line: int, column: int, fragment: str) -> None:
    check(tmp_path, data, [(line, column, fragment)])


# -- where cnncalc places a problem itself: lines and columns counted as YAML's marks count them ----------------

# YAML 1.1 ends a line at CR LF, CR, LF, NEL, LS or PS; PyYAML's own reader and libyaml both count so
LINE_ENDS = [
    pytest.param("\n", id="lf"),
    pytest.param("\r\n", id="crlf"),
    pytest.param("\r", id="cr"),
    pytest.param("\x85", id="nel"),
    pytest.param("\u2028", id="ls"),
    pytest.param("\u2029", id="ps"),
]


def spec_with(end: str, byte_order_mark: str = "\ufeff") -> str:
    # a byte-order mark inside a line: PyYAML's reader gives it no column, libyaml one (so cnncalc reads such a
    # text with PyYAML's parser only)
    lines = [
        f"name: a{byte_order_mark}b",
        "input: [8, 8, 3]",
        "layers:",
        "",
        "  - relu",
        "  - conv: {filters: 2, kernel: 1, name: café}",
    ]
    return end.join([*lines, ""])


@pytest.mark.parametrize("end", LINE_ENDS)
def test_position_is_where_yaml_puts_its_marks(end: str) -> None:
    # the marks of PyYAML's own parser, which every message follows
    text = spec_with(end)
    events = list(yaml.parse(text, Loader=yaml.SafeLoader))
    marks = [mark for event in events for mark in (event.start_mark, event.end_mark) if mark is not None]
    assert {mark.line for mark in marks} == {0, 1, 2, 4, 5, 6}  # every line but the empty one, and the end
    for mark in marks:
        assert position(text[: mark.index]) == (mark.line + 1, mark.column + 1), mark


@pytest.mark.parametrize("end", LINE_ENDS)
@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        pytest.param(b"\xe9", "not UTF-8 text: byte 0xe9 cannot be decoded", id="latin-1"),
        pytest.param(b"\x00", "YAML syntax: character U+0000 is not allowed in a YAML file", id="nul"),
        pytest.param(b"\x1b", "YAML syntax: character U+001B is not allowed in a YAML file", id="escape"),
    ],
)
@pytest.mark.parametrize("byte_order_mark", ["\ufeff", ""], ids=["byte-order-mark", "none"])
def test_a_bad_byte_or_character_is_where_yaml_would_put_it(
    tmp_path: Path, parser: str, end: str, byte_order_mark: str, bad: bytes, fragment: str
) -> None:
    # the é of `café` replaced: the place is YAML's mark of the name, 3 characters on
    text = spec_with(end, byte_order_mark)
    events = yaml.parse(text, Loader=yaml.SafeLoader)
    [mark] = [event.start_mark for event in events if getattr(event, "value", "") == "café"]
    assert mark is not None
    check(tmp_path, text.encode().replace("é".encode(), bad), [(mark.line + 1, mark.column + 1 + 3, fragment)])


STDIN = [
    pytest.param("input: [32, 32, 0]\nlayers: [flatten]\n",
                 [(1, 17, "input c must be a positive integer, got 0")], id="error"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, strid: 2}\n",
                 [(3, 35, "layer 1 (conv): unknown option 'strid' (did you mean 'stride'?)")], id="suggestion"),
    pytest.param("", [(None, None, "nothing on standard input")], id="empty"),
    pytest.param("\n", [(None, None, "empty spec")], id="blank"),
    pytest.param(b"name: caf\xe9\n", [(1, 10, "not UTF-8 text: byte 0xe9")], id="not-utf8"),
    pytest.param(HEAD + "\t- flatten\n", [(3, 1, "YAML does not allow tabs")], id="tab"),
]  # fmt: skip


@pytest.mark.parametrize(("stdin", "expected"), STDIN)
def test_standard_input(parser: str, stdin: str | bytes, expected: list[tuple[int | None, int | None, str]]) -> None:
    assert_errors(summary("-", stdin), "<stdin>", expected)


# -- the loader itself: each Diagnostic's fields ----------------------------------------------------


def diagnostics(text: str) -> list[Diagnostic]:
    with pytest.raises(SpecError) as caught:
        load(text)
    return caught.value.diagnostics


def test_diagnostic_of_a_bad_option() -> None:
    [found] = diagnostics(HEAD + "  - flatten\n  - conv: {filters: 8, kernel: 3, stride: 0}\n")
    message = "stride must be a positive integer, got 0"
    assert found == Diagnostic("error", "spec", message, Location(4, 43), layer="2", kind="conv")
    assert found.subject == "layer 2 (conv): stride must be a positive integer, got 0"
    assert found.format("net.yaml") == "net.yaml:4:43: error: layer 2 (conv): stride must be a positive integer, got 0"


def test_diagnostic_of_an_unknown_kind_has_the_index_and_no_kind() -> None:
    [found] = diagnostics(HEAD + "  - conv2d: {filters: 8}\n")
    assert (found.loc, found.layer, found.kind, found.code) == ((3, 5), "1", None, "spec")
    assert found.subject == "layer 1: unknown layer kind 'conv2d': cnncalc calls it `conv`"


def test_diagnostic_of_a_top_level_problem_has_no_layer() -> None:
    [found] = diagnostics("input: [32, 32, 3]\nlayers: [flatten]\nlayer: [relu]\n")
    assert (found.severity, found.code, found.loc, found.layer, found.kind) == ("error", "spec", (3, 1), None, None)


def test_diagnostic_of_a_syntax_error() -> None:
    [found] = diagnostics("input: [32, 32, 3\nlayers: [flatten]\n")
    assert (found.severity, found.code, found.loc, found.layer, found.kind) == ("error", "yaml", (2, 7), None, None)
    assert found.message.startswith("YAML syntax: ")


def test_diagnostics_of_tags_and_bombs_are_yaml_errors() -> None:
    [tag] = diagnostics("input: !!python/object/apply:os.system ['true']\nlayers: [flatten]\n")
    [bomb] = diagnostics(alias_bomb())
    assert (tag.code, tag.loc, bomb.code, bomb.loc) == ("yaml", (1, 8), "yaml", (7, 5))


def test_an_empty_spec_has_no_place() -> None:
    [found] = diagnostics("")
    assert (found.code, found.loc) == ("spec", None)
    assert found.format("net.yaml") == "net.yaml: error: empty spec: expected a mapping with `input` and `layers`"


def test_spec_error_carries_every_diagnostic_in_file_order() -> None:
    text = "layers:\n  - conv: {filters: 0, kernel: 3}\ninput: [32, 32, -1]\n"
    with pytest.raises(SpecError) as caught:
        load(text)
    assert [(d.loc, d.layer) for d in caught.value.diagnostics] == [((2, 21), "1"), ((3, 17), None)]
    assert str(caught.value) == (
        "layer 1 (conv): filters must be a positive integer, got 0; input c must be a positive integer, got -1"
    )


def test_read_errors_have_their_own_codes(tmp_path: Path) -> None:
    (tmp_path / "latin.yaml").write_bytes(b"name: caf\xe9\n")
    for path, code, loc in [
        (tmp_path / "nowhere.yaml", "read", None),
        (tmp_path, "read", None),
        (tmp_path / "latin.yaml", "encoding", (1, 10)),
    ]:
        with pytest.raises(SpecError) as caught:
            load_file(str(path))
        [found] = caught.value.diagnostics
        assert (found.code, found.loc, found.layer) == (code, loc, None)


def test_loaded_layers_remember_where_they_were_written() -> None:
    spec = load(HEAD + "  - conv: {filters: 8, kernel: 3}\n  - flatten\n")
    assert [(layer.kind, layer.loc) for layer in spec.layers] == [("conv", (3, 5)), ("flatten", (4, 5))]


# -- the real console script: no traceback, no hang, on the entry point users run ---------------------

CONSOLE = [
    pytest.param(None, None, None, "no such file", id="missing-file"),
    pytest.param(alias_bomb(), 7, 5, "aliases expand to more than 100,000 values", id="billion-laughs"),
    pytest.param(NESTED, 1, 7 + 200, "YAML nested more than 200 levels deep", id="nested-10000-deep"),
    pytest.param(BASE_60, 3, 20, "units must be a positive integer, got 1:00:00", id="long-base-60"),
    pytest.param("input: !!python/object/apply:os.system ['touch PWNED']\nlayers: [flatten]\n", 1, 8,
                 "YAML tag !!python/object/apply:os.system is not allowed", id="python-object-apply"),
    pytest.param(HEAD + "  - conv: {filters: " + "9" * 5000 + ", kernel: 3}\n", 3, 21,
                 "got a number of 5,000 digits", id="past-python-digit-limit"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "column", "fragment"), CONSOLE)
def test_console_script(tmp_path: Path, text: str | None, line: int | None, column: int | None, fragment: str) -> None:
    script = shutil.which("cnncalc")
    assert script, "the cnncalc console script is not installed: pip install -e ."
    path = tmp_path / "spec.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != "CNNCALC_DEBUG"}
    done = subprocess.run(
        [script, "summary", str(path)], capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env
    )
    assert "Traceback" not in done.stdout + done.stderr
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    [message] = done.stderr.splitlines()
    place = "" if line is None else f":{line}:{column}"
    assert re.match(rf"^{re.escape(str(path))}{place}: error: ", message), message
    assert fragment in message
    assert not (tmp_path / "PWNED").exists()
