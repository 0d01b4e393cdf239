"""Lifecycle and handoff: stage order, reachability, owners, exit/entry agreement, handoff SLAs,
recycling, and one story for a rejected lead."""

from . import handoffs, recycling, stages  # noqa: F401 - importing registers their rules
