"""Who is calling, and the role rules of SPEC §2 (Admin; per-table ReadRoles and SaveRoles)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ddl.catalog import TableDef
from ddl.errors import Forbidden

ADMIN_ROLE = "admin"


@dataclass(frozen=True, slots=True)
class Caller:
    """The principal a request acts for, as far as the engine needs to know it."""

    user: str
    roles: frozenset[str]  # folded to lower case

    @classmethod
    def of(cls, user: str, roles: Iterable[str]) -> Caller:
        return cls(user, frozenset(role.casefold() for role in roles))

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles

    def _allowed(self, wanted: tuple[str, ...]) -> bool:
        if self.is_admin or not wanted:
            return True
        return any(role.casefold() in self.roles for role in wanted)


def require_admin(caller: Caller, action: str) -> None:
    if not caller.is_admin:
        raise Forbidden(f"The Admin role is needed to {action}")


def require_read(caller: Caller, table: TableDef) -> None:
    if not caller._allowed(table.read_roles):
        raise Forbidden(f"A read role of custom table '{table.name}' is needed")


def may_save(caller: Caller, table: TableDef) -> bool:
    return caller._allowed(table.save_roles)


def require_save(caller: Caller, table: TableDef) -> None:
    if not may_save(caller, table):
        raise Forbidden(f"A save role of custom table '{table.name}' is needed")
