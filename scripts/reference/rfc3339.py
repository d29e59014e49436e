"""Event-time parsing and formatting for the reference implementation.

Instants are integer microseconds since the Unix epoch, UTC. Microseconds because
that is the precision the lake's timestamps and the golden example carry; finer input
digits are truncated (toward the past), never rounded.
"""

import datetime as _dt
import re

MICROS_PER_SECOND = 1_000_000
MICROS_PER_HOUR = 3600 * MICROS_PER_SECOND
MICROS_PER_DAY = 24 * MICROS_PER_HOUR

# EVENTS.md: occurred_at outside 1970–2200 is invalid. Read as whole years, in UTC:
# [1970-01-01T00:00:00Z, 2201-01-01T00:00:00Z).
EARLIEST_MICROS = 0
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
END_MICROS = (_dt.datetime(2201, 1, 1, tzinfo=_dt.timezone.utc) - _EPOCH) // _dt.timedelta(microseconds=1)

# RFC 3339 §5.6 date-time: full-date "T" full-time, time-offset mandatory. ASCII digits
# only (Python's \d would accept other scripts' digits). Lowercase t/z are allowed by the RFC.
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"  # date T time
    r"(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})",  # fraction, offset
    re.ASCII,
)


class TimeError(ValueError):
    """occurred_at is not an acceptable event time."""


def parse_rfc3339(text):
    """Parse an RFC 3339 date-time with offset into epoch microseconds (no range check)."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise TimeError(f"not an RFC 3339 date-time with offset: {text[:64]!r}")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = match.group(7)
    offset = match.group(8)
    micros = int((fraction[1:] + "000000")[:6]) if fraction else 0
    try:
        # datetime rejects month 13, Feb 30, hour 24, second 60 (no leap seconds in event time).
        local = _dt.datetime(year, month, day, hour, minute, second, tzinfo=_dt.timezone.utc)
    except ValueError as err:
        raise TimeError(f"invalid calendar date-time: {text[:64]!r}") from err
    offset_minutes = 0
    if offset not in ("Z", "z"):
        offset_hours, offset_mins = int(offset[1:3]), int(offset[4:6])
        if offset_hours > 23 or offset_mins > 59:
            raise TimeError(f"invalid UTC offset: {offset!r}")
        offset_minutes = (offset_hours * 60 + offset_mins) * (1 if offset[0] == "+" else -1)
    local_micros = (local - _EPOCH) // _dt.timedelta(microseconds=1) + micros
    return local_micros - offset_minutes * 60 * MICROS_PER_SECOND


def parse_occurred_at(value):
    """EVENTS.md occurred_at: RFC 3339 string with offset, or integer epoch milliseconds, in 1970–2200."""
    if isinstance(value, bool):
        raise TimeError("occurred_at is a boolean")
    if isinstance(value, int):
        micros = value * 1000
    elif isinstance(value, str):
        micros = parse_rfc3339(value)
    else:
        raise TimeError(f"occurred_at has type {type(value).__name__}")
    if not EARLIEST_MICROS <= micros < END_MICROS:
        raise TimeError("occurred_at outside 1970-2200")
    return micros


def _to_datetime(micros):
    return _EPOCH + _dt.timedelta(microseconds=micros)


def format_timestamp(micros):
    """RFC 3339 UTC with exactly six fractional digits, like the golden example."""
    if micros is None:
        return None
    return _to_datetime(micros).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def format_day(micros):
    return _to_datetime(micros).strftime("%Y-%m-%d")


def format_hour(micros):
    return _to_datetime(micros).strftime("%Y-%m-%dT%H:00:00Z")
