"""Hypothesis profiles: every generated case reproduces, and a nightly-style run does ten times as many.

`default` (loaded here) runs each generated test with a seed taken from the test itself (`derandomize`) and no
example database, so two runs try the same cases and a failure reproduces anywhere; `thorough` runs ten times
as many (`python3 -m pytest --hypothesis-profile=thorough`). Tests that set their own count take it from the
profile: `settings(max_examples=n * settings.default.max_examples // 100)` is n in the default run and 10 n in
the thorough one. `--hypothesis-show-statistics` prints how many cases each test ran.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile(
    "default",
    max_examples=100,
    derandomize=True,  # the seed is a hash of the test: fixed, so a failure reproduces
    database=None,  # nothing carried over between runs: the same cases every time
    deadline=None,  # a forward pass or a subprocess has no fixed cost; time limits are the tests' own
    print_blob=True,
)
settings.register_profile("thorough", settings.get_profile("default"), max_examples=1_000)
settings.load_profile("default")  # `--hypothesis-profile` replaces it after this file is read
