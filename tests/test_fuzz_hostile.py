"""Hostile files: alias bombs, deep nesting, other encodings, huge numbers, Python tags, huge names, 50 MB.

Each file goes through every entry of INVOCATIONS in-process, and through the real console script, bounded in time
and address space (`fuzzing.SECONDS`, `fuzzing.MEMORY`), in a directory that must stay as it was; the 50 MB file
from a path and on standard input. Each run must end in located errors or a result, never a fault.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzzing import (
    HEAD,
    INVOCATIONS,
    Invocation,
    assert_ends_well,
    exercise,
    listing,
    run_console_script,
    run_in_process,
)


def alias_bomb(levels: int = 9) -> str:
    """A "billion laughs": each anchor a list of nine aliases of the one before, 9**9 layers expanded."""
    lines = [HEAD.splitlines()[0], "a0: &a0 [relu, relu, relu, relu, relu, relu, relu, relu, relu]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join([*lines, f"layers: *a{levels}"]) + "\n"


HOSTILE: dict[str, bytes] = {
    "empty": b"",
    "blank": b"\n \n\t\n",
    "comment-only": b"# input: [8, 8, 3]\n",
    "byte-order-mark-only": b"\xef\xbb\xbf",
    "billion-laughs": alias_bomb().encode(),
    "billion-laughs-in-options": (
        HEAD
        + "  - conv: &c {filters: 8, kernel: 3}\n"
        + "".join("  - {repeat: {times: 1000, layers: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]}}\n" for _ in range(200))
    ).encode(),
    "alias-to-itself": b"input: &i [8, 8, *i]\nlayers: [relu]\n",
    "alias-undefined": (HEAD + "  - *nowhere\n").encode(),
    "nested-lists-10000": ("input: " + "[" * 10_000 + "]" * 10_000 + "\nlayers: [relu]\n").encode(),
    "nested-mappings-10000": ("input: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\nlayers: [relu]\n").encode(),
    "nested-block-lists-10000": (HEAD + "  " + "- " * 10_000 + "relu\n").encode(),
    "nested-indented-300": (HEAD + "".join("  " * i + "- a:\n" for i in range(1, 300))).encode(),
    "tab-indented": b"input: [8, 8, 3]\nlayers:\n\t- relu\n",
    "tabs-in-flow": b"input:\t[8,\t8,\t3]\nlayers:\t[relu]\n",
    "latin-1": "name: café\ninput: [8, 8, 3]\nlayers: [relu]\n".encode("latin-1"),
    "utf-16": "input: [8, 8, 3]\nlayers: [relu]\n".encode("utf-16"),
    "utf-32": "input: [8, 8, 3]\nlayers: [relu]\n".encode("utf-32"),
    "overlong-slash": b"name: \xc0\xaf\n" + HEAD.encode() + b"  - relu\n",
    "encoded-surrogate": b"name: \xed\xa0\x80\n" + HEAD.encode() + b"  - relu\n",
    "past-unicode": b"name: \xf4\x90\x80\x80\n" + HEAD.encode() + b"  - relu\n",
    "nul": (HEAD + "  - relu\x00\n").encode(),
    "escape-character": (HEAD + "  - relu\x1b[2J\n").encode(),
    "ten-to-the-30": (HEAD + f"  - conv: {{filters: {10**30}, kernel: 3}}\n").encode(),
    "minus-ten-to-the-30": (HEAD + f"  - conv: {{filters: 8, kernel: {-(10**30)}}}\n").encode(),
    "int-of-100000-digits": (HEAD + "  - dense: {units: " + "7" * 100_000 + "}\n").encode(),
    "float-of-100000-digits": (HEAD + "  - dropout: {rate: 0." + "3" * 100_000 + "}\n").encode(),
    "base-60-of-80000-places": (HEAD + "  - dense: {units: 1" + ":00" * 80_000 + "}\n").encode(),
    "octal-hex-binary": (HEAD + "  - conv: {filters: 010, kernel: 0x3, stride: 0b1}\n").encode(),
    "nan-inf": (HEAD + "  - conv: {filters: .nan, kernel: .inf, stride: -.inf}\n  - dropout: {rate: .NaN}\n").encode(),
    "booleans-everywhere": b"input: [yes, no, on]\nlayers: [true, {conv: {filters: off, kernel: y, bias: 1}}]\n",
    "nulls-everywhere": b"input: [~, null, ]\nlayers: [~, {conv: ~}, {~: ~}]\nname: ~\n",
    "negative-everything": (
        HEAD + "  - conv: {filters: -8, kernel: -3, stride: -1, padding: -1, dilation: -2}\n"
        "  - maxpool: {size: [-2, 2], padding: [-1, 0, 0, 0]}\n"
    ).encode(),
    "floats-everywhere": (HEAD + "  - conv: {filters: 8.0, kernel: 3.5, stride: 1e0, padding: 0.0}\n").encode(),
    "keys-swapped": (HEAD + "  - {filters: conv, kernel: 3}\n  - {8: conv}\n").encode(),
    "keys-misspelt": (HEAD + "  - Conv: {filter: 8, kernal: 3, strides: 2, pading: same}\n").encode(),
    "keys-dropped": b"layers:\n  - conv: {kernel: 3}\n  - maxpool: {}\n  - dense\n",
    "duplicate-keys": (HEAD + "  - conv: {filters: 8, filters: 9, kernel: 3, kernel: 3}\ninput: [9, 9, 9]\n").encode(),
    "merge-keys": b"base: &b {filters: 8, kernel: 3}\n" + HEAD.encode() + b"  - conv: {<<: *b}\n",
    "complex-keys": (HEAD + "  - {? [conv, pool] : {filters: 8}}\n").encode(),
    "two-documents": (HEAD + "  - relu\n---\n" + HEAD + "  - relu\n").encode(),
    "directives": b"%YAML 1.1\n%TAG !e! tag:example.com,2000:\n---\ninput: !e!volume [8, 8, 3]\nlayers: [relu]\n",
    "python-object-apply": b"input: !!python/object/apply:os.system ['touch PWNED']\nlayers: [relu]\n",
    "python-name": b"input: [8, 8, 3]\nlayers: [!!python/name:os.system relu]\n",
    "binary-set-omap": b"input: !!binary AAAA\nlayers: !!set {relu: null}\nexpect: !!omap [params: 1]\n",
    "include-tag": b"input: [8, 8, 3]\nlayers: !include other.yaml\n",
    "every-repeat-at-the-limit": (
        HEAD + "  - repeat: {times: 1000, layers: [{repeat: {times: 1000, layers: [relu]}}]}\n"
    ).encode(),
    "repeat-past-the-limit": (HEAD + "  - repeat: {times: 2147483647, layers: [relu]}\n").encode(),
    "long-name": (HEAD + "  - relu: {name: " + "x" * 1_000_000 + "}\n").encode(),
    "long-unknown-kind": (HEAD + "  - " + "conv" * 250_000 + "\n").encode(),
    "many-errors": (HEAD + "  - relu\n" + "".join(f"unknown{i}: 1\n" for i in range(5_000))).encode(),
    "expect-of-every-kind": (
        HEAD + "  - relu\nexpect: {output: 1x1x10, params: 1.5, max_macs: 10**30, "
        "receptive_field: [1, 2, 3], trainable_params: -1, max_params: 70kk}\n"
    ).encode(),
    "sizes-at-int32": (
        b"input: [2147483647, 2147483647, 2147483647]\nlayers:\n  - conv: {filters: 2147483647, kernel: 1}\n"
        b"  - maxpool: {size: 2147483647, padding: same}\n  - flatten\n  - dense: {units: 2147483647}\n"
    ),
    "kernel-past-int32-products": (
        b"input: [2147483647, 2147483647, 1]\nlayers:\n  - conv: {filters: 1, kernel: 2147483647, "
        b"dilation: 2147483647, padding: same, stride: 2147483647}\n"
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files(tmp_path: Path, name: str) -> None:
    for invocation in INVOCATIONS:
        # a million rows are drawn in minutes, not seconds: test_the_largest_network_a_spec_may_make_is_seconds_...
        if name == "every-repeat-at-the-limit" and not {"--depth", "check", "convert"} & set(invocation.argv):
            continue
        exercise(tmp_path, HOSTILE[name], invocation)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files_through_the_console_script(tmp_path: Path, name: str) -> None:
    (tmp_path / "spec.yaml").write_bytes(HOSTILE[name])
    before = listing(tmp_path)
    argv = ["summary", "spec.yaml", "--depth", "0"]
    assert_ends_well(Invocation(tuple(argv[:1])), run_console_script(argv, tmp_path), "spec.yaml", HOSTILE[name])
    assert listing(tmp_path) == before
    assert not (tmp_path / "PWNED").exists()


FIFTY_MB = 50 * 2**20


@pytest.fixture(scope="module")
def fifty_megabytes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 50 MB spec: a valid start, then layer after layer."""
    path = tmp_path_factory.mktemp("large") / "large.yaml"
    with path.open("wb") as stream:
        stream.write(HEAD.encode())
        line = b"  - conv: {filters: 8, kernel: 3, padding: same}\n"
        stream.write(line * (FIFTY_MB // len(line) + 1))
    return path


@pytest.mark.parametrize("stdin", [False, True], ids=["file", "stdin"])
def test_a_file_of_50_megabytes(fifty_megabytes: Path, tmp_path: Path, stdin: bool) -> None:
    data = fifty_megabytes.read_bytes()
    for invocation in INVOCATIONS:
        if stdin:
            outcome = run_in_process([*invocation.argv, "-"], stdin=data, allowed=set())
        else:
            outcome = run_in_process([*invocation.argv, str(fifty_megabytes)])
        name = "<stdin>" if stdin else str(fifty_megabytes)
        assert_ends_well(invocation, outcome, name, data)
        assert "larger than 256 KiB" in outcome.stderr + outcome.stdout
    outcome = run_console_script(["summary", "-" if stdin else str(fifty_megabytes)], tmp_path, data if stdin else None)
    assert_ends_well(INVOCATIONS[0], outcome, "<stdin>" if stdin else str(fifty_megabytes), data)
