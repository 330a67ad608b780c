"""Runtime answer layouts, switched by POST /__demo/layout (see README.md, "Layouts").

A layout picks one shape per evolving answer:

- schema: the farm form schema (GET /api/v1/admin/farms/schema), SCHEMA_LAYOUTS;
- farm_state: GET/PUT /api/v1/farms/{id}/state, FARM_STATE_LAYOUTS;
- observation: GET/POST /api/v1/observations/, OBSERVATION_LAYOUTS.

The declared version is what X-Schema-Version carries and what replaces a
schema body's `schema_version` member: the transforms' `version` if set, else the
layout's `schema_version` override if set, else the schema layout's default.
The layout alone (without transforms) gives layout_version; the schema
document and the OpenAPI description follow that one, transforms come later.
"""
from . import schema, schema_variants


def _numbered(version_of_body: int):
    def build(version):
        doc = schema.document(version_of_body)
        doc["schema_version"] = version
        return doc
    return build


# name -> (default declared version, builder(version) -> document)
SCHEMA_LAYOUTS = {
    "v1": (1, _numbered(1)),
    "v2": (2, _numbered(2)),
    "v3-jsonschema": (3, schema_variants.json_schema),
    "renamed-keys": (1, schema_variants.renamed_keys),
    "choice-objects": (1, schema_variants.choice_objects),
    "no-version": (1, schema_variants.no_version),
    "dotted-groups": (4, schema_variants.dotted_groups),
    "enum-names": (5, schema_variants.enum_names),
}
# Layouts whose schema body has no schema_version member (the header still has it).
WITHOUT_VERSION_MEMBER = frozenset({"no-version"})
FARM_STATE_LAYOUTS = ("flat", "ndvi-object")
OBSERVATION_LAYOUTS = ("plain", "renamed-id")


def _schema_layout(state) -> str:
    return state.schema_layout if state.schema_layout in SCHEMA_LAYOUTS else "v1"


def layout_version(state):
    """The version the layout declares: its override, else the schema layout's default."""
    if state.schema_version_override is not None:
        return state.schema_version_override
    return SCHEMA_LAYOUTS[_schema_layout(state)][0]


def declared_version(state):
    """The version /api/ answers declare: the transforms' version wins over the layout."""
    version = state.transforms.get("version")
    return layout_version(state) if version is None else version


def header_value(state):
    """X-Schema-Version for an /api/ answer, or None when the header is off."""
    send = state.transforms.get("version_header")
    if send is None:
        send = state.version_header
    return str(declared_version(state)) if send else None


def has_version_member(state) -> bool:
    return _schema_layout(state) not in WITHOUT_VERSION_MEMBER


def schema_document(state) -> dict:
    """The farm form schema in the current schema layout and its layout version."""
    return SCHEMA_LAYOUTS[_schema_layout(state)][1](layout_version(state))


def answer(state) -> dict:
    """The body of GET/POST /__demo/layout."""
    return {
        "schema": state.schema_layout,
        "farm_state": state.farm_state_layout,
        "observation": state.observation_layout,
        "schema_version": state.schema_version_override,
        "version_header": state.version_header,
        "declared_version": declared_version(state),
    }
