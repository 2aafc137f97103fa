"""FORMAT and CONVERT styles as PostgreSQL expressions (TO_CHAR and friends), built at plan
time from the literal format; the same rules as tsql_format.py, for a backend that cannot call
Python. A format that is not a literal cannot be translated and is refused when saved."""

from __future__ import annotations

from ddl.errors import ValidationError
from queries.dialects.tsql_format import STANDARD_NUMBER, date_tokens

_INT_DIGITS = 28  # digits TO_CHAR may need before the decimal point


def _quote(text: str) -> str:
    """Literal text inside a TO_CHAR pattern."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"' if text else ""


_DATE_TOKENS = {
    "yyyy": "YYYY", "yy": "YY", "MMMM": "FMMonth", "MMM": "Mon", "MM": "MM", "M": "FMMM",
    "dddd": "FMDay", "ddd": "Dy", "dd": "DD", "d": "FMDD", "HH": "HH24", "H": "FMHH24",
    "hh": "HH12", "h": "FMHH12", "mm": "MI", "m": "FMMI", "ss": "SS", "s": "FMSS",
    "fff": "MS", "tt": "AM",
}  # fmt: skip


def date_pattern(pattern: str) -> str:
    """A .NET date format as a TO_CHAR pattern."""
    out: list[str] = []
    for token in date_tokens(pattern):
        if token in _DATE_TOKENS:
            out.append(_DATE_TOKENS[token])
        elif token in ("ff", "f", "t"):
            raise ValidationError(f"FORMAT date specifier '{token}' is not supported")
        elif len(token) >= 2 and token[0] in "'\"" and token[-1] == token[0]:
            out.append(_quote(token[1:-1]))
        else:
            out.append(_quote(token.removeprefix("\\")))
    return "".join(out)


def _digits(places: int, grouping: bool, zero_digits: int = 1, optional: int = 0) -> str:
    whole = "9" * (_INT_DIGITS - zero_digits) + "0" * zero_digits
    if grouping:
        whole = ",".join(whole[max(0, i - 3) : i] for i in range(len(whole), 0, -3)[::-1])
    fraction = "0" * places + "9" * optional
    return "FM" + whole + (f".{fraction}" if fraction else "")


def number_sql(value: str, pattern: str) -> str:
    """SQL text giving FORMAT(value, pattern) for a number (`value` is SQL text already)."""
    standard = STANDARD_NUMBER.fullmatch(pattern)
    if standard:
        return _standard(value, standard.group(1).upper(), standard.group(2))
    return _custom(value, pattern)


def _to_char(value: str, pattern: str) -> str:
    return f"TO_CHAR(CAST({value} AS NUMERIC), '{pattern}')"


def _standard(value: str, kind: str, precision: str) -> str:
    places = int(precision) if precision else (0 if kind == "D" else 2)
    if kind == "D":
        return _to_char(value, _digits(0, False, max(places, 1)))
    if kind == "P":
        return _to_char(f"({value}) * 100", _digits(places, True)) + " || '%'"
    pattern = _digits(places, kind in ("N", "C"))
    if kind == "C":
        return (
            f"CASE WHEN CAST({value} AS NUMERIC) < 0 AND {_to_char(f'-({value})', pattern)} "
            f"<> {_to_char('0', pattern)} THEN '($' || {_to_char(f'-({value})', pattern)} || ')' "
            f"ELSE '$' || {_to_char(f'ABS({value})', pattern)} END"
        )
    return _to_char(value, pattern)


def _custom(value: str, pattern: str) -> str:
    if ";" in pattern:
        raise ValidationError("FORMAT sections (';') are not supported on PostgreSQL")
    if "%" in pattern:
        value = f"({value}) * 100"
    first = min((i for i, ch in enumerate(pattern) if ch in "#0"), default=len(pattern))
    last = max((i for i, ch in enumerate(pattern) if ch in "#0"), default=-1)
    head, body, tail = pattern[:first], pattern[first : last + 1], pattern[last + 1 :]
    whole, _, fraction = body.partition(".")
    if "," in whole or all(ch in "#0" for ch in whole):
        digits = _digits(fraction.count("0"), "," in whole, whole.count("0"), fraction.count("#"))
    else:  # literals among the digits: '###-##-####'
        inner = "".join("9" if ch == "#" else "0" if ch == "0" else _quote(ch) for ch in whole)
        digits = "FM" + inner + (f".{fraction.replace('#', '9')}" if fraction else "")
    text = _to_char(value, digits)
    if fraction and not fraction.count("0"):  # '#.##' of a whole number: no trailing point
        text = f"RTRIM({text}, '.')"
    head_sql = f"{_string(head)} || " if head else ""
    tail_sql = f" || {_string(tail)}" if tail else ""
    return head_sql + text + tail_sql


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
