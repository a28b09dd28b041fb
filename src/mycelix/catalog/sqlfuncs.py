"""SQL functions whose spelling differs between SQLite and PostgreSQL.

Repositories write one query; these compile to each dialect's form:

- `amount_sum(col)`: exact sum of a `TokenAmount` column. PostgreSQL's ``sum`` over
  NUMERIC is exact. On SQLite the column is zero-padded decimal text, which SQLite's own
  ``SUM`` would turn into a REAL, so it compiles to ``mycelix_sum``, an aggregate written
  in Python ints that `db.py` registers on every connection. Its result is padded like the
  column, so ORDER BY / HAVING over it still compare numerically.
- `utc_day(col)`: the UTC calendar day of a `UTCDateTime` as ``YYYY-MM-DD`` text. The
  PostgreSQL form converts explicitly (``AT TIME ZONE 'UTC'``), so grouping does not
  depend on the session's TimeZone setting; SQLite stores naive UTC text already.
- `insert_ignoring(session, model, *keys)`: INSERT ... ON CONFLICT (keys) DO NOTHING,
  which both databases support but SQLAlchemy spells per dialect.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction

from .types import AMOUNT_DIGITS, TokenAmount

SQLITE_SUM = "mycelix_sum"


class amount_sum(GenericFunction[int]):
    """Exact SUM of token amounts; NULL over no rows, like SUM."""

    type = TokenAmount()
    name = "amount_sum"
    inherit_cache = True


class utc_day(GenericFunction[str]):
    """``YYYY-MM-DD`` of a timestamp in UTC."""

    type = String()
    name = "utc_day"
    inherit_cache = True


@compiles(amount_sum)
def _amount_sum_default(element: amount_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sum({compiler.process(element.clauses, **kw)})"


@compiles(amount_sum, "sqlite")
def _amount_sum_sqlite(element: amount_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_SUM}({compiler.process(element.clauses, **kw)})"


@compiles(utc_day)
def _utc_day_default(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"to_char(({arg}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 10)"


class DecimalSum:
    """SQLite aggregate: exact sum of decimal-text amounts using Python ints."""

    def __init__(self) -> None:
        self.total = 0
        self.seen = False

    def step(self, value: str | int | None) -> None:
        if value is not None:
            self.total += int(value)
            self.seen = True

    def finalize(self) -> str | None:
        return str(self.total).zfill(AMOUNT_DIGITS) if self.seen else None


def insert_ignoring(session: Session, model: Any, *keys: str) -> Any:
    """``INSERT INTO model ... ON CONFLICT (keys) DO NOTHING`` for the session's dialect.

    With ``.returning(...)``, a conflicting row returns nothing: callers learn whether
    they inserted without a second query and without a failed statement aborting the
    PostgreSQL transaction.
    """
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing(index_elements=list(keys))
    if name == "sqlite":
        return sqlite.insert(model).on_conflict_do_nothing(index_elements=list(keys))
    raise NotImplementedError(f"catalogue does not support the {name} dialect")
