"""CONVERT(VARCHAR(n), value, style) and FORMAT(value, '.NET format') as SQL Server answers
them (us_english, en-US), in plain Python: SQLite's saved-query functions call these.

FORMAT runs on .NET in SQL Server; what is done here is the en-US subset people write in
reports: the standard numeric formats C, D, F, N, P (with a precision digit), custom numeric
formats ('#,##0.00', '0.0%', '###-##-####'), and standard or custom date formats ('d', 'D',
'yyyy-MM', 'dd/MM/yyyy HH:mm'). Anything else is refused when the query is saved.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ddl.errors import ValidationError
from queries.dialects.tsql_dates import MONTHS, WEEKDAYS

DATE_STYLES = frozenset({0, 1, 3, 100, 101, 103, 104, 105, 110, 111, 112, 120, 121, 126})
STANDARD_NUMBER = re.compile(r"([CcDdFfNnPp])(\d{0,2})")
STANDARD_DATE = {
    "d": "M/d/yyyy", "D": "dddd, MMMM d, yyyy", "t": "h:mm tt", "T": "h:mm:ss tt",
    "f": "dddd, MMMM d, yyyy h:mm tt", "F": "dddd, MMMM d, yyyy h:mm:ss tt",
    "g": "M/d/yyyy h:mm tt", "G": "M/d/yyyy h:mm:ss tt", "M": "MMMM d", "m": "MMMM d",
    "Y": "MMMM yyyy", "y": "MMMM yyyy", "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
}  # fmt: skip
DATE_TOKEN = re.compile(
    r"yyyy|yy|MMMM|MMM|MM|M|dddd|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|fff|ff|f|tt|t|'[^']*'|\"[^\"]*\"|\\.|."
)


def _two(value: int) -> str:
    return f"{value:02d}"


def _fraction(value: datetime, digits: int) -> str:
    return f"{value.microsecond:06d}{'0' * max(0, digits - 6)}"[:digits]


def date_style(value: datetime, style: int, kind: str = "datetime2") -> str:
    """CONVERT(VARCHAR, date, style) text for one of SQL Server's documented styles."""
    y, m, d = value.year, value.month, value.day
    with_time = kind != "date"
    clock = f"{_two(value.hour)}:{_two(value.minute)}:{_two(value.second)}"
    digits = 3 if kind == "datetime" else 7
    simple = {
        1: f"{m:02d}/{d:02d}/{y % 100:02d}", 101: f"{m:02d}/{d:02d}/{y:04d}",
        3: f"{d:02d}/{m:02d}/{y % 100:02d}", 103: f"{d:02d}/{m:02d}/{y:04d}",
        104: f"{d:02d}.{m:02d}.{y:04d}", 105: f"{d:02d}-{m:02d}-{y:04d}",
        110: f"{m:02d}-{d:02d}-{y:04d}", 111: f"{y:04d}/{m:02d}/{d:02d}",
        112: f"{y:04d}{m:02d}{d:02d}",
    }  # fmt: skip
    if style in simple:
        return simple[style]
    day = f"{y:04d}-{m:02d}-{d:02d}"
    if style in (0, 100):
        hour = value.hour % 12 or 12
        text = f"{MONTHS[m - 1][:3]} {d:>2} {y:04d}"
        return f"{text} {hour:>2}:{_two(value.minute)}{'AM' if value.hour < 12 else 'PM'}"
    if not with_time:
        return day
    if style == 120:
        return f"{day} {clock}"
    if style == 121:
        return f"{day} {clock}.{_fraction(value, digits)}"
    if style == 126:
        fraction = _fraction(value, digits)
        return f"{day}T{clock}" + (f".{fraction}" if value.microsecond else "")
    raise ValidationError(f"CONVERT style {style} is not supported")


def float_text(value: float) -> str:
    """A float as SQL Server writes it by default (style 0: at most 6 significant digits)."""
    text = f"{value:.6g}"
    return re.sub(r"e([+-])(\d+)$", lambda m: f"e{m.group(1)}{int(m.group(2)):03d}", text)


def plain_text(value: Any) -> str:
    """CONVERT(VARCHAR, value) / CONCAT's view of a non-date value."""
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, bytes):
        return "0x" + value.hex().upper()
    return str(value)


# --- FORMAT: numbers --------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError("FORMAT expects a number") from None


def _digits(number: Decimal, places: int, grouping: bool, min_int: int = 1) -> str:
    """|number| rounded half away from zero to `places`, integer part zero-padded/grouped."""
    rounded = abs(number).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    whole, _, fraction = f"{rounded:f}".partition(".")
    whole = whole.lstrip("0").rjust(min_int, "0")
    if grouping:
        whole = f"{int(whole or '0'):,}" if whole else ""
        if min_int == 0 and whole == "0":
            whole = ""
    return whole + (f".{fraction}" if places else "")


def _standard_number(number: Decimal, letter: str, precision: str) -> str:
    kind = letter.upper()
    places = int(precision) if precision else (0 if kind == "D" else 2)
    negative = number < 0
    if kind == "D":
        if number != number.to_integral_value():
            raise ValueError("FORMAT 'D' needs an integer")
        text = str(abs(int(number))).rjust(places, "0")
    elif kind == "P":
        text = _digits(number * 100, places, True) + "%"
    else:
        text = _digits(number, places, kind in ("N", "C"))
    if kind == "C":
        return f"(${text})" if negative and _nonzero(text) else f"${text}"
    return f"-{text}" if negative and _nonzero(text) else text


def _nonzero(text: str) -> bool:
    return any(ch in "123456789" for ch in text)


def _custom_number(number: Decimal, pattern: str) -> str:
    sections = pattern.split(";")
    if number < 0 and len(sections) > 1:
        pattern, number, sign = sections[1], -number, ""
    else:
        pattern, sign = sections[0], "-" if number < 0 else ""
    if "%" in pattern:
        number *= 100
    first = min((i for i, ch in enumerate(pattern) if ch in "#0"), default=len(pattern))
    last = max((i for i, ch in enumerate(pattern) if ch in "#0"), default=-1)
    head, body, tail = pattern[:first], pattern[first : last + 1], pattern[last + 1 :]
    whole_part, _, fraction_part = body.partition(".")
    places = fraction_part.count("0") + fraction_part.count("#")
    grouping = "," in whole_part
    text = _digits(number, places, grouping, whole_part.count("0"))
    whole, _, fraction = text.partition(".")
    fraction = fraction[: fraction_part.count("0")] + fraction[fraction_part.count("0") :].rstrip(
        "0"
    )
    if not grouping and any(ch not in "#0" for ch in whole_part):
        whole = _fill(whole, whole_part)
    result = whole + (f".{fraction}" if fraction else "")
    if sign and not _nonzero(result):
        sign = ""
    return f"{sign}{head}{result}{tail}"


def _fill(digits: str, pattern: str) -> str:
    """Digits poured into a pattern with literals ('###-##-####'), right to left."""
    out: list[str] = []
    remaining = list(digits)
    slots = [i for i, ch in enumerate(pattern) if ch in "#0"]
    for index in range(len(pattern) - 1, -1, -1):
        ch = pattern[index]
        if ch not in "#0":
            out.append(ch)
        elif index == slots[0]:
            out.append("".join(remaining))
            remaining = []
        else:
            out.append(remaining.pop() if remaining else ("0" if ch == "0" else ""))
    return "".join(reversed(out))


def format_number(value: Any, pattern: str) -> str:
    number = _decimal(value)
    standard = STANDARD_NUMBER.fullmatch(pattern)
    if standard:
        return _standard_number(number, standard.group(1), standard.group(2))
    return _custom_number(number, pattern)


# --- FORMAT: dates ----------------------------------------------------------------------------


def date_tokens(pattern: str) -> list[str]:
    """A .NET date format as tokens: specifiers, and literal text (quoted or single)."""
    pattern = STANDARD_DATE.get(pattern, pattern)
    return DATE_TOKEN.findall(pattern)


def _date_token(value: datetime, token: str) -> str:
    hour12 = value.hour % 12 or 12
    table = {
        "yyyy": f"{value.year:04d}", "yy": f"{value.year % 100:02d}",
        "MMMM": MONTHS[value.month - 1], "MMM": MONTHS[value.month - 1][:3],
        "MM": f"{value.month:02d}", "M": str(value.month),
        "dddd": WEEKDAYS[value.weekday()], "ddd": WEEKDAYS[value.weekday()][:3],
        "dd": f"{value.day:02d}", "d": str(value.day),
        "HH": f"{value.hour:02d}", "H": str(value.hour), "hh": f"{hour12:02d}", "h": str(hour12),
        "mm": f"{value.minute:02d}", "m": str(value.minute),
        "ss": f"{value.second:02d}", "s": str(value.second),
        "fff": f"{value.microsecond:06d}"[:3], "ff": f"{value.microsecond:06d}"[:2],
        "f": f"{value.microsecond:06d}"[:1],
        "tt": "AM" if value.hour < 12 else "PM", "t": "A" if value.hour < 12 else "P",
    }  # fmt: skip
    if token in table:
        return table[token]
    if len(token) >= 2 and token[0] in "'\"" and token[-1] == token[0]:
        return token[1:-1]
    return token.removeprefix("\\")


def format_date(value: datetime | date, pattern: str) -> str:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return "".join(_date_token(value, token) for token in date_tokens(pattern))


def check_culture(culture: str | None) -> None:
    if culture is not None and culture.strip().lower() not in ("en-us", ""):
        raise ValidationError(f"FORMAT culture '{culture}' is not supported (only 'en-US' is)")
