"""The `postcodes` table: bulk-loading a whole postcode product into it, and the lookup importers use.

`load_postcodes` writes every record of a product (~1.7 million for Great Britain) in one transaction, so a failure
anywhere (a bad zip member, a product that turns out not to be one, a lost connection) leaves the table as it was.
SQLite: `executemany` in chunks of 50,000 rows with a 16 MiB page cache and `synchronous=NORMAL` for the load (safe
in the WAL mode `api.db` sets); PostgreSQL: COPY into a temporary table, then one INSERT ... SELECT into
`postcodes` (a duplicate postcode in the product keeps its last row, as SQLite's INSERT OR REPLACE does).
`database_lookup` answers a `planner.io.postcode_lookup.PostcodeLookup` from the table in chunks of IN queries.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from planner.io.postcode_lookup import PostcodeFix, PostcodeLookup
from planner.io.postcodes import PostcodeRecord

TABLE = "postcodes"
COLUMNS = ("postcode", "easting", "northing", "lsoa", "ward", "district", "terminated", "source")
CHUNK_ROWS = 50_000
LOOKUP_CHUNK = 900  # parameters per IN query: below SQLite's historical limit of 999
SQLITE_CACHE_KIB = 16_384  # page cache for the load (PRAGMA cache_size=-KiB): the inserts come nearly sorted, so
# a bigger cache bought nothing on the full product (256 MiB: same time, 140 MB more peak memory)
SOURCE_SHAPE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")

Progress = Callable[[int], None]


@dataclass(frozen=True)
class LoadStats:
    """What one load wrote: records sent, terminated ones among them, rows in the table afterwards, time taken."""

    rows: int
    terminated: int
    table_rows: int
    seconds: float
    dialect: str

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float(self.rows)


def load_postcodes(engine: Engine, records: Iterable[PostcodeRecord], *, source: str, replace: bool = True,
                   on_progress: Progress | None = None) -> LoadStats:
    """Write `records` into `postcodes` (all of them or, on any error, none): `replace` empties the table first,
    else same postcodes are overwritten and others kept. `on_progress(rows_written)` is called after each chunk.
    """
    if not SOURCE_SHAPE.match(source):
        raise ValueError(f"source must be a short lower-case label such as 'codepoint-open', got {source!r}")
    started = time.perf_counter()
    dialect = engine.dialect.name
    with engine.connect() as connection:
        if dialect == "sqlite":
            rows, terminated = _load_sqlite(connection, records, source, replace, on_progress)
        elif dialect == "postgresql":
            rows, terminated = _load_postgres(connection, records, source, replace, on_progress)
        else:
            raise ValueError(f"loading postcodes into {dialect} is not supported (SQLite or PostgreSQL)")
        table_rows = int(connection.execute(text(f"SELECT COUNT(*) FROM {TABLE}")).scalar_one())
    return LoadStats(rows=rows, terminated=terminated, table_rows=table_rows,
                     seconds=time.perf_counter() - started, dialect=dialect)


def _chunks(records: Iterable[PostcodeRecord], size: int = CHUNK_ROWS) -> Iterator[list[PostcodeRecord]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _load_sqlite(connection: Connection, records: Iterable[PostcodeRecord], source: str, replace: bool,
                 on_progress: Progress | None) -> tuple[int, int]:
    raw: Any = connection.connection.driver_connection
    cursor = raw.cursor()
    previous = {name: cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in ("synchronous", "cache_size")}
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    rows = terminated = 0
    insert = f"INSERT OR REPLACE INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    try:
        with connection.begin():
            cursor.execute("BEGIN IMMEDIATE")  # take the write lock now, not halfway through
            if replace:
                cursor.execute(f"DELETE FROM {TABLE}")
            for chunk in _chunks(records):
                cursor.executemany(insert, [(*record, source) for record in chunk])
                rows += len(chunk)
                terminated += sum(record.terminated for record in chunk)
                if on_progress is not None:
                    on_progress(rows)
    finally:
        with suppress(sqlite3.Error):  # never hide the error that ended the load
            cursor.execute(f"PRAGMA synchronous={int(previous['synchronous'])}")
            cursor.execute(f"PRAGMA cache_size={int(previous['cache_size'])}")
            cursor.close()
    return rows, terminated


# The load table has no key and no index (COPY into it is as fast as COPY gets); `seq` orders duplicates.
_PG_STAGE = """CREATE TEMPORARY TABLE postcodes_load (
    seq bigserial, postcode varchar(8) NOT NULL, easting integer NOT NULL, northing integer NOT NULL,
    lsoa varchar(16), ward varchar(16), district varchar(16), terminated boolean NOT NULL) ON COMMIT DROP"""
_PG_COPY = "COPY postcodes_load (postcode, easting, northing, lsoa, ward, district, terminated) FROM STDIN"
_PG_MERGE = f"""INSERT INTO {TABLE} ({', '.join(COLUMNS)})
    SELECT DISTINCT ON (postcode) postcode, easting, northing, lsoa, ward, district, terminated, %s
    FROM postcodes_load ORDER BY postcode, seq DESC
    ON CONFLICT (postcode) DO UPDATE SET easting = EXCLUDED.easting, northing = EXCLUDED.northing,
        lsoa = EXCLUDED.lsoa, ward = EXCLUDED.ward, district = EXCLUDED.district,
        terminated = EXCLUDED.terminated, source = EXCLUDED.source"""


def _load_postgres(connection: Connection, records: Iterable[PostcodeRecord], source: str, replace: bool,
                   on_progress: Progress | None) -> tuple[int, int]:
    raw: Any = connection.connection.driver_connection  # psycopg.Connection
    rows = terminated = 0
    with connection.begin(), raw.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")  # the DISTINCT ON sort stays in memory
        cursor.execute(_PG_STAGE)
        with cursor.copy(_PG_COPY) as copy:
            for chunk in _chunks(records):
                for record in chunk:
                    copy.write_row(record)
                rows += len(chunk)
                terminated += sum(record.terminated for record in chunk)
                if on_progress is not None:
                    on_progress(rows)
        if replace:
            cursor.execute(f"TRUNCATE {TABLE}")  # transactional in PostgreSQL: undone if anything below fails
        cursor.execute(_PG_MERGE, (source,))
    return rows, terminated


def database_lookup(engine: Engine) -> PostcodeLookup:
    """A PostcodeLookup answered from the `postcodes` table (normalised postcodes in, known ones out)."""
    query = text(f"SELECT postcode, easting, northing, lsoa, ward, district, terminated FROM {TABLE} "
                 "WHERE postcode IN :codes").bindparams(bindparam("codes", expanding=True))

    def lookup(postcodes: Collection[str]) -> Mapping[str, PostcodeFix]:
        wanted = sorted({code for code in postcodes if code})
        found: dict[str, PostcodeFix] = {}
        if not wanted:
            return found
        with engine.connect() as connection:
            for start in range(0, len(wanted), LOOKUP_CHUNK):
                for row in connection.execute(query, {"codes": wanted[start:start + LOOKUP_CHUNK]}):
                    found[row.postcode] = PostcodeFix(easting=float(row.easting), northing=float(row.northing),
                                                      lsoa=row.lsoa, ward=row.ward, district=row.district,
                                                      terminated=bool(row.terminated))
        return found

    return lookup


def postcode_count(engine: Engine) -> int:
    """How many postcodes the table holds."""
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {TABLE}")).scalar_one())


def loaded_lookup(engine: Engine) -> PostcodeLookup | None:
    """`database_lookup(engine)`, or None while no postcodes are loaded (importers then say to load them first)."""
    with engine.connect() as connection:
        loaded = connection.execute(text(f"SELECT 1 FROM {TABLE} LIMIT 1")).first() is not None
    return database_lookup(engine) if loaded else None


def table_size_bytes(engine: Engine) -> int:
    """Bytes the table and its index take on disk (SQLite: dbstat, else the whole file; PostgreSQL: relation)."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            return int(connection.execute(text(f"SELECT pg_total_relation_size('{TABLE}')")).scalar_one())
        try:
            size = connection.execute(text(
                "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN "
                f"(SELECT name FROM sqlite_master WHERE tbl_name = '{TABLE}')")).scalar_one()
        except OperationalError:  # no dbstat table: it is a compile-time option of SQLite
            pages = connection.execute(text("PRAGMA page_count")).scalar_one()
            size = pages * connection.execute(text("PRAGMA page_size")).scalar_one()
        return int(size)
