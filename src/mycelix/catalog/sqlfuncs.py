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
- `insert_rows(session, table, rows, ...)`: many rows in one statement, the way each
  dialect takes them fastest (the indexer's bulk writes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Row, String, Table
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


def insert_rows(
    session: Session,
    model: Any,
    rows: Sequence[Mapping[str, Any]],
    *,
    ignoring: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[Row[Any]]:
    """Insert many rows into `model` (a mapped class or a Table), ``ON CONFLICT (ignoring)
    DO NOTHING`` if `ignoring`; returns the `returning` columns of the rows inserted (in no
    particular order; a conflicting row returns nothing). All rows have the same keys.

    The indexer's bulk path, so it skips SQLAlchemy's per-row work (which cost as much as
    the database's): each column's values are converted by the column's own type — the
    same normalisation as any insert — once per distinct value (a batch repeats the same
    songs, payers, hashes and amounts), then handed to the driver as one statement:

    - PostgreSQL: ``INSERT ... SELECT * FROM unnest(%(c0)s::type[], ...)``, one array per
      column: a few parameters however many rows, where a multi-row VALUES makes psycopg
      parse tens of thousands of placeholders and an executemany sends a statement a row;
    - SQLite: the driver's executemany, in C; with RETURNING (which executemany cannot
      return), multi-row VALUES statements of up to `SQLITE_ROWS` rows.
    """
    if not rows:
        return []
    table: Table = model if isinstance(model, Table) else model.__table__
    dialect = session.get_bind().dialect
    columns = list(rows[0])
    values = [_bound(table, name, [row[name] for row in rows], dialect) for name in columns]
    names = ", ".join(dialect.identifier_preparer.quote(name) for name in columns)
    into = f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names})"
    tail = ""
    if ignoring:
        keys = ", ".join(dialect.identifier_preparer.quote(k) for k in ignoring)
        tail += f" ON CONFLICT ({keys}) DO NOTHING"
    if returning:
        tail += " RETURNING " + ", ".join(dialect.identifier_preparer.quote(r) for r in returning)
    connection = session.connection()
    if dialect.name == "postgresql":
        arrays = ", ".join(
            f"%(c{i})b::{table.c[name].type.compile(dialect=dialect)}[]"
            for i, name in enumerate(columns)
        )
        sql = f"{into} SELECT * FROM unnest({arrays}){tail}"  # nosec B608: names from metadata
        # Binary parameters (%b): in text format psycopg escapes every array element with a
        # regex, which cost as much as the insert.
        driver = connection.connection.driver_connection
        with driver.cursor(binary=True) as cursor:  # type: ignore[union-attr]
            cursor.execute(sql, {f"c{i}": v for i, v in enumerate(values)})
            return cast(list[Row[Any]], cursor.fetchall()) if returning else []
    if dialect.name == "sqlite":
        tuples = list(zip(*values, strict=True))
        row_marks = "(" + ", ".join("?" * len(columns)) + ")"
        if not returning:
            connection.exec_driver_sql(f"{into} VALUES {row_marks}{tail}", tuples)
            return []
        found: list[Row[Any]] = []
        for at in range(0, len(tuples), SQLITE_ROWS):
            chunk = tuples[at : at + SQLITE_ROWS]
            marks = ", ".join([row_marks] * len(chunk))
            sql = f"{into} VALUES {marks}{tail}"  # nosec B608: names from metadata
            flat = tuple(value for row in chunk for value in row)
            found.extend(connection.exec_driver_sql(sql, flat).all())
        return found
    raise NotImplementedError(f"catalogue does not support the {dialect.name} dialect")


# Rows per multi-row VALUES statement on SQLite (its bound-parameter limit is 32,766).
SQLITE_ROWS = 500


def _bound(table: Table, name: str, values: list[Any], dialect: Any) -> list[Any]:
    """`values` of column `name` as the column's type binds them, each distinct value
    converted once."""
    process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return values
    done: dict[tuple[type, Any], Any] = {}
    out = []
    for value in values:
        key = (type(value), value)
        if key not in done:
            done[key] = process(value)
        out.append(done[key])
    return out
