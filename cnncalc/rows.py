"""How many rows a report has, and how deep blocks may stay unfolded for the rows to fit: display policy, which
the pipeline applies before the engine computes anything."""

from __future__ import annotations

from collections.abc import Sequence

from .kinds import children, instances, repetitions
from .spec import Layer

# rows a report keeps unless asked for more (`--depth`): a longer table is read by no one, and slow to draw
MAX_ROWS = 10_000


def row_count(layers: Sequence[Layer], keep_depth: int | None = None, depth: int = 0) -> int:
    """How many rows a report of `layers` has, keeping the rows of blocks nested at most `keep_depth` deep."""
    if keep_depth is None:
        return instances(tuple(layers))  # every layer instance computed is a row
    rows = len(layers)
    if depth + 1 > keep_depth:
        return rows
    for layer in layers:
        rows += repetitions(layer) * sum(row_count(held, keep_depth, depth + 1) for _, held in children(layer))
    return rows


def fitting_depth(layers: Sequence[Layer], max_rows: int) -> int | None:
    """The deepest `keep_depth` at which a report of `layers` has at most `max_rows` rows: None where all of them
    fit, 0 where even the spec's own layers and blocks are more, None again where folding would not help."""
    rows = row_count(layers)
    if rows <= max_rows:
        return None
    depth = 0
    while row_count(layers, depth + 1) <= max_rows:
        depth += 1
    return depth if row_count(layers, depth) < rows else None
