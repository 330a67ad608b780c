"""Shared runtime state of the demo (schema version, faults, counters).

Everything is one SQL statement in autocommit mode, so concurrent gunicorn
workers never hold a read lock they later try to upgrade (SQLite would answer
"database is locked" at once instead of waiting for the busy timeout).
"""
from dataclasses import dataclass, field

from django.db import connection

from .models import DemoCounter, DemoState

STATE_ID = 1

# Counter key prefixes in the DemoCounter table.
REQUEST_PREFIX = "req:"
FAULT_PREFIX = "fault:"
FAULT_KIND_PREFIX = "fault_kind:"
TOKEN_OBTAIN = "token_obtain"
TOKEN_REFRESH = "token_refresh"


@dataclass(frozen=True)
class State:
    """A snapshot of the knobs taken once per request."""

    schema_version: int = 1
    faults: dict = field(default_factory=dict)


def load() -> State:
    """Reads the knobs; a database without the row yet means the defaults."""
    row = DemoState.objects.filter(pk=STATE_ID).values_list("schema_version", "faults").first()
    if row is None:
        return State()
    return State(schema_version=row[0], faults=row[1] or {})


def ensure_row() -> None:
    """Creates the knob row if missing (migrations and the seed call it)."""
    DemoState.objects.get_or_create(pk=STATE_ID)


def set_schema_version(version: int) -> None:
    ensure_row()
    DemoState.objects.filter(pk=STATE_ID).update(schema_version=version)


def set_faults(faults: dict) -> None:
    """Replaces the faults and restarts the fault sequence at 0."""
    ensure_row()
    DemoState.objects.filter(pk=STATE_ID).update(faults=faults, fault_seq=0)


def next_fault_seq() -> int:
    """Atomically numbers one request the faults matched (1, 2, ...)."""
    table = connection.ops.quote_name(DemoState._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET fault_seq = fault_seq + 1 WHERE id = %s RETURNING fault_seq",
            [STATE_ID],
        )
        row = cursor.fetchone()
    return row[0] if row else 1


def bump(*keys: str) -> None:
    """Adds 1 to each named counter in one upsert statement."""
    if not keys:
        return
    table = connection.ops.quote_name(DemoCounter._meta.db_table)
    values = ", ".join(["(%s, 1)"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ("key", "value") VALUES {values} '
            'ON CONFLICT("key") DO UPDATE SET "value" = "value" + 1',
            list(keys),
        )


def stats() -> dict:
    """The counters in the /__demo/stats shape."""
    out = {
        TOKEN_OBTAIN: 0,
        TOKEN_REFRESH: 0,
        "requests": {},
        "faults": {},
        "faults_by_kind": {},
        "requests_total": 0,
        "faults_total": 0,
    }
    for key, value in DemoCounter.objects.values_list("key", "value"):
        if key.startswith(REQUEST_PREFIX):
            out["requests"][key[len(REQUEST_PREFIX):]] = value
            out["requests_total"] += value
        elif key.startswith(FAULT_KIND_PREFIX):
            out["faults_by_kind"][key[len(FAULT_KIND_PREFIX):]] = value
        elif key.startswith(FAULT_PREFIX):
            out["faults"][key[len(FAULT_PREFIX):]] = value
            out["faults_total"] += value
        elif key in (TOKEN_OBTAIN, TOKEN_REFRESH):
            out[key] = value
    return out


def reset_stats() -> None:
    DemoCounter.objects.all().delete()
