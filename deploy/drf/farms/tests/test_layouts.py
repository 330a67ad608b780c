import io
import json
import os
from unittest import mock

from django.core.management import call_command

from .base import DemoTestCase

SCHEMA = "/api/v1/admin/farms/schema"
STATE = {"ndvi": 0.5, "observed_at": "2025-07-01T10:00:00Z", "source": "test",
         "tiles": [{"z": 1, "x": 0, "y": 1, "ndvi": 0.2}, {"z": 1, "x": 1, "y": 1, "ndvi": 0.9}]}
DOTTED_NAMES = ["farm.name", "farm.owner", "farm.crop", "farm.irrigated", "farm.notes", "site.area_ha",
                "site.location.latitude", "site.location.longitude", "meta.created_at"]
FARM_VALUES = {"name": "Layout farm", "owner": "A. Meyer", "crop": "soy", "area_ha": 12.5, "latitude": 45.46,
               "longitude": 9.19, "irrigated": True, "notes": "**Clay**, drains slowly."}


class SchemaLayoutTests(DemoTestCase):
    def schema(self, **layout):
        if layout:
            self.control("post", "layout", layout)
        response = self.client.get(SCHEMA)
        self.assertEqual(response.status_code, 200)
        return response, response.json()

    def test_v1_v2(self):
        response, doc = self.schema(schema="v1")
        self.assertEqual((doc["schema_version"], response["X-Schema-Version"]), (1, "1"))
        self.assertEqual(doc["fields"][0]["name"], "name")
        response, doc = self.schema(schema="v2")
        self.assertEqual((doc["schema_version"], response["X-Schema-Version"]), (2, "2"))
        self.assertIn("sections", doc)

    def test_v3_jsonschema(self):
        response, doc = self.schema(schema="v3-jsonschema")
        self.assertEqual(response["X-Schema-Version"], "3")
        self.assertEqual(doc["$schema"], "https://json-schema.org/draft/2020-12/schema")
        self.assertEqual((doc["schema_version"], doc["type"], doc["title"]), (3, "object", "Farm"))
        props = doc["properties"]
        self.assertEqual(set(props), {"name", "owner", "crop", "area_ha", "latitude", "longitude", "irrigated",
                                      "notes", "created_at"})
        self.assertEqual(props["crop"]["oneOf"][0]["const"], "wheat")
        self.assertEqual(props["crop"]["oneOf"][3]["title"], "Soybean")
        self.assertEqual((props["area_ha"]["exclusiveMinimum"], props["area_ha"]["maximum"]), (0, 100000))
        self.assertEqual((props["latitude"]["minimum"], props["latitude"]["x-unit"]), (-90, "°"))
        self.assertEqual((props["name"]["type"], props["name"]["maxLength"]), ("string", 120))
        self.assertIs(props["created_at"]["readOnly"], True)
        self.assertIs(props["irrigated"]["default"], False)
        self.assertIn("hectares", props["area_ha"]["description"])
        self.assertEqual(doc["required"], ["name", "crop", "area_ha", "latitude", "longitude"])

    def test_renamed_keys(self):
        response, doc = self.schema(schema="renamed-keys")
        self.assertEqual((doc["schema_version"], response["X-Schema-Version"]), (1, "1"))
        area = next(f for f in doc["fields"] if f["key"] == "area_ha")
        self.assertEqual((area["widget"], area["title"]), ("number", "Area"))
        self.assertIn("hectares", area["description"])
        self.assertEqual(area["constraints"], {"min": 0, "exclusive_min": True, "max": 100000, "step": 0.01})
        for field in doc["fields"]:
            self.assertFalse({"name", "type", "label", "help_text", "required", "max_length"} & set(field), field)
        self.assertEqual(doc["required"], ["name", "crop", "area_ha", "latitude", "longitude"])

    def test_choice_objects(self):
        response, doc = self.schema(schema="choice-objects")
        self.assertEqual((doc["schema_version"], response["X-Schema-Version"]), (1, "1"))
        crop = next(f for f in doc["fields"] if f["name"] == "crop")
        self.assertNotIn("options", crop)
        self.assertEqual(crop["choices"][0], {"value": "wheat", "display_name": "Wheat"})
        self.assertEqual(len(crop["choices"]), 11)

    def test_no_version(self):
        response, doc = self.schema(schema="no-version")
        self.assertNotIn("schema_version", doc)
        self.assertEqual(response["X-Schema-Version"], "1")
        self.assertIn("fields", doc)
        response, _ = self.schema(version_header=False)
        self.assertFalse(response.has_header("X-Schema-Version"))

    def test_dotted_groups(self):
        response, doc = self.schema(schema="dotted-groups")
        self.assertEqual((doc["schema_version"], response["X-Schema-Version"]), (4, "4"))
        self.assertNotIn("fields", doc)
        self.assertEqual([g["key"] for g in doc["groups"]], ["farm", "site", "meta"])
        fields = {}
        for group in doc["groups"]:
            self.assertEqual(set(group), {"key", "label", "fields", "required"})
            self.assertIsInstance(group["fields"], dict)
            self.assertTrue(set(group["required"]) <= set(group["fields"]), group)
            fields.update(group["fields"])
        self.assertEqual(list(fields), DOTTED_NAMES)
        for name, field in fields.items():
            self.assertFalse({"name", "type", "label", "help_text", "required", "default", "options"} & set(field), name)
            self.assertTrue({"kind", "display_name", "help"} <= set(field), name)
        kinds = {name: field["kind"] for name, field in fields.items()}
        self.assertEqual(kinds, {
            "farm.name": "string", "farm.owner": "string", "farm.crop": "choice", "site.area_ha": "decimal",
            "site.location.latitude": "float", "site.location.longitude": "float", "farm.irrigated": "toggle",
            "farm.notes": "markdown", "meta.created_at": "datetime"})
        area = fields["site.area_ha"]
        self.assertEqual((area["display_name"], area["unit"]), ("Area", "ha"))
        self.assertIn("hectares", area["help"])
        self.assertEqual(area["validation"], {"exclusiveMinimum": 0, "maximum": 100000, "multipleOf": 0.01})
        self.assertEqual(fields["site.location.latitude"]["validation"],
                         {"minimum": -90, "maximum": 90, "multipleOf": 0.000001})
        self.assertEqual(fields["farm.name"]["validation"], {"maxLength": 120})
        self.assertEqual(fields["farm.notes"]["validation"], {"maxLength": 2000})
        crop = fields["farm.crop"]["choices"]
        self.assertEqual((len(crop), list(crop)[0], crop["soy"]), (11, "wheat", "Soybean"))
        self.assertIs(fields["farm.irrigated"]["initial"], False)
        self.assertIs(fields["meta.created_at"]["read_only"], True)
        required = [n for g in doc["groups"] for n in g["required"]]
        self.assertEqual(required, ["farm.name", "farm.crop", "site.area_ha", "site.location.latitude",
                                    "site.location.longitude"])
        self.assertEqual(doc["groups"][2]["required"], [])

    def test_enum_names(self):
        response, doc = self.schema(schema="enum-names")
        self.assertEqual((doc["schema_version"], response["X-Schema-Version"]), (5, "5"))
        names = [f["name"] for f in doc["fields"]]
        self.assertEqual(names, ["name", "owner_name", "crop", "area_ha", "latitude", "longitude", "irrigated",
                                 "notes", "created_at"])
        owner = doc["fields"][1]
        self.assertEqual((owner["source"], owner["label"], owner["required"]), ("owner", "Owner", False))
        self.assertEqual([k for k in owner if k in ("name", "source")], ["name", "source"])
        self.assertEqual([f for f in doc["fields"] if "source" in f], [owner])
        crop = doc["fields"][2]
        self.assertNotIn("options", crop)
        self.assertEqual((len(crop["enum"]), crop["enum"][3], crop["enumNames"][3]), (11, "soy", "Soybean"))
        self.assertEqual(len(crop["enumNames"]), len(crop["enum"]))
        for field in doc["fields"]:
            self.assertIsInstance(field["required"], bool, field["name"])
        self.assertEqual([f["name"] for f in doc["fields"] if f["required"]],
                         ["name", "crop", "area_ha", "latitude", "longitude"])
        self.assertEqual(len(doc["actions"]), 3)

    def test_new_layouts_describe_the_serializer(self):
        """dotted-groups and enum-names name the same writable and required
        fields as the API's serializer (OPTIONS), and a body built from their
        names (dotted: last segment; enum-names: `source`, else `name`) is accepted."""
        post = self.client.options("/api/v1/farms/").json()["actions"]["POST"]
        writable = {n for n, d in post.items() if not d["read_only"]}
        required = {n for n, d in post.items() if d["required"]}
        _, dotted = self.schema(schema="dotted-groups")
        _, enums = self.schema(schema="enum-names")
        layouts = {
            "dotted-groups": [
                (name.rsplit(".", 1)[-1], field.get("read_only", False), name in group["required"])
                for group in dotted["groups"] for name, field in group["fields"].items()
            ],
            "enum-names": [
                (f.get("source", f["name"]), f.get("read_only", False), f["required"]) for f in enums["fields"]
            ],
        }
        for layout, fields in layouts.items():
            with self.subTest(layout=layout):
                self.assertEqual({n for n, ro, _ in fields if not ro}, writable)
                self.assertEqual({n for n, _, req in fields if req}, required)
                self.assertEqual({n for n, ro, _ in fields if ro}, {"created_at"})
                self.assertTrue({n for n, _, _ in fields} <= set(post))
                body = dict(FARM_VALUES)
                created = self.client.post("/api/v1/farms/", {n: body[n] for n, ro, _ in fields if not ro},
                                           format="json")
                self.assertEqual(created.status_code, 201, created.content)
                self.assertEqual(created.json()["owner"], "A. Meyer")

    def test_new_layouts_in_openapi(self):
        for layout, version in (("dotted-groups", 4), ("enum-names", 5)):
            with self.subTest(layout=layout):
                self.control("post", "layout", {"schema": layout})
                doc = json.loads(self.client.get("/api/v1/schema/").content)  # vnd.oai.openapi+json
                body = doc["paths"][SCHEMA]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
                self.assertEqual((body["required"], body["properties"]["schema_version"]["type"]),
                                 (["schema_version"], "integer"))
                self.assertEqual(self.control("get", "health"), {"ok": True, "schema_version": version})

    def test_version_override(self):
        cases = [("v2", "7", 7), ("v1", 12, 12), ("v3-jsonschema", "2025-06", "2025-06"), ("renamed-keys", "-1", -1),
                 ("dotted-groups", "2025-06", "2025-06"), ("enum-names", 9, 9)]
        for layout, given, want in cases:
            with self.subTest(layout=layout, given=given):
                answer = self.control("post", "layout", {"schema": layout, "schema_version": given})
                self.assertEqual((answer["schema_version"], answer["declared_version"]), (want, want))
                response, doc = self.schema()
                self.assertEqual((doc["schema_version"], response["X-Schema-Version"]), (want, str(want)))
                self.assertEqual(self.client.get("/api/v1/farms/1/")["X-Schema-Version"], str(want))
        response, doc = self.schema(schema="no-version", schema_version=5)
        self.assertEqual((response["X-Schema-Version"], "schema_version" in doc), ("5", False))
        response, doc = self.schema(schema="v2", schema_version=None)
        self.assertEqual((doc["schema_version"], response["X-Schema-Version"]), (2, "2"))

    def test_version_header_toggle(self):
        self.control("post", "layout", {"version_header": False})
        for response in (self.client.get("/api/v1/farms/"), self.anon.get("/api/v1/farms/"), self.client.get(SCHEMA)):
            self.assertFalse(response.has_header("X-Schema-Version"))
        self.assertEqual(self.anon.get("/__demo/health")["X-Schema-Version"], "1")  # control answers keep it
        self.control("post", "layout", {"version_header": True})
        self.assertEqual(self.client.get("/api/v1/farms/")["X-Schema-Version"], "1")


class LayoutControlTests(DemoTestCase):
    DEFAULT = {"schema": "v1", "farm_state": "flat", "observation": "plain", "schema_version": None,
               "version_header": True, "declared_version": 1}

    def test_partial_update(self):
        self.assertEqual(self.control("get", "layout"), self.DEFAULT)
        answer = self.control("post", "layout", {"observation": "renamed-id", "schema": "v2"})
        self.assertEqual(answer, dict(self.DEFAULT, observation="renamed-id", schema="v2", declared_version=2))
        answer = self.control("post", "layout", {"farm_state": "ndvi-object"})
        self.assertEqual((answer["schema"], answer["observation"], answer["farm_state"]), ("v2", "renamed-id", "ndvi-object"))
        self.assertEqual(self.control("get", "layout"), answer)
        self.assertEqual(self.control("post", "layout", answer), answer)  # declared_version is ignored

    def test_invalid(self):
        for body, field in [({"schema": "v9"}, "schema"), ({"farm_state": "nested"}, "farm_state"),
                            ({"schema_version": True}, "schema_version"), ({"schema_version": "a\nb"}, "schema_version"),
                            ({"schema_version": " 1"}, "schema_version"), ({"version_header": "maybe"}, "version_header"),
                            ({"schem": "v2"}, "schem")]:
            with self.subTest(body=body):
                response = self.anon.post("/__demo/layout", body, format="json")
                self.assertEqual(response.status_code, 400)
                self.assertIn(field, response.json())
        self.assertEqual(self.control("get", "layout"), self.DEFAULT)

    def test_schema_switch_sets_layout(self):
        self.control("post", "layout", {"schema": "v3-jsonschema", "schema_version": "9"})
        self.assertEqual(self.control("get", "health"), {"ok": True, "schema_version": 9})
        self.assertEqual(self.control("post", "schema", {"version": 2}), {"schema_version": 2})
        layout = self.control("get", "layout")
        self.assertEqual((layout["schema"], layout["schema_version"]), ("v2", None))
        self.assertEqual(self.control("get", "schema"), {"schema_version": 2})

    def test_seed_keeps_layout(self):
        self.control("post", "layout", {"schema": "renamed-keys", "farm_state": "ndvi-object"})
        call_command("seed", "--clear-faults", stdout=io.StringIO())
        self.assertEqual(self.control("get", "layout")["farm_state"], "ndvi-object")
        self.assertEqual(self.control("get", "layout")["schema"], "renamed-keys")
        self.control("post", "layout", {"schema_version": 4})
        with mock.patch.dict(os.environ, {"DRF_DEMO_SCHEMA_VERSION": "2"}):
            call_command("seed", "--clear-faults", stdout=io.StringIO())
        layout = self.control("get", "layout")
        self.assertEqual((layout["schema"], layout["schema_version"], layout["farm_state"]), ("v2", None, "ndvi-object"))


class FarmStateLayoutTests(DemoTestCase):
    URL = "/api/v1/farms/1/state"

    def test_ndvi_object_get_derives_min_max(self):
        flat = self.client.get(self.URL).json()
        self.control("post", "layout", {"farm_state": "ndvi-object"})
        state = self.client.get(self.URL).json()
        self.assertEqual(list(state), ["farm_id", "observed_at", "ndvi", "source", "tiles"])
        values = [flat["ndvi"]] + [t["ndvi"] for t in flat["tiles"]]
        self.assertEqual(state["ndvi"], {"mean": flat["ndvi"], "min": min(values), "max": max(values)})
        self.assertEqual((state["farm_id"], state["tiles"]), (1, flat["tiles"]))

    def test_ndvi_object_put(self):
        self.control("post", "layout", {"farm_state": "ndvi-object"})
        number = self.client.put(self.URL, STATE, format="json")
        self.assertEqual(number.status_code, 200, number.content)
        self.assertEqual(number.json()["ndvi"], {"mean": 0.5, "min": 0.2, "max": 0.9})
        summary = {"mean": 0.4, "min": 0.1, "max": 0.95}
        put = self.client.put(self.URL, dict(STATE, ndvi=summary, farm_id=99), format="json")
        self.assertEqual((put.status_code, put.json()["ndvi"], put.json()["farm_id"]), (200, summary, 1))
        self.assertEqual(self.client.get(self.URL).json()["ndvi"], summary)
        partial = self.client.put(self.URL, dict(STATE, ndvi={"mean": 0.6, "max": 0.7}), format="json")
        self.assertEqual(partial.json()["ndvi"], {"mean": 0.6, "min": 0.2, "max": 0.7})

        self.control("post", "layout", {"farm_state": "flat"})
        self.assertEqual(self.client.get(self.URL).json()["ndvi"], 0.6)
        self.client.put(self.URL, dict(STATE, ndvi=0.3), format="json")  # a flat PUT forgets min/max
        self.control("post", "layout", {"farm_state": "ndvi-object"})
        self.assertEqual(self.client.get(self.URL).json()["ndvi"], {"mean": 0.3, "min": 0.2, "max": 0.9})

    def test_invalid(self):
        self.control("post", "layout", {"farm_state": "ndvi-object"})
        for ndvi in ({"mean": 0.5, "min": 0.6}, {"min": 0.1}, 1.5, "high", True):
            with self.subTest(ndvi=ndvi):
                response = self.client.put(self.URL, dict(STATE, ndvi=ndvi), format="json")
                self.assertEqual(response.status_code, 400)
                self.assertIn("ndvi", response.json())
        self.control("post", "layout", {"farm_state": "flat"})
        flat = self.client.put(self.URL, dict(STATE, ndvi={"mean": 0.5}), format="json")
        self.assertEqual((flat.status_code, list(flat.json())), (400, ["ndvi"]))


class ObservationLayoutTests(DemoTestCase):
    BODY = {"farm": 1, "station": "WS-9", "observed_at": "2025-07-01T00:00:00Z", "temperature_c": 20,
            "humidity_pct": 50, "rainfall_mm": 0, "wind_kph": 3}

    def test_renamed_id(self):
        self.control("post", "layout", {"observation": "renamed-id"})
        first = self.client.get("/api/v1/observations/?farm=2").json()["results"][0]
        self.assertIn("observation_id", first)
        self.assertNotIn("id", first)
        created = self.client.post("/api/v1/observations/", self.BODY, format="json").json()
        self.assertEqual(list(created)[:2], ["observation_id", "farm"])
        self.control("post", "layout", {"observation": "plain"})
        again = self.client.get("/api/v1/observations/?farm=2").json()["results"][0]
        self.assertEqual(again["id"], first["observation_id"])
