"""The farm form schema served at GET /api/v1/admin/farms/schema, layouts v1 and v2.

Version 1 is a flat field list; version 2 groups fields into sections and adds a
`geo_point` field that older UIs do not know. Both describe the Farm model and
weigh about 6 KB, like a real admin form description with help texts. FIELDS,
V1_ORDER, TITLE, DESCRIPTION, ACTIONS and CROP_HELP are shared with the other
layouts (farms.schema_variants); callers copy before changing them.
"""
import copy

from .models import CROP_CHOICES

CROP_HELP = {
    "wheat": "Winter or spring wheat; NDVI peaks at heading, usually May-June.",
    "maize": "Grain or silage maize; late canopy closure, NDVI peaks in July-August.",
    "barley": "Malting or feed barley; short season, early senescence in June.",
    "soy": "Soybean; sensitive to drought during pod fill, NDVI peaks in August.",
    "rice": "Paddy rice; flooded fields lower early-season NDVI readings.",
    "sunflower": "Sunflower; deep roots, NDVI drops quickly after flowering.",
    "potato": "Potato; ridged rows expose soil, expect moderate NDVI values.",
    "vineyard": "Wine or table grapes; inter-row grass raises NDVI outside the season.",
    "olive": "Olive grove; evergreen, NDVI is stable across the year.",
    "orchard": "Apple, pear or stone fruit orchard; canopy between rows matters.",
    "fallow": "Resting land or cover crop; low NDVI is expected and not an alert.",
}

FIELDS = {
    "name": {
        "name": "name", "label": "Farm name", "type": "text", "required": True, "max_length": 120,
        "placeholder": "e.g. North Ridge Fields",
        "help_text": "The name shown in lists, alerts and reports. It does not need to be unique, "
                     "but a name your team recognises at a glance avoids mistakes when several farms "
                     "share an owner.",
    },
    "owner": {
        "name": "owner", "label": "Owner", "type": "text", "required": False, "max_length": 120,
        "placeholder": "Person or company",
        "help_text": "The farmer, cooperative or company responsible for the land. Used for grouping "
                     "in reports only; it is not linked to a Nextcloud account.",
    },
    "crop": {
        "name": "crop", "label": "Main crop", "type": "select", "required": True,
        "options": [
            {"value": value, "label": label, "help_text": CROP_HELP[value]} for value, label in CROP_CHOICES
        ],
        "help_text": "The crop grown this season. NDVI thresholds for alerts depend on it, so change "
                     "it when the field is replanted.",
    },
    "area_ha": {
        "name": "area_ha", "label": "Area", "type": "number", "required": True, "unit": "ha",
        "min": 0, "exclusive_min": True, "max": 100000, "step": 0.01,
        "help_text": "Cultivated area in hectares (1 ha = 10,000 m²). Must be greater than zero. "
                     "Rainfall totals per farm are scaled by this value.",
    },
    "latitude": {
        "name": "latitude", "label": "Latitude", "type": "number", "required": True, "unit": "°",
        "min": -90, "max": 90, "step": 0.000001,
        "help_text": "WGS84 latitude of the field centre in decimal degrees; north is positive.",
    },
    "longitude": {
        "name": "longitude", "label": "Longitude", "type": "number", "required": True, "unit": "°",
        "min": -180, "max": 180, "step": 0.000001,
        "help_text": "WGS84 longitude of the field centre in decimal degrees; east is positive.",
    },
    "irrigated": {
        "name": "irrigated", "label": "Irrigated", "type": "checkbox", "required": False, "default": False,
        "help_text": "Tick when the field has working irrigation. Drought alerts are then raised "
                     "later, because a low rainfall total alone is not a risk.",
    },
    "notes": {
        "name": "notes", "label": "Notes", "type": "textarea", "required": False, "max_length": 2000,
        "rows": 4,
        "help_text": "Free text for the agronomist: soil type, drainage problems, access roads, "
                     "contacts. Not shown to integrations.",
    },
    "created_at": {
        "name": "created_at", "label": "Registered on", "type": "date", "required": False,
        "read_only": True, "format": "YYYY-MM-DD",
        "help_text": "The day the farm was added. Set by the server and cannot be changed.",
    },
}

_CROP_NDVI = {
    "wheat": [0.2, 0.85], "maize": [0.2, 0.9], "barley": [0.2, 0.8], "soy": [0.2, 0.88],
    "rice": [0.1, 0.85], "sunflower": [0.2, 0.8], "potato": [0.15, 0.8], "vineyard": [0.25, 0.7],
    "olive": [0.3, 0.6], "orchard": [0.3, 0.75], "fallow": [0.0, 0.4],
}
for _option in FIELDS["crop"]["options"]:
    _option["ndvi_range"] = _CROP_NDVI[_option["value"]]

# Messages a form shows next to a field; the API's own 400 messages may differ.
_ERRORS = {
    "name": {"required": "Give the farm a name.", "max_length": "Use at most 120 characters."},
    "owner": {"max_length": "Use at most 120 characters."},
    "crop": {"required": "Choose the main crop.", "invalid_choice": "Choose one of the listed crops."},
    "area_ha": {"required": "Enter the area in hectares.", "min": "The area must be greater than 0 ha.",
                "max": "Areas above 100,000 ha are not accepted; split the farm instead."},
    "latitude": {"required": "Enter the latitude.", "range": "Latitude lies between -90 and 90 degrees."},
    "longitude": {"required": "Enter the longitude.", "range": "Longitude lies between -180 and 180 degrees."},
    "irrigated": {},
    "notes": {"max_length": "Notes are limited to 2,000 characters."},
    "created_at": {},
}
_WIDTH = {"name": "full", "owner": "half", "crop": "half", "area_ha": "third", "latitude": "third",
          "longitude": "third", "irrigated": "half", "notes": "full", "created_at": "half"}
for _order, (_name, _field) in enumerate(FIELDS.items(), start=1):
    _field["error_messages"] = _ERRORS[_name]
    _field["ui"] = {"width": _WIDTH[_name], "order": _order}

_EXAMPLES = {
    "name": ["North Ridge Fields", "Cascina Bianca", "Parcel 12 (east)"],
    "owner": ["A. Meyer", "Coop Vallée du Rhône"],
    "area_ha": [12.5, 240, 1875.75],
    "latitude": [45.464211, 52.520008],
    "longitude": [9.191383, 13.404954],
    "notes": ["Heavy clay, drains slowly after storms. Gate code at the co-op office."],
}
for _name, _examples in _EXAMPLES.items():
    FIELDS[_name]["examples"] = _examples

V1_ORDER = ["name", "owner", "crop", "area_ha", "latitude", "longitude", "irrigated", "notes", "created_at"]

_V2_SECTIONS = [
    ("identity", "Identity", "Who owns the farm and what grows on it.", ["name", "owner", "crop"]),
    ("land", "Land", "Where the farm is and how large it is.", ["area_ha", "location", "irrigated"]),
    ("notes", "Notes", "Free text and record keeping.", ["notes", "created_at"]),
]

_LOCATION = {
    "name": "location", "label": "Location", "type": "geo_point", "required": True,
    "maps_to": {"latitude": "latitude", "longitude": "longitude"}, "crs": "EPSG:4326",
    "fallback": [copy.deepcopy(FIELDS["latitude"]), copy.deepcopy(FIELDS["longitude"])],
    "help_text": "Pick the field centre on the map, or type the coordinates. A UI that cannot show "
                 "a map should render the fallback fields instead; the API still takes latitude "
                 "and longitude.",
}

TITLE = "Farm"
DESCRIPTION = ("Administrative form for a farm monitored by the weather and NDVI services. Changes "
                "take effect on the next data refresh, usually within fifteen minutes.")

ACTIONS = [
    {"id": "create", "label": "Add farm", "method": "POST", "path": "/api/v1/farms/",
     "confirm": None},
    {"id": "save", "label": "Save changes", "method": "PUT", "path": "/api/v1/farms/{id}/",
     "confirm": None},
    {"id": "delete", "label": "Delete farm", "method": "DELETE", "path": "/api/v1/farms/{id}/",
     "confirm": "Deleting a farm also deletes its NDVI state and all weather observations. "
                "This cannot be undone."},
]

SUPPORTED_VERSIONS = (1, 2)


def v1_fields() -> list:
    """Deep copies of v1's field descriptors, in form order."""
    return [copy.deepcopy(FIELDS[n]) for n in V1_ORDER]


def document(version: int) -> dict:
    """The schema document of the given version (1 or 2)."""
    if version == 2:
        fields = dict(FIELDS, location=_LOCATION)
        sections = [
            {"id": sid, "title": title, "description": desc, "fields": [copy.deepcopy(fields[n]) for n in names]}
            for sid, title, desc, names in _V2_SECTIONS
        ]
        return {"schema_version": 2, "title": TITLE, "description": DESCRIPTION, "sections": sections,
                "actions": copy.deepcopy(ACTIONS)}
    return {
        "schema_version": 1, "title": TITLE, "description": DESCRIPTION,
        "fields": v1_fields(),
        "actions": copy.deepcopy(ACTIONS),
    }
