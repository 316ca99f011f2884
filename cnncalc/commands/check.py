"""`cnncalc check`: do specs add up? For Makefiles, CI and pre-commit."""

from __future__ import annotations

import sys

import click

from ..cli import EXIT_FAILED, EXIT_INVALID, EXIT_OK, Command, CountType, FieldType, SpecArgument, VolumeType
from ..diagnostics import SpecError
from ..spec import Volume

FORMATS = ("text", "github", "junit", "json")


@click.command(
    cls=Command,
    add_help_option=True,
    epilog="Example: cnncalc check specs/ --max-params 150M --target pytorch",
)
@click.argument("paths", metavar="SPEC...", nargs=-1, required=True, cls=SpecArgument)
@click.option("--expect-output", type=VolumeType(), metavar="HxWxC", help="The final volume, e.g. 1x1x10.")
@click.option(
    "--expect-params", type=CountType(), help="The exact total of parameters, batchnorm's statistics in, e.g. 61706."
)
@click.option(
    "--expect-trainable-params", type=CountType(), help="The exact count of learned parameters, PyTorch's count."
)
@click.option("--expect-non-trainable-params", type=CountType(), help="The exact count of batchnorm's statistics.")
@click.option("--max-params", type=CountType(), help="At most this many parameters, e.g. 70k.")
@click.option("--max-macs", type=CountType(), help="At most this many multiply-accumulates, e.g. 1.2G.")
@click.option("--min-receptive-field", type=FieldType(), help="At least this field at the last layer, e.g. 32.")
@click.option("--target", type=click.Choice(["pytorch", "keras"]), help="Also check the framework can build it.")
@click.option("--strict", is_flag=True, help="Warnings fail the check too.")
@click.option(
    "--input",
    "input_volume",
    type=VolumeType(),
    metavar="HxWxC",
    help="Check at another input volume, e.g. 384x384x3.",
)
@click.option(
    "--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
    help="github: workflow annotations for GitHub Actions; junit: JUnit XML for test reporters; json: one document.",
)  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="Print nothing at all on success (but junit's or json's report).")
@click.option("-v", "--verbose", is_flag=True, help="Print notes too.")
def check(
    paths: tuple[str, ...],
    expect_output: Volume | None,
    expect_params: int | None,
    expect_trainable_params: int | None,
    expect_non_trainable_params: int | None,
    max_params: int | None,
    max_macs: int | None,
    min_receptive_field: tuple[int, int] | None,
    target: str | None,
    strict: bool,
    input_volume: Volume | None,
    output_format: str,
    quiet: bool,
    verbose: bool,
) -> None:
    """Check that specs add up: their `expect:` entries, and the limits given here (which win).

    SPEC may be a file, a directory (its *.yaml and *.yml files), example:NAME for an example that ships with
    cnncalc, or - for standard input. Each failure prints as
    FILE:LINE:COL: error: ...; on success only a closing count. With --format junit or json, a report on
    standard output instead of the count, every spec in it, an invalid one too; the failures still on standard
    error. Exit codes: 0 all hold, 1 a check failed, 2 a spec could not be read or is invalid.
    """
    from ..check import Judged, checked, expectations
    from ..output import write_stdout
    from ..pipeline import Source, analyse_file, display_name, spec_files
    from ..reading import STDIN
    from ..rows import MAX_ROWS
    from ..spec import Expectation
    from ..terminal import painted, say

    given = {
        "output": expect_output,
        "params": expect_params,
        "trainable_params": expect_trainable_params,
        "non_trainable_params": expect_non_trainable_params,
        "max_params": max_params,
        "max_macs": max_macs,
        "receptive_field": min_receptive_field,
    }
    overrides = [Expectation(key, value) for key, value in given.items() if value is not None]
    if paths.count(STDIN) > 1:
        raise click.UsageError("standard input (-) is named more than once: it can be read once")
    worst, judged, lines = EXIT_OK, [], []
    for source in spec_files(paths):
        if not isinstance(source, Source):  # a path that gives no spec, and why
            shown, found, status = display_name(source[0]), source[1].diagnostics, EXIT_INVALID
            judged.append(Judged(shown, "invalid", None, None, tuple(found)))
        else:
            shown = source.shown
            try:
                spec, report = analyse_file(source, input_volume, max_rows=MAX_ROWS)
            except SpecError as exc:
                found, status = exc.diagnostics, EXIT_INVALID
                judged.append(Judged(shown, "invalid", None, None, tuple(found)))
            else:
                parts = checked(spec, report, expectations(spec, overrides), target)
                found = parts.diagnostics
                failing = {"error", "warning"} if strict else {"error"}
                status = EXIT_FAILED if any(d.severity in failing for d in found) else EXIT_OK
                judged.append(Judged(shown, "failed" if status else "passed", report.input, parts))
        worst = max(worst, status)
        lines += [
            d.annotation(shown) if output_format == "github" else painted(d, shown, sys.stderr)
            for d in found
            if verbose or d.severity != "note"
        ]
    failed = sum(spec.status != "passed" for spec in judged)
    if output_format in ("junit", "json"):  # a document for a CI system to read; what failed on standard error too
        from ..check_report import json_document, junit

        if worst != EXIT_OK or not quiet:
            for line in lines:
                click.echo(line, err=True)
        document = (junit if output_format == "junit" else json_document)(judged, target, strict)
        write_stdout(document.encode("utf-8"))
        raise SystemExit(worst)
    if quiet and worst == EXIT_OK:
        raise SystemExit(EXIT_OK)
    if output_format == "github":  # workflow commands, which GitHub reads as UTF-8 whatever the terminal's encoding
        write_stdout("".join(f"{line}\n" for line in lines).encode("utf-8"))
    else:
        for line in lines:
            say(line, err=True)
    click.echo(f"{len(judged)} spec{'' if len(judged) == 1 else 's'} checked, {failed} failed")
    raise SystemExit(worst)
