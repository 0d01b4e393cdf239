"""What a promise measures, and which way is "more" for the client.

A metric has a name, a kind (duration, cadence, count, money, percentage, set, yes/no) and a
direction. The catalogue below holds the common ones; a playbook adds or overrides metrics in
its own ``metrics:`` section. Every expectation, acceptable answer, claim, remedy and campaign
promise is compared with the commitment of its metric through that metric's kind and direction:
a 60-day trial claim exceeds a 30-day trial commitment (longer is more), and so does a
30-minute reply against a one-hour reply commitment (shorter is more).

Values are read as people write them ("same day", "next business day", "forever", "$750",
"99.9%", "24/7"); :func:`read` returns the measured value or a sentence saying what is
expected instead.
"""

from __future__ import annotations

from .catalogue import (ALL_DIRECTIONS, BETTER_WORDS, CATALOGUE, DIRECTIONS, EXPECTED, KIND_WORDS, KINDS, Metric,
                        describe_direction, registry)
from .compare import DURATION_TOLERANCE, asks_more, exceeds
from .prose import PROSE_DISTANCE, ProsePromise, read_prose, read_values
from .values import SAME_DAY, Measured, Unreadable, read

__all__ = ["ALL_DIRECTIONS", "BETTER_WORDS", "CATALOGUE", "DIRECTIONS", "DURATION_TOLERANCE", "EXPECTED",
           "KIND_WORDS", "KINDS", "PROSE_DISTANCE", "SAME_DAY", "Measured", "Metric", "ProsePromise", "Unreadable",
           "asks_more", "describe_direction", "exceeds", "read", "read_prose", "read_values", "registry"]
