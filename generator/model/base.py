"""What every model and entity shares: references to other entities, statuses, review dates."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator


class Ref:
    """Marks a field as the id of another entity of ``kind``."""

    def __init__(self, kind: str):
        self.kind = kind

    def __repr__(self) -> str:
        return f"Ref({self.kind!r})"


TeamRef = Annotated[str, Ref("team")]
RoleRef = Annotated[str, Ref("role")]
PersonaRef = Annotated[str, Ref("persona")]
StageRef = Annotated[str, Ref("stage")]
NurtureRef = Annotated[str, Ref("nurture")]
PropositionRef = Annotated[str, Ref("proposition")]
CommitmentRef = Annotated[str, Ref("commitment")]
GoalRef = Annotated[str, Ref("goal")]

Status = Literal["draft", "approved", "deprecated"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              populate_by_name=True, arbitrary_types_allowed=True)


# The longest review interval (100 years) and the latest last_reviewed date: whatever interval
# applies, the next review date is still a day of the calendar (which ends in 9999).
MAX_REVIEW_EVERY_DAYS = 36500
LATEST_REVIEWED = dt.date(9899, 12, 31)


def review_due(last_reviewed: dt.date | None, days: int | None) -> dt.date | None:
    """The day the next review falls due, ``days`` after ``last_reviewed``; None when either is
    missing or the day would fall beyond the end of the calendar."""
    if last_reviewed is None or not days:
        return None
    try:
        return last_reviewed + dt.timedelta(days=days)
    except (OverflowError, ValueError):
        return None


class Entity(Model):
    """What every entity carries: id, name, owner and its review state."""

    id: str = Field(description="Stable identifier: lowercase letters, digits and hyphens.")
    name: str
    owner: TeamRef | None = Field(None, description="The team that owns and reviews this.")
    status: Status = "approved"
    last_reviewed: dt.date | None = None
    review_every_days: int | None = Field(None, gt=0, le=MAX_REVIEW_EVERY_DAYS,
                                          description="Days between reviews, at most 36500 (100 years).")
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list, description="Other words people use for it (\"refund\" for a "
                               "billing procedure): shown as \"Also called\" on its page, and the site's search "
                               "finds it by them.")

    _raw: Any = PrivateAttr(None)
    _file: str = PrivateAttr("")
    _base: tuple = PrivateAttr(())

    KIND: ClassVar[str] = ""

    @field_validator("last_reviewed")
    @classmethod
    def _reviewed_in_range(cls, value):
        if value is not None and value > LATEST_REVIEWED:
            raise ValueError(f"is {value.isoformat()}, too far in the future to plan the next review; "
                             "write the day it was last reviewed")
        return value

    def review_every(self, default_days: int | None) -> int | None:
        """Days between reviews: the entity's own interval, else the playbook's default."""
        return self.review_every_days or default_days

    def review_due(self, default_days: int | None) -> dt.date | None:
        """The day the entity's next review falls due (None: never reviewed, or no interval)."""
        return review_due(self.last_reviewed, self.review_every(default_days))
