"""Generated evolutions: ops applied to JSON answers (POST /__demo/transforms).

A path is dot-separated member names; `[]` after a name (or alone, first, for
a top-level array) means "every element of that array", and may repeat for
nested arrays: `ndvi`, `results[].id`, `sections[].fields[].name`, `[].id`.
A path that does not exist in an answer (or crosses a value of another type)
is skipped silently. Ops (README.md, "Transforms"):

- rename {path, to}: the member keeps its place under the new name (an existing
  member of that name is replaced);
- nest {path, into}: the value v becomes {into: v};
- retype {path, type}: string|number|bool|object|array, deterministic (to_type);
- add {path, value}: adds or overwrites a member (its parent must exist);
- remove {path}: deletes a member.

rename, add and remove need a path ending in a member name; nest and retype
also take a path ending in `[]` (each element).
"""
import copy
import json
import re

OPS = ("rename", "nest", "retype", "add", "remove")
TYPES = ("string", "number", "bool", "object", "array")
MEMBER_OPS = frozenset({"rename", "add", "remove"})  # need a path ending in a name
OP_ARGUMENT = {"rename": "to", "nest": "into", "retype": "type", "add": "value", "remove": None}

_SEGMENT = re.compile(r"([^.\[\]]*)((?:\[\])*)")


def parse_path(path: str) -> list:
    """'results[].id' -> [("results", 1), ("id", 0)]: (name, number of []).
    Raises ValueError for a malformed path."""
    if not path:
        raise ValueError("A path must not be empty.")
    segments = []
    for index, raw in enumerate(path.split(".")):
        match = _SEGMENT.fullmatch(raw)
        if match is None:
            raise ValueError(f"Bad path segment {raw!r}: use member names, '.' and '[]'.")
        name, depth = match.group(1), len(match.group(2)) // 2
        if not name and (index > 0 or depth == 0):
            raise ValueError(f"Empty member name in {path!r}; only a leading '[]' may stand alone.")
        segments.append((name, depth))
    return segments


def ends_in_member(path: str) -> bool:
    return parse_path(path)[-1][1] == 0


def _expand(slots: list, depth: int) -> list:
    """Replaces each slot holding an array by one slot per element, depth times."""
    for _ in range(depth):
        slots = [(value, i) for holder, key in slots
                 if isinstance(value := holder[key], list) for i in range(len(value))]
    return slots


def _slots(box: list, segments: list, create: bool) -> list:
    """(container, key) pairs the path designates in box[0]; with create, the
    last member may be missing (its parent object must exist)."""
    slots = [(box, 0)]
    for index, (name, depth) in enumerate(segments):
        if name:
            last = index == len(segments) - 1
            slots = [(value, name) for holder, key in slots
                     if isinstance(value := holder[key], dict) and (name in value or (create and last))]
        slots = _expand(slots, depth)
    return slots


def to_type(value, kind: str):
    """retype: null stays null and a value of the wanted type is kept; else
    string: str() (bool as true/false, objects/arrays as compact JSON);
    number: a string's or container's len(), a bool's 1/0; bool: truthiness;
    object: {"value": x}; array: [x]."""
    if value is None:
        return None
    if kind == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return str(value)
    if kind == "number":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, (int, float)):
            return value
        return len(value)
    if kind == "bool":
        return bool(value)
    if kind == "object":
        return value if isinstance(value, dict) else {"value": value}
    return value if isinstance(value, list) else [value]  # array


def _rename(holder: dict, old: str, new: str) -> None:
    if old == new:
        return
    items = [(new if k == old else k, v) for k, v in holder.items() if k != new]
    holder.clear()
    holder.update(items)


def apply_op(body, op: dict):
    """Applies one validated op to body (changed in place where possible) and
    returns the result (a new value only when the op replaced the root)."""
    box = [body]
    kind = op["op"]
    for holder, key in _slots(box, parse_path(op["path"]), create=kind == "add"):
        if kind == "rename":
            _rename(holder, key, op["to"])
        elif kind == "nest":
            holder[key] = {op["into"]: holder[key]}
        elif kind == "retype":
            holder[key] = to_type(holder[key], op["type"])
        elif kind == "add":
            holder[key] = copy.deepcopy(op["value"])
        elif kind == "remove":
            del holder[key]
    return box[0]


def matching_ops(transforms: dict, route: str) -> list:
    """The ops of every rule whose route regexp is found in route, in order."""
    return [op for rule in transforms.get("rules", ()) if re.search(rule["route"], route) for op in rule["ops"]]


def apply(body, transforms: dict, route: str):
    """The answer body after the transforms' version and the matching ops.
    Returns (body, changed)."""
    changed = False
    version = transforms.get("version")
    if version is not None and isinstance(body, dict) and "schema_version" in body:
        body["schema_version"] = version
        changed = True
    for op in matching_ops(transforms, route):
        body = apply_op(body, op)
        changed = True
    return body, changed
