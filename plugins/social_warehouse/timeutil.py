"""Days, windows and time zones: every load is about explicit days, never about `now()`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.UTC


@dataclass(frozen=True)
class Window:
    """An inclusive range of calendar days."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"window end {self.end} is before start {self.start}")

    @classmethod
    def ending(cls, day: dt.date, days: int) -> Window:
        return cls(day - dt.timedelta(days=max(days, 1) - 1), day)

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    def __str__(self) -> str:
        return f"{self.start}..{self.end}"


def parse_day(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"expected a day as YYYY-MM-DD, got {value!r}") from exc


def day_start(day: dt.date, tz: str = "UTC") -> dt.datetime:
    """The instant a calendar day starts in `tz`, as an aware UTC datetime."""
    local = dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC)


def local_day(instant: dt.datetime, tz: str = "UTC") -> dt.date:
    return instant.astimezone(ZoneInfo(tz)).date()


def parse_instant(value: str) -> dt.datetime:
    """Parse the ISO-ish timestamps the APIs send (`+0000`, `Z`, or naive = UTC)."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def day_end(day: dt.date, tz: str = "UTC") -> dt.datetime:
    """The instant a calendar day ends in `tz` (the next day's start), as an aware UTC datetime."""
    return day_start(day + dt.timedelta(days=1), tz)


def last_ended_day(now: dt.datetime, tz: str = "UTC") -> dt.date:
    """The latest calendar day that is over in `tz` at `now`."""
    return local_day(now, tz) - dt.timedelta(days=1)
