"""`cnncalc schema`: the JSON Schema of the spec format, for editors that complete and check specs as they are
typed, or of every command's JSON documents, for the scripts that read them."""

from __future__ import annotations

import click

from ..cli import Command


@click.command(cls=Command, epilog="Example: cnncalc schema > spec.schema.json")
@click.argument("document", type=click.Choice(["spec", "report"]), default="spec")
def schema(document: str) -> None:
    """Print the JSON Schema (draft 2020-12) of the spec format, for editors; or, with `report`, of the documents
    every command's `--format json` prints (`cnncalc schema report > report.schema.json`).

    Both are generated from the definitions cnncalc reads specs and writes reports with, so they know every layer
    kind and option of this version. With VS Code's YAML extension, a spec whose first line is
    `# yaml-language-server: $schema=spec.schema.json` completes and checks itself as it is typed. The report's
    schema pins its `schema_version` (3: every document names its kind in `document`). Both ship in the package too, as
    cnncalc/spec.schema.json and cnncalc/report.schema.json.
    """
    if document == "report":
        from ..report_schema import schema_text
    else:
        from ..schema import schema_text

    click.echo(schema_text(), nl=False)
