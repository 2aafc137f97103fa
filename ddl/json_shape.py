"""msgspec's validation messages in a user's words.

msgspec says ``Expected `array | null`, got `object` - at `$.UpdateManyModel```: right, but in
its own notation (`$.`, backticks, `str`). Clients read ``Field 'UpdateManyModel': expected a
list or null, got an object``. One translator serves request bodies, import files and query
parameters, so every such message reads the same way.
"""

from __future__ import annotations

import re

import msgspec

_KINDS = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "decimal": "a number",
    "bool": "true or false",
    "null": "null",
    "array": "a list",
    "object": "an object",
    "bytes": "a base64 string",
    "uuid": "a UUID",
    "datetime": "a date-time",
    "date": "a date",
    "any": "a value",
}
_EXPECTED = re.compile(r"^Expected `(?P<kinds>[^`]+)`(?P<rest>[^-]*?)(?:, got `(?P<got>[^`]+)`)?$")
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]+)`$")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<field>[^`]+)`$")
_ENUM = re.compile(r"^Invalid enum value (?P<value>.+)$")
_CONSTRAINT = re.compile(r"(?P<op>[<>]=?) (?P<number>-?[\d.]+)")
_OPERATORS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than"}


def kind_words(kinds: str, nullable: bool = True) -> str:
    """`int | null` → `an integer or null`; `array[object]` → `a list` (items named elsewhere)."""
    names = [part.strip().split("[", 1)[0] for part in kinds.split("|")]
    if not nullable and len(names) > 1:
        names = [name for name in names if name != "null"]
    words = [_KINDS.get(name, name) for name in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _constraint(rest: str) -> str:
    """` >= 1` → ` of at least 1`; ` of length <= 5` → ` of at most 5 characters or items`."""
    found = _CONSTRAINT.search(rest)
    if not found:
        return ""
    amount = f"{_OPERATORS[found['op']]} {found['number']}"
    return f" of length {amount}" if "length" in rest else f" of {amount}"


def problem_words(problem: str, nullable: bool = True) -> str:
    """One msgspec problem (the text before ` - at`) in plain words."""
    if match := _EXPECTED.match(problem):
        text = f"expected {kind_words(match['kinds'], nullable)}{_constraint(match['rest'])}"
        if match["got"]:
            text += f", got {kind_words(match['got'])}"
        return text
    if match := _ENUM.match(problem):
        return f"{match['value']} is not one of the allowed values"
    return problem.replace("`", "'")


def path_words(path: str) -> str:
    """`$.Columns[0].ColumnDataTypeId` → `Columns[0].ColumnDataTypeId` (list items count from 0)."""
    return path.removeprefix("$").removeprefix(".")


def shape_message(error: msgspec.ValidationError, what: str = "The body", parent: str = "") -> str:
    """A body of the wrong shape, named by field: `Field 'Columns': expected a list, got an
    object`, `Field 'Columns[0].ColumnName' is required`; a problem with the whole value is
    said of `what`; `parent` names the field the checked value sits in (`Table`)."""
    problem, _, path = str(error).partition(" - at `")
    problem = problem.strip()
    place = ".".join(part for part in (parent, path_words(path.rstrip("`"))) if part)
    for pattern, ending in ((_MISSING, "is required"), (_UNKNOWN, "is not a known field")):
        if match := pattern.match(problem):
            field = f"{place}.{match['field']}" if place else match["field"]
            return f"Field '{field}' {ending}"
    words = problem_words(problem)
    return f"Field '{place}': {words}" if place else f"{what}: {words}"
