"""Counts written for people: `61706`, `61_706`, `61,706`, `70k`, `1.2G`, read as exact integers."""

from __future__ import annotations

import re

SUFFIXES = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
# compiled at first use (re keeps it): most runs read no count
MAX_DIGITS = 4_000  # below Python's 4,300-digit limit on int(text)
COUNT_PATTERN = r"\s*([0-9][0-9_,]*(?:\.[0-9]+)?)\s*([kKMGT]?)\s*"


def parse_count(text: str) -> int:
    """`1.2G` -> 1_200_000_000; ValueError for anything else, or for a fraction of one (`1.5`)."""
    match = re.fullmatch(COUNT_PATTERN, text)
    if not match:
        raise ValueError(f"{text!r} is not a count: write it as 61706, 70k, 1.2M or 3G")
    from fractions import Fraction  # only where a count is written as text: an import worth a millisecond

    number, suffix = match.groups()
    if len(number) > MAX_DIGITS:  # past Python's own limit on converting text, and any count a network has
        raise ValueError(f"a count of {len(number):,} digits is more than cnncalc reads (at most {MAX_DIGITS:,})")
    value = Fraction(number.replace("_", "").replace(",", "")) * SUFFIXES[suffix]
    if value.denominator != 1:
        raise ValueError(f"{text!r} is not a whole number")
    return int(value)
