"""Freshness policies, as assets declare them (their evaluation: :mod:`assets_core.reports.freshness`).

    >>> policy = Freshness(warn_after="26h", error_after="2d", deadline="09:00")
    >>> policy.error_after
    datetime.timedelta(days=2)
    >>> Freshness(max_lag="26h").error_after    # max_lag is error_after
    datetime.timedelta(days=1, seconds=7200)

A SQL file's header or a TOML table gives the same options as a dict:
``freshness = { warn_after = "2h", error_after = "6h", timestamp_column = "loaded_at" }``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import Field, StrictBool, field_validator, model_validator
from pydantic_core import PydanticCustomError

from assets_core.definitions.schema import POLICY_ERROR, OptionsModel
from assets_core.errors import DefinitionError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_DURATION_HELP = "write a duration like '90m', '26h' or '2d'"


def parse_duration(value: str | timedelta | float) -> timedelta:
    """``"90m"``, ``"26h"``, ``"2d"``, seconds as a number, or a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match:
        raise DefinitionError([f"Duration {value!r} is not understood: write it like '90m', '26h' or '2d'."])
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def deadline_cron(deadline: str) -> str:
    """The cron expression of a deadline: ``"09:00"`` is ``"0 9 * * *"``; a cron expression
    is itself.

    >>> deadline_cron("09:30"), deadline_cron("0 6 * * 1-5")
    ('30 9 * * *', '0 6 * * 1-5')
    """
    match = _CLOCK.match(deadline.strip())
    if match:
        return f"{int(match.group(2))} {int(match.group(1))} * * *"
    return deadline.strip()


class Freshness(OptionsModel):
    """A promise about how far behind an asset's data may be (see the README's "Freshness").

    - ``warn_after`` / ``error_after`` (``max_lag`` is ``error_after``): for a time-partitioned
      asset, how far the newest published window may trail the newest window that is due (with
      a ``deadline``: how long the oldest due partition may stay missing past its deadline);
      for any other asset (and a source), the age of the last publish (of the last change).
    - ``deadline``: each time partition must be published by ``"HH:MM"`` (the first such time
      at or after its window ends, in the definition's time zone) or by the first fire of a
      cron expression at or after its end. Without warn/error durations, missing past the
      deadline is an error.
    - ``timestamp_column``: judge the data itself, by the newest value of this column in each
      published partition (recorded at validate time); ``allow_empty``: an empty partition
      counts as fresh (it does not by default).
    """

    warn_after: timedelta | None = Field(default=None, description=_DURATION_HELP)
    error_after: timedelta | None = Field(default=None, description=_DURATION_HELP)
    max_lag: timedelta | None = Field(default=None, description=_DURATION_HELP)
    """The policy's first option: it means ``error_after``."""
    deadline: str | None = Field(default=None, description="give 'HH:MM' or a cron expression such as '0 9 * * *'")
    timestamp_column: str | None = Field(default=None, description="give the name of a timestamp column")
    allow_empty: StrictBool = Field(default=False, description="give true or false")

    if TYPE_CHECKING:

        def __init__(
            self,
            max_lag: str | timedelta | float | None = None,
            *,
            warn_after: str | timedelta | float | None = None,
            error_after: str | timedelta | float | None = None,
            deadline: str | None = None,
            timestamp_column: str | None = None,
            allow_empty: bool = False,
        ) -> None: ...

    else:

        def __init__(self, *max_lag: Any, **values: Any) -> None:
            """``Freshness("26h")`` as well as ``Freshness(max_lag="26h")``."""
            super().__init__(**dict(zip(("max_lag",), max_lag)), **values)

        __init__.__pydantic_base_init__ = True  # see OptionsModel

    @field_validator("warn_after", "error_after", "max_lag", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta | None:
        if value is None:
            return None
        try:
            duration = parse_duration(value)
        except (DefinitionError, TypeError):
            raise ValueError(_DURATION_HELP) from None
        if duration < timedelta(0):
            raise ValueError(_DURATION_HELP)
        return duration

    @field_validator("deadline")
    @classmethod
    def _deadline(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from cronsim import CronSim, CronSimError

        if not _CLOCK.match(value.strip()) and ":" in value:
            raise ValueError(f"{value!r} is not a time of day: write 'HH:MM' such as '09:00', or a cron expression")
        try:
            CronSim(deadline_cron(value), _EPOCH)
        except CronSimError as exc:
            raise ValueError(f"{value!r} is neither 'HH:MM' nor a cron expression ({exc})") from None
        return value.strip()

    @model_validator(mode="before")
    @classmethod
    def _max_lag_is_error_after(cls, values: Any) -> Any:
        """Either one given sets both, so ``Freshness(max_lag=x) == Freshness(error_after=x)``."""
        if isinstance(values, dict) and (values.get("max_lag") is None) != (values.get("error_after") is None):
            given = values.get("max_lag", values.get("error_after"))
            try:
                parse_duration(given)  # type: ignore[arg-type]
            except (DefinitionError, TypeError, AttributeError):
                return values  # one message, on the option given
            values = {**values, "max_lag": given, "error_after": given}
        return values

    @model_validator(mode="after")
    def _consistent(self) -> Freshness:
        if self.max_lag != self.error_after:
            raise PydanticCustomError(POLICY_ERROR, "max_lag means error_after: give one of them")
        if self.warn_after is None and self.error_after is None and self.deadline is None:
            raise PydanticCustomError(POLICY_ERROR, "a freshness policy needs warn_after, error_after (max_lag) or deadline")
        if self.warn_after is not None and self.error_after is not None and self.warn_after > self.error_after:
            raise PydanticCustomError(POLICY_ERROR, "warn_after is longer than error_after: warn first, then error")
        return self

    @property
    def error_threshold(self) -> timedelta | None:
        """The lag past which the asset is in error: ``error_after``, or 0 with only a deadline."""
        if self.error_after is not None:
            return self.error_after
        return timedelta(0) if self.warn_after is None else None

    def to_dict(self) -> dict[str, Any]:
        """The policy as the manifest and ``describe --json`` keep it (durations in seconds)."""
        seconds = {k: None if v is None else v.total_seconds()
                   for k, v in (("warn_after", self.warn_after), ("error_after", self.error_after))}
        return {**seconds, "deadline": self.deadline, "timestamp_column": self.timestamp_column,
                "allow_empty": self.allow_empty}

    @classmethod
    def from_dict(cls, value: dict[str, Any] | float) -> Freshness:
        """:meth:`to_dict` read back; a number is a manifest written before warn/error (max_lag)."""
        if isinstance(value, (int, float)):
            return cls(max_lag=value)
        return cls(**{k: v for k, v in value.items() if v is not None or k == "allow_empty"})


FreshnessPolicy = Freshness
"""The name of :class:`Freshness` before warn/error and deadlines."""


def policy_summary(policy: Freshness) -> str:
    """``warn 2h, error 6h, deadline 09:00, data time loaded_at``: the policy in a few words."""
    parts = [f"{what} {human_duration(value)}" for what, value in
             (("warn", policy.warn_after), ("error", policy.error_after)) if value is not None]
    if policy.deadline is not None:
        parts.append(f"deadline {policy.deadline}")
    if policy.timestamp_column is not None:
        parts.append(f"data time {policy.timestamp_column}" + (" (empty allowed)" if policy.allow_empty else ""))
    return ", ".join(parts)


def freshness_from(value: Freshness | dict[str, Any] | None) -> Freshness | None:
    if value is None or isinstance(value, Freshness):
        return value
    return Freshness(**value)


def human_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"
