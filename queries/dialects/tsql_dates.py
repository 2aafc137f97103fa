"""SQL Server's date and time semantics in plain Python (DATEFORMAT mdy, us_english).

SQLite has no date type: its saved-query functions (queries/dialects/sqlite_functions.py) call
these, and the PostgreSQL translation is checked against the same rules by the conformance
tests. Every function takes what SQLite hands over (ISO text as the server stores it, or a
literal the user wrote) and answers as SQL Server does: DATEDIFF counts boundaries crossed,
DATEADD keeps the day inside the month, weeks start on Sunday (DATEFIRST 7).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from typing import Any

from ddl.errors import ValidationError

_PARTS = {
    "year": "year", "yy": "year", "yyyy": "year",
    "quarter": "quarter", "qq": "quarter", "q": "quarter",
    "month": "month", "mm": "month", "m": "month",
    "dayofyear": "dayofyear", "dy": "dayofyear", "y": "dayofyear", "doy": "dayofyear",
    "day": "day", "dd": "day", "d": "day",
    "week": "week", "wk": "week", "ww": "week",
    "weekday": "weekday", "dw": "weekday", "w": "weekday", "dayofweek": "weekday",
    "dow": "weekday",
    "hour": "hour", "hh": "hour",
    "minute": "minute", "mi": "minute", "n": "minute",
    "second": "second", "ss": "second", "s": "second",
    "millisecond": "millisecond", "ms": "millisecond",
    "microsecond": "microsecond", "mcs": "microsecond",
    "nanosecond": "nanosecond", "ns": "nanosecond",
    "iso_week": "iso_week", "isowk": "iso_week", "isoww": "iso_week", "weekiso": "iso_week",
}  # fmt: skip
_ALL = frozenset(_PARTS.values())
_CALENDAR = frozenset({"year", "quarter", "month", "dayofyear", "day", "week", "weekday"})
_CLOCK = frozenset({"hour", "minute", "second", "millisecond", "microsecond"})
SUPPORTED_PARTS = {  # what each function accepts, checked when a query is saved
    "DATEDIFF": _CALENDAR | _CLOCK | {"nanosecond"},
    "DATEADD": _CALENDAR | _CLOCK,
    "DATEPART": _ALL,
    "DATENAME": _ALL - {"nanosecond"},
}
MONTHS = tuple(calendar.month_name)[1:]
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SUNDAY = date(1900, 1, 7).toordinal()  # any Sunday: weeks are counted from one
_FORMATS = (
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), "ymd"),
    (re.compile(r"(\d{4})(\d{2})(\d{2})"), "ymd"),
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), "mdy"),
    (re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})"), "mdy"),
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})"), "mdy"),
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), "ymd"),
)
_TIME = re.compile(r"(?:[T ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?\s*([AaPp][Mm])?)?\s*")


def part_name(part: Any) -> str:
    """The canonical name of a date part as SQL Server spells its abbreviations; 400 if none."""
    key = str(part).strip().lower()
    if key not in _PARTS:
        raise ValidationError(f"'{part}' is not a recognized date part")
    return _PARTS[key]


def _time_of(match: re.Match[str]) -> tuple[int, int, int, int]:
    hour, minute, second, fraction, meridian = match.groups()
    if hour is None:
        return 0, 0, 0, 0
    h = int(hour)
    if meridian:
        h = h % 12 + (12 if meridian.lower() == "pm" else 0)
    micro = int((fraction or "0").ljust(6, "0")[:6])
    return h, int(minute), int(second or 0), micro


def parse_text(text: str) -> datetime:
    """A date literal in any form SQL Server reads under DATEFORMAT mdy; ValueError if none."""
    text = text.strip()
    for pattern, order in _FORMATS:
        head = pattern.match(text)
        if head is None:
            continue
        tail = _TIME.fullmatch(text, head.end())
        if tail is None:
            continue
        a, b, c = (int(group) for group in head.groups())
        year, month, day = (a, b, c) if order == "ymd" else (c, a, b)
        return datetime(year, month, day, *_time_of(tail))
    raise ValueError("Conversion failed when converting date and/or time from character string")


def to_datetime(value: Any) -> datetime | None:
    """What SQL Server would make of `value` as a datetime (None stays None)."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return parse_text(value)
    if isinstance(value, int | float):  # a number of days since 1900-01-01
        return datetime(1900, 1, 1) + timedelta(days=value)
    raise ValueError("Conversion failed when converting a value to a date")


def stored(value: datetime) -> str:
    """The text SQLite keeps for a date (as ddl/types.py writes it)."""
    return value.isoformat(sep=" ")


def _weeks(day: datetime) -> int:
    return (day.toordinal() - _SUNDAY) // 7


def _truncated_seconds(value: datetime, unit: int) -> int:
    seconds = (value.toordinal() * 86400) + value.hour * 3600 + value.minute * 60 + value.second
    return seconds // unit


def datediff(part: str, start: datetime, end: datetime) -> int:
    """Boundaries of `part` crossed going from `start` to `end` (negative when going back)."""
    kind = part_name(part)
    if kind == "year":
        return end.year - start.year
    if kind == "quarter":
        return (end.year * 4 + (end.month - 1) // 3) - (start.year * 4 + (start.month - 1) // 3)
    if kind == "month":
        return (end.year * 12 + end.month) - (start.year * 12 + start.month)
    if kind in ("day", "dayofyear", "weekday"):
        return end.toordinal() - start.toordinal()
    if kind == "week":
        return _weeks(end) - _weeks(start)
    units = {"hour": 3600, "minute": 60, "second": 1}
    if kind in units:
        return _truncated_seconds(end, units[kind]) - _truncated_seconds(start, units[kind])
    micro = {"millisecond": 1000, "microsecond": 1, "nanosecond": 1}.get(kind)
    if micro is None:
        raise ValidationError(f"The date part {kind} is not supported by DATEDIFF")
    count = _ticks(end, micro) - _ticks(start, micro)
    return count * 1000 if kind == "nanosecond" else count


def _ticks(value: datetime, micro: int) -> int:
    return (_truncated_seconds(value, 1) * 1_000_000 + value.microsecond) // micro


def _add_months(value: datetime, months: int) -> datetime:
    total = value.year * 12 + value.month - 1 + months
    year, month = divmod(total, 12)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def dateadd(part: str, number: int, value: datetime) -> datetime:
    """`value` moved by `number` parts; months and years keep the day inside the month."""
    kind = part_name(part)
    months = {"year": 12, "quarter": 3, "month": 1}
    if kind in months:
        return _add_months(value, number * months[kind])
    steps = {
        "day": timedelta(days=1), "dayofyear": timedelta(days=1), "weekday": timedelta(days=1),
        "week": timedelta(days=7), "hour": timedelta(hours=1), "minute": timedelta(minutes=1),
        "second": timedelta(seconds=1), "millisecond": timedelta(milliseconds=1),
        "microsecond": timedelta(microseconds=1),
    }  # fmt: skip
    if kind not in steps:
        raise ValidationError(f"The date part {kind} is not supported by DATEADD")
    return value + steps[kind] * number


def datepart(part: str, value: datetime) -> int:
    """DATEPART as SQL Server answers it with DATEFIRST 7 (Sunday is day 1 of the week)."""
    kind = part_name(part)
    simple = {
        "year": value.year, "month": value.month, "day": value.day, "hour": value.hour,
        "minute": value.minute, "second": value.second,
        "quarter": (value.month - 1) // 3 + 1,
        "dayofyear": value.timetuple().tm_yday,
        "weekday": value.isoweekday() % 7 + 1,
        "millisecond": value.microsecond // 1000, "microsecond": value.microsecond,
        "nanosecond": value.microsecond * 1000,
        "iso_week": value.isocalendar()[1],
    }  # fmt: skip
    if kind == "week":
        return datediff("week", value.replace(month=1, day=1), value) + 1
    return simple[kind]


def datename(part: str, value: datetime) -> str:
    """DATENAME: month and weekday names in us_english, every other part as its number."""
    kind = part_name(part)
    if kind == "month":
        return MONTHS[value.month - 1]
    if kind == "weekday":
        return WEEKDAYS[value.weekday()]
    return str(datepart(kind, value))


def eomonth(value: datetime, months: int = 0) -> date:
    moved = _add_months(value.replace(day=1), months)
    return date(moved.year, moved.month, calendar.monthrange(moved.year, moved.month)[1])


# CONVERT(DATETIME, text, style): the order of day, month and year the style says (two-digit
# years for styles below 100, as SQL Server's two-digit year cutoff 2049 reads them).
STYLE_ORDERS = {
    1: ("mdy", "/"), 101: ("mdy", "/"), 3: ("dmy", "/"), 103: ("dmy", "/"),
    4: ("dmy", "."), 104: ("dmy", "."), 5: ("dmy", "-"), 105: ("dmy", "-"),
    10: ("mdy", "-"), 110: ("mdy", "-"), 11: ("ymd", "/"), 111: ("ymd", "/"),
}  # fmt: skip
ISO_STYLES = frozenset({0, 12, 100, 112, 20, 120, 21, 121, 23, 126, 127})


def parse_styled(text: str, style: int) -> datetime:
    """A date string read the way CONVERT(DATETIME, text, style) reads it."""
    if style in ISO_STYLES:
        return parse_text(text)
    if style not in STYLE_ORDERS:
        raise ValidationError(f"CONVERT style {style} is not supported for reading dates")
    order, separator = STYLE_ORDERS[style]
    head, _, rest = text.strip().partition(" ")
    parts = head.split(separator)
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ValueError("Conversion failed when converting date and/or time from character string")
    values = dict(zip(order, (int(part) for part in parts), strict=True))
    year = values["y"]
    if year < 100:
        year += 2000 if year <= 49 else 1900
    tail = _TIME.fullmatch(" " + rest if rest else "")
    if tail is None:
        raise ValueError("Conversion failed when converting date and/or time from character string")
    return datetime(year, values["m"], values["d"], *_time_of(tail))
