"""Exact numbers as text, for any size: no float stands between a count and what is printed of it.

A float overflows past about 1.8e308 (a concat doubling its channels 1,100 times gets there) and is not exact
past 2**53; these work on integers and fractions alone, and print what the float formats would for the numbers
a float holds exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # fractions imports decimal: 4 ms at every start, for the --explain path alone
    from fractions import Fraction


def decimal_places(denominator: int) -> int | None:
    """The fewest decimal places that write 1/denominator exactly, or None where none do (a factor not 2 or 5)."""
    twos = (denominator & -denominator).bit_length() - 1  # the trailing zero bits
    fives, rest = _multiplicity(denominator >> twos, 5)
    return max(twos, fives) if rest == 1 else None


def _multiplicity(number: int, factor: int) -> tuple[int, int]:
    """How many times `factor` divides `number`, and what is left.

    By factor, factor**2, factor**4 ...: a dozen divisions for 5**5000, not 5,000 of a 3,500-digit number.
    """
    if number % factor:
        return 0, number
    # number = factor * factor**(2 * times) * rest, and rest may hold factor once more
    times, rest = _multiplicity(number // factor, factor * factor)
    if rest % factor:
        return 2 * times + 1, rest
    return 2 * times + 2, rest // factor


def fixed(numerator: int, denominator: int, places: int) -> str:
    """`numerator / denominator` rounded half to even to `places` decimals, with thousands separators: `1,234.5`
    (as the `:,.1f` format writes a float)."""
    scaled, twice_left = divmod(numerator * 10**places, denominator)
    twice_left *= 2
    if twice_left > denominator or (twice_left == denominator and scaled % 2):
        scaled += 1
    sign = "-" if scaled < 0 else ""
    whole, part = divmod(abs(scaled), 10**places)
    return f"{sign}{whole:,}" + (f".{part:0{places}d}" if places else "")


def decimal(value: Fraction) -> str | None:
    """`value` written out in full with thousands separators where its decimals end (`54.25`), else None."""
    places = decimal_places(value.denominator)
    return None if places is None else fixed(value.numerator, value.denominator, places)


def significant(value: Fraction, digits: int = 4) -> str:
    """A positive `value` to `digits` significant figures, as the `,.4g` format writes it: `0.3333`, `1,234`,
    `1.235e+04`."""
    numerator, denominator = value.numerator, value.denominator
    exponent = len(str(numerator)) - len(str(denominator))  # the decimal exponent, or one more
    if numerator * 10 ** max(-exponent, 0) < denominator * 10 ** max(exponent, 0):
        exponent -= 1  # now 10**exponent <= value < 10**(exponent + 1)
    shift = digits - 1 - exponent  # value * 10**shift has `digits` figures before the point
    scaled = fixed(numerator * 10 ** max(shift, 0), denominator * 10 ** max(-shift, 0), 0).replace(",", "")
    mantissa = int(scaled)
    if mantissa == 10**digits:  # rounded up to the next power of ten
        mantissa, exponent = 10 ** (digits - 1), exponent + 1
    if -4 <= exponent < digits:
        text = fixed(
            mantissa * 10 ** max(exponent - digits + 1, 0),
            10 ** max(digits - 1 - exponent, 0),
            max(digits - 1 - exponent, 0),
        )
        return text.rstrip("0").rstrip(".") if "." in text else text
    head = str(mantissa)
    figures = f"{head[0]}.{head[1:]}".rstrip("0").rstrip(".")
    return f"{figures}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def halves(count: int, signed: bool = False) -> str:
    """`count` halves, exactly: `5`, `5.5`, `-0.5`; `signed`, with a sign always and thousands grouped
    (`+1,048,576`), as an offset is written."""
    whole, half = divmod(abs(count), 2)
    sign = "-" if count < 0 else "+" if signed else ""
    return sign + (f"{whole:,}" if signed else str(whole)) + (".5" if half else "")
