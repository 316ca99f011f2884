"""Nothing but the spec: no spec may make cnncalc open, write or run anything else.

In-process, the audit hook (`fuzzing.watched`) records every file opened and refuses writes and new processes; the
console script runs in a directory whose listing must not change, on specs that try `os.system`, `open`, `Popen`,
`eval`, `%TAG` tricks, `!include` and paths as values; `-o` writes only the file named.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzzing import (
    _RUNNER,
    HEAD,
    INVOCATIONS,
    Access,
    Invocation,
    assert_ends_well,
    exercise,
    foreign,
    listing,
    run_console_script,
    watched,
)

from cnncalc.cli import main

REACHING_OUT = {
    "os-system": "input: !!python/object/apply:os.system ['touch PWNED']\nlayers: [relu]\n",
    "open-for-writing": "name: !!python/object/apply:builtins.open ['PWNED', 'w']\n" + HEAD + "  - relu\n",
    "popen": "input: !!python/object/new:subprocess.Popen [['touch', 'PWNED']]\nlayers: [relu]\n",
    "eval": "input: !!python/object/apply:builtins.eval [\"open('PWNED', 'w')\"]\nlayers: [relu]\n",
    "tag-directive": "%TAG !p! tag:yaml.org,2002:python/object/apply:\n---\ninput: !p!os.system [touch PWNED]\n"
    "layers: [relu]\n",
    "include": "input: [8, 8, 3]\nlayers: !include secret.yaml\n",
    "paths-as-values": "name: secret.yaml\ndescription: ../secret.yaml\ninput: [8, 8, 3]\nlayers:\n"
    "  - conv: {filters: 8, kernel: 1, name: /etc/passwd}\n  - relu: {name: secret.yaml}\n",
    "paths-as-layers": "input: [8, 8, 3]\nlayers: secret.yaml\n",
    "a-path-for-a-layer": "input: [8, 8, 3]\nlayers: [secret.yaml, ./secret.yaml, /etc/passwd, vgg16]\n",
    "a-path-for-the-input": "input: secret.yaml\nlayers: [relu]\n",
    "an-example-for-a-layer": "input: [8, 8, 3]\nlayers: [{repeat: {times: 2, layers: vgg16}}]\n",
    "file-urls": "input: [8, 8, 3]\nlayers: [relu]\nname: file:///etc/passwd\nexpect: {params: file:///etc/passwd}\n",
    "shell-in-values": "input: [8, 8, 3]\nlayers: [{relu: {name: '$(touch PWNED)'}}, {tanh: {name: '`rm x`'}}]\n",
}


@pytest.mark.parametrize("invocation", INVOCATIONS, ids=lambda invocation: "-".join(invocation.argv))
@pytest.mark.parametrize("name", list(REACHING_OUT))
def test_a_spec_cannot_make_cnncalc_touch_anything_else(tmp_path: Path, name: str, invocation: Invocation) -> None:
    # in-process, the audit hook sees every file opened and refuses writes and new processes; only the spec is read
    (tmp_path / "secret.yaml").write_text(HEAD + "  - relu\n")
    exercise(tmp_path, REACHING_OUT[name].encode(), invocation)
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("name", list(REACHING_OUT))
def test_a_spec_cannot_make_the_console_script_touch_anything_else(tmp_path: Path, name: str) -> None:
    (tmp_path / "secret.yaml").write_text(HEAD + "  - relu\n")
    (tmp_path / "spec.yaml").write_text(REACHING_OUT[name])
    before = listing(tmp_path)
    for argv in (["summary", "spec.yaml"], ["convert", "spec.yaml", "--to", "conv"], ["export", "spec.yaml"]):
        outcome = run_console_script(argv, tmp_path)
        assert_ends_well(Invocation(tuple(a for a in argv if a != "spec.yaml")), outcome, "spec.yaml",
                         REACHING_OUT[name].encode())  # fmt: skip
        assert listing(tmp_path) == before, argv
    assert not (tmp_path / "PWNED").exists()


def test_the_watch_sees_what_a_run_opens(tmp_path: Path) -> None:
    # the audit hook the in-process tests rely on: it records the spec read, tells another file from it, and
    # refuses a write
    path, other = tmp_path / "spec.yaml", tmp_path / "other.yaml"
    for spec in (path, other):
        spec.write_text(HEAD + "  - relu\n")
    with watched() as accesses, _RUNNER.isolation():
        assert main(["summary", str(path)]) == 0
    assert Access("open", str(path)) in accesses
    assert foreign(accesses, {str(path.resolve())}) == []
    with watched() as accesses:
        other.read_text()
    assert foreign(accesses, {str(path.resolve())}) == [Access("open", str(other))]
    with watched() as accesses, pytest.raises(PermissionError):
        open(tmp_path / "written.txt", "w")
    assert accesses == [Access("write", str(tmp_path / "written.txt"))]
    assert not (tmp_path / "written.txt").exists()


@pytest.mark.parametrize(
    ("argv", "written"),
    [
        pytest.param(["convert", "spec.yaml", "--to", "conv", "-o", "out.yaml"], "out.yaml", id="convert"),
        pytest.param(["export", "spec.yaml", "-o", "net.py"], "net.py", id="export"),
        pytest.param(["draw", "spec.yaml", "-o", "net.svg"], "net.svg", id="draw"),
    ],
)
def test_output_goes_only_where_asked(tmp_path: Path, argv: list[str], written: str) -> None:
    (tmp_path / "spec.yaml").write_text(
        HEAD + "  - conv: {filters: 4, kernel: 3}\n  - flatten\n  - dense: {units: 2}\n"
    )
    before = listing(tmp_path)
    outcome = run_console_script(argv, tmp_path)
    assert outcome.code == 0, outcome.stderr
    assert set(listing(tmp_path)) - set(before) == {written}
    assert {k: v for k, v in listing(tmp_path).items() if k != written} == before
