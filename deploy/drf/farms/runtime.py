"""Shared runtime state of the demo (layouts, transforms, faults, counters).

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
    """A snapshot of the knobs taken once per request (farms.layouts reads it)."""

    schema_layout: str = "v1"
    farm_state_layout: str = "flat"
    observation_layout: str = "plain"
    schema_version_override: object = None  # None, an int or a string
    version_header: bool = True
    transforms: dict = field(default_factory=dict)
    faults: dict = field(default_factory=dict)


_COLUMNS = ("schema_layout", "farm_state_layout", "observation_layout", "schema_version_override",
            "version_header", "transforms", "faults")

# POST /__demo/layout keys -> DemoState columns.
LAYOUT_COLUMNS = {
    "schema": "schema_layout",
    "farm_state": "farm_state_layout",
    "observation": "observation_layout",
    "schema_version": "schema_version_override",
    "version_header": "version_header",
}


def load() -> State:
    """Reads the knobs in one SELECT; a database without the row means the defaults."""
    row = DemoState.objects.filter(pk=STATE_ID).values_list(*_COLUMNS).first()
    if row is None:
        return State()
    values = dict(zip(_COLUMNS, row))
    values["transforms"] = values["transforms"] or {}
    values["faults"] = values["faults"] or {}
    return State(**values)


def for_request(request) -> State:
    """The snapshot DemoMiddleware took for this request (request.demo_state),
    or a fresh one (no request, or a request that bypassed the middleware)."""
    return getattr(request, "demo_state", None) or load()


def ensure_row() -> None:
    """Creates the knob row if missing (migrations and the seed call it)."""
    DemoState.objects.get_or_create(pk=STATE_ID)


def set_layout(changes: dict) -> None:
    """Applies a partial layout update (LAYOUT_COLUMNS keys) in one UPDATE."""
    ensure_row()
    columns = {LAYOUT_COLUMNS[key]: value for key, value in changes.items()}
    if columns:
        DemoState.objects.filter(pk=STATE_ID).update(**columns)


def set_schema_version(version: int) -> None:
    """The /__demo/schema switch: schema layout v1 or v2, no version override."""
    set_layout({"schema": f"v{version}", "schema_version": None})


def set_transforms(transforms: dict) -> None:
    """Replaces the generated evolutions ({} = none)."""
    ensure_row()
    DemoState.objects.filter(pk=STATE_ID).update(transforms=transforms)


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
