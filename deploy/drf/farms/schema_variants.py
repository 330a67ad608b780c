"""The farm form schema layouts beyond v1/v2 (see README.md, "Layouts").

Each builder returns a fresh document describing the same Farm form as v1
(farms.schema), in the shape another upstream release might serve:

- v3-jsonschema: a JSON Schema draft 2020-12 document (https://json-schema.org/draft/2020-12);
  crop choices are `oneOf` of {"const", "title"}, units are the `x-unit` extension;
- renamed-keys: v1 with other descriptor keys (key, widget, title, description),
  constraints nested under `constraints` and `required` as a top-level list;
- choice-objects: v1 with crop choices as DRF metadata's [{"value", "display_name"}];
- no-version: v1 without its `schema_version` member;
- dotted-groups: fields grouped under `groups: [{key, label, fields, required}]`,
  where `fields` is an object keyed by dotted names (`farm.name`,
  `site.location.latitude`, ...) whose last segment is the serializer field;
  descriptors say `kind`, `display_name`, `help`, `initial`, nest constraints
  under `validation` with JSON Schema's names, give choices as {value: label}
  and use kinds a v1 UI does not know (`markdown` for notes);
- enum-names: v1's flat list with crop choices as parallel `enum`/`enumNames`
  arrays and `owner` served under the alias `owner_name` with DRF's
  `source: "owner"` naming the serializer field.

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


# v1 field name -> (dotted name, kind) of layout dotted-groups; the dotted name's
# last segment is the serializer field.
_DOTTED = {
    "name": ("farm.name", "string"),
    "owner": ("farm.owner", "string"),
    "crop": ("farm.crop", "choice"),
    "area_ha": ("site.area_ha", "decimal"),
    "latitude": ("site.location.latitude", "float"),
    "longitude": ("site.location.longitude", "float"),
    "irrigated": ("farm.irrigated", "toggle"),
    "notes": ("farm.notes", "markdown"),
    "created_at": ("meta.created_at", "datetime"),
}
_DOTTED_GROUPS = [("farm", "Farm"), ("site", "Site"), ("meta", "Record")]


def _dotted_validation(field: dict) -> dict:
    """v1's constraints under their JSON Schema names; `exclusiveMinimum` is
    the bound itself (draft 2020-12), not a flag as v1's `exclusive_min`."""
    validation = {}
    if "min" in field:
        validation["exclusiveMinimum" if field.get("exclusive_min") else "minimum"] = field["min"]
    if "max" in field:
        validation["maximum"] = field["max"]
    if "max_length" in field:
        validation["maxLength"] = field["max_length"]
    if "step" in field:
        validation["multipleOf"] = field["step"]
    return validation


def _dotted_field(field: dict) -> dict:
    kind = _DOTTED[field["name"]][1]
    out = {"kind": kind, "display_name": field["label"], "help": field["help_text"]}
    if "options" in field:
        out["choices"] = {o["value"]: o["label"] for o in field["options"]}
    if "unit" in field:
        out["unit"] = field["unit"]
    validation = _dotted_validation(field)
    if validation:
        out["validation"] = validation
    if "default" in field:
        out["initial"] = field["default"]
    if field.get("read_only"):
        out["read_only"] = True
    if "placeholder" in field:
        out["placeholder"] = field["placeholder"]
    if "examples" in field:
        out["examples"] = field["examples"]
    return out


def dotted_groups(version) -> dict:
    """Layout dotted-groups: groups of fields keyed by dotted names, with a
    per-group `required` list instead of per-field flags."""
    groups = []
    for key, label in _DOTTED_GROUPS:
        fields = [f for f in schema.v1_fields() if _DOTTED[f["name"]][0].split(".", 1)[0] == key]
        groups.append({
            "key": key,
            "label": label,
            "fields": {_DOTTED[f["name"]][0]: _dotted_field(f) for f in fields},
            "required": [_DOTTED[f["name"]][0] for f in fields if f["required"]],
        })
    return {
        "schema_version": version,
        "title": schema.TITLE,
        "description": schema.DESCRIPTION,
        "groups": groups,
        "actions": copy.deepcopy(schema.ACTIONS),
    }


# v1 field name -> the name layout enum-names serves it under (with `source`).
_ALIASES = {"owner": "owner_name"}


def _enum_names_field(field: dict) -> dict:
    """The field with `options` replaced, in place, by `enum` and `enumNames`,
    and an aliased `name` followed by `source` (the serializer field)."""
    out = {}
    for key, value in field.items():
        if key == "name" and value in _ALIASES:
            out["name"] = _ALIASES[value]
            out["source"] = value
        elif key == "options":
            out["enum"] = [o["value"] for o in value]
            out["enumNames"] = [o["label"] for o in value]
        else:
            out[key] = value
    return out


def enum_names(version) -> dict:
    """Layout enum-names: v1 with choices as `enum` + `enumNames` (the
    react-jsonschema-form convention) and `owner` aliased as `owner_name`."""
    doc = schema.document(1)
    doc["schema_version"] = version
    doc["fields"] = [_enum_names_field(f) for f in doc["fields"]]
    return doc
