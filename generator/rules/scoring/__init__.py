"""Scoring: thresholds that can be reached and are in order, caps, decay and negative signals,
and a scoring model that agrees with the personas."""

from . import thresholds, points, personas  # noqa: F401 - importing registers their rules
from .thresholds import max_scores  # noqa: F401 - the pages show the highest possible scores
