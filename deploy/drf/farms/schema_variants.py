"""The farm form schema layouts beyond v1/v2 (see README.md, "Layouts").

Each builder returns a fresh document describing the same Farm form as v1
(farms.schema), in the shape another upstream release might serve:

- v3-jsonschema: a JSON Schema draft 2020-12 document (https://json-schema.org/draft/2020-12);
  crop choices are `oneOf` of {"const", "title"}, units are the `x-unit` extension;
- renamed-keys: v1 with other descriptor keys (key, widget, title, description),
  constraints nested under `constraints` and `required` as a top-level list;
- choice-objects: v1 with crop choices as DRF metadata's [{"value", "display_name"}];
- no-version: v1 without its `schema_version` member.

The declared version of each layout lives in farms.layouts, which also applies
a version override.
"""
import copy

from . import schema

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_JSON_TYPES = {"text": "string", "textarea": "string", "select": "string", "number": "number",
               "checkbox": "boolean", "date": "string"}


def _json_property(field: dict) -> dict:
    """One v1 field descriptor as a JSON Schema property."""
    prop = {"type": _JSON_TYPES[field["type"]], "title": field["label"], "description": field["help_text"]}
    if field["type"] == "select":
        prop["oneOf"] = [
            {"const": o["value"], "title": o["label"], "description": o["help_text"], "x-ndvi-range": o["ndvi_range"]}
            for o in field["options"]
        ]
    if "max_length" in field:
        prop["maxLength"] = field["max_length"]
    if "min" in field:
        prop["exclusiveMinimum" if field.get("exclusive_min") else "minimum"] = field["min"]
    if "max" in field:
        prop["maximum"] = field["max"]
    if field["type"] == "date":
        prop["format"] = "date"
    if "unit" in field:
        prop["x-unit"] = field["unit"]
    if "default" in field:
        prop["default"] = field["default"]
    if field.get("read_only"):
        prop["readOnly"] = True
    if "examples" in field:
        prop["examples"] = copy.deepcopy(field["examples"])
    ui = dict(field["ui"], widget=field["type"])
    if "rows" in field:
        ui["rows"] = field["rows"]
    prop["x-ui"] = ui
    return prop


def json_schema(version) -> dict:
    """Layout v3-jsonschema: the form as a JSON Schema 2020-12 object schema."""
    fields = schema.v1_fields()
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "schema_version": version,
        "title": schema.TITLE,
        "description": schema.DESCRIPTION,
        "type": "object",
        "properties": {f["name"]: _json_property(f) for f in fields},
        "required": [f["name"] for f in fields if f["required"]],
        "additionalProperties": False,
    }


_RENAMED = {"name": "key", "type": "widget", "label": "title", "help_text": "description"}
_CONSTRAINTS = ("min", "exclusive_min", "max", "max_length", "step")


def _renamed_field(field: dict) -> dict:
    out, constraints = {}, {}
    for key, value in field.items():
        if key == "required":
            continue
        if key in _CONSTRAINTS:
            constraints[key] = value
        else:
            out[_RENAMED.get(key, key)] = value
    if constraints:
        out["constraints"] = constraints
    return out


def renamed_keys(version) -> dict:
    """Layout renamed-keys: v1's content under other descriptor keys."""
    fields = schema.v1_fields()
    return {
        "schema_version": version,
        "title": schema.TITLE,
        "description": schema.DESCRIPTION,
        "fields": [_renamed_field(f) for f in fields],
        "required": [f["name"] for f in fields if f["required"]],
        "actions": copy.deepcopy(schema.ACTIONS),
    }


def _choice_objects_field(field: dict) -> dict:
    """The field with `options` replaced, in place, by `choices`."""
    out = {}
    for key, value in field.items():
        if key == "options":
            out["choices"] = [{"value": o["value"], "display_name": o["label"]} for o in value]
        else:
            out[key] = value
    return out


def choice_objects(version) -> dict:
    """Layout choice-objects: v1 with `choices: [{"value", "display_name"}]`
    instead of `options` (the shape of DRF's OPTIONS metadata)."""
    doc = schema.document(1)
    doc["schema_version"] = version
    doc["fields"] = [_choice_objects_field(f) for f in doc["fields"]]
    return doc


def no_version(version=None) -> dict:
    """Layout no-version: v1 without `schema_version` (version is unused)."""
    doc = schema.document(1)
    del doc["schema_version"]
    return doc
