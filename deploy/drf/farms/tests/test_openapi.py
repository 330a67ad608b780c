import json
import warnings

from .base import DemoTestCase

FARM_PATHS = {"/api/v1/farms/", "/api/v1/farms/{id}/", "/api/v1/farms/{id}/state", "/api/v1/admin/farms/schema",
              "/api/v1/observations/"}


class OpenAPITests(DemoTestCase):
    def document(self, **headers):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            response = self.client.get("/api/v1/schema/", **headers)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual([str(w.message) for w in caught if "rest_framework" in w.filename], [])
        return response, json.loads(response.content)

    def test_document(self):
        response, doc = self.document()
        self.assertEqual(response["Content-Type"], "application/vnd.oai.openapi+json")
        self.assertTrue(doc["openapi"].startswith("3."))
        self.assertTrue(FARM_PATHS <= set(doc["paths"]), list(doc["paths"]))
        self.assertFalse([p for p in doc["paths"] if p.startswith("/__demo/") or p == "/api/v1/schema/"])
        self.assertEqual(set(doc["paths"]["/api/v1/farms/{id}/"]), {"get", "put", "patch", "delete"})
        farm = doc["components"]["schemas"]["Farm"]
        self.assertEqual(farm["properties"]["crop"]["enum"][0], "wheat")
        self.assertIn("name", farm["required"])
        form = doc["paths"]["/api/v1/admin/farms/schema"]["get"]
        self.assertEqual(form["operationId"], "retrieveFarmSchema")
        body = form["responses"]["200"]["content"]["application/json"]["schema"]
        self.assertEqual((body["type"], body["required"], body["additionalProperties"]), ("object", ["schema_version"], True))
        response, _ = self.document(HTTP_ACCEPT="application/json")
        self.assertEqual(response["Content-Type"], "application/json")

    def test_follows_layouts(self):
        _, before = self.document()
        state = before["components"]["schemas"]["NdviState"]["properties"]
        self.assertEqual((set(state), state["ndvi"]["type"]), ({"farm", "ndvi", "observed_at", "source", "tiles"}, "number"))
        self.control("post", "layout", {"farm_state": "ndvi-object", "observation": "renamed-id", "schema": "no-version"})
        _, after = self.document()
        self.assertNotEqual(before, after)
        state = after["components"]["schemas"]["NdviState"]["properties"]
        self.assertEqual(set(state), {"farm_id", "ndvi", "observed_at", "source", "tiles"})
        self.assertEqual((state["ndvi"]["type"], set(state["ndvi"]["properties"])), ("object", {"mean", "min", "max"}))
        self.assertIn("observation_id", after["components"]["schemas"]["Observation"]["properties"])
        get_state = after["paths"]["/api/v1/farms/{id}/state"]["get"]["responses"]["200"]["content"]
        self.assertEqual(get_state["application/json"]["schema"], {"$ref": "#/components/schemas/NdviState"})
        form = after["paths"]["/api/v1/admin/farms/schema"]["get"]["responses"]["200"]["content"]
        self.assertNotIn("required", form["application/json"]["schema"])

    def test_needs_token(self):
        response = self.anon.get("/api/v1/schema/")
        self.assertEqual((response.status_code, response["Content-Type"]), (401, "application/json"))
        self.assertIn("detail", response.json())


class MetadataTests(DemoTestCase):
    def test_options_farms(self):
        response = self.client.options("/api/v1/farms/")
        self.assertEqual(response.status_code, 200)
        meta = response.json()
        post = meta["actions"]["POST"]
        self.assertEqual(post["name"], {"type": "string", "required": True, "read_only": False, "label": "Name",
                                        "max_length": 120})
        self.assertEqual((post["id"]["read_only"], post["created_at"]["read_only"]), (True, True))
        crop = post["crop"]
        self.assertEqual((crop["type"], crop["required"], crop["label"]), ("choice", True, "Crop"))
        self.assertEqual(crop["choices"][0], {"value": "wheat", "display_name": "Wheat"})
        self.assertEqual((post["area_ha"]["type"], post["area_ha"]["max_value"]), ("float", 100000))
        self.assertEqual((post["irrigated"]["type"], post["irrigated"]["required"]), ("boolean", False))
        self.assertEqual(post["notes"]["max_length"], 2000)
        self.assertEqual(self.anon.options("/api/v1/farms/").status_code, 401)
