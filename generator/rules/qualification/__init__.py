"""Qualification and deal alignment: framework coverage and what we promise versus what we ask."""

from . import frameworks, promises  # noqa: F401 - importing registers their rules
