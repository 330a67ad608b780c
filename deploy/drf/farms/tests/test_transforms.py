import copy
import io

from django.core.management import call_command
from django.test import SimpleTestCase

from farms import transforms

from .base import DemoTestCase

DOC = {
    "schema_version": 2,
    "sections": [{"id": "a", "fields": [{"name": "x", "n": 1}, {"name": "y", "n": 2}]},
                 {"id": "b", "fields": [{"name": "z", "n": 3}]}],
    "results": [{"id": 1, "v": 0.5}, {"id": 2, "v": None}, "not an object"],
    "ndvi": 0.42,
}


def run(op, body=None):
    return transforms.apply_op(copy.deepcopy(DOC if body is None else body), op)


class PathTests(SimpleTestCase):
    def test_parse(self):
        self.assertEqual(transforms.parse_path("ndvi"), [("ndvi", 0)])
        self.assertEqual(transforms.parse_path("results[].id"), [("results", 1), ("id", 0)])
        self.assertEqual(transforms.parse_path("sections[].fields[].name"),
                         [("sections", 1), ("fields", 1), ("name", 0)])
        self.assertEqual(transforms.parse_path("[].id"), [("", 1), ("id", 0)])
        self.assertEqual(transforms.parse_path("m[][]"), [("m", 2)])
        self.assertEqual(transforms.parse_path("$schema"), [("$schema", 0)])
        for bad in ("", "a..b", ".a", "a.", "a[", "a[0]", "a].b", "a.[]", "[]x"):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                transforms.parse_path(bad)


class OpTests(SimpleTestCase):
    def test_rename_keeps_position(self):
        out = run({"op": "rename", "path": "ndvi", "to": "ndvi_mean"})
        self.assertEqual(list(out), ["schema_version", "sections", "results", "ndvi_mean"])
        out = run({"op": "rename", "path": "sections[].fields[].name", "to": "key"})
        self.assertEqual([f["key"] for s in out["sections"] for f in s["fields"]], ["x", "y", "z"])
        self.assertEqual(list(out["sections"][0]["fields"][0]), ["key", "n"])
        out = run({"op": "rename", "path": "results[].id", "to": "v"})  # replaces the existing v
        self.assertEqual(out["results"][:2], [{"v": 1}, {"v": 2}])

    def test_nest(self):
        self.assertEqual(run({"op": "nest", "path": "ndvi", "into": "mean"})["ndvi"], {"mean": 0.42})
        out = run({"op": "nest", "path": "results[]", "into": "item"})
        self.assertEqual(out["results"][2], {"item": "not an object"})
        self.assertEqual(run({"op": "nest", "path": "[]", "into": "o"}, [1, 2]), [{"o": 1}, {"o": 2}])

    def test_retype(self):
        cases = [
            (0.42, "string", "0.42"), (3, "string", "3"), (True, "string", "true"), ({"a": 1}, "string", '{"a":1}'),
            ("abc", "number", 3), (False, "number", 0), ([1, 2], "number", 2), (7, "number", 7),
            (0, "bool", False), ("x", "bool", True), ([], "bool", False),
            (5, "object", {"value": 5}), ({"a": 1}, "object", {"a": 1}),
            (5, "array", [5]), ([5], "array", [5]), ("s", "string", "s"),
        ] + [(None, kind, None) for kind in transforms.TYPES]
        for value, kind, want in cases:
            with self.subTest(value=value, kind=kind):
                self.assertEqual(run({"op": "retype", "path": "k", "type": kind}, {"k": value}), {"k": want})
        out = run({"op": "retype", "path": "results[].v", "type": "string"})
        self.assertEqual([r.get("v", "-") if isinstance(r, dict) else r for r in out["results"]],
                         ["0.5", None, "not an object"])

    def test_add_and_remove(self):
        out = run({"op": "add", "path": "results[].extra", "value": {"deep": [1]}})
        self.assertEqual(out["results"][0]["extra"], {"deep": [1]})
        out["results"][0]["extra"]["deep"].append(2)
        self.assertEqual(out["results"][1]["extra"], {"deep": [1]})  # a copy per element
        self.assertEqual(run({"op": "add", "path": "ndvi", "value": None})["ndvi"], None)
        self.assertEqual(run({"op": "remove", "path": "sections[].fields[].n"})["sections"][1]["fields"], [{"name": "z"}])
        self.assertNotIn("schema_version", run({"op": "remove", "path": "schema_version"}))

    def test_missing_paths_are_skipped(self):
        ops = [{"op": "rename", "path": "nope", "to": "x"}, {"op": "nest", "path": "ndvi.mean", "into": "x"},
               {"op": "retype", "path": "ndvi[]", "type": "string"}, {"op": "remove", "path": "a.b.c"},
               {"op": "add", "path": "missing.child", "value": 1}, {"op": "rename", "path": "[].id", "to": "x"},
               {"op": "retype", "path": "sections[].nope[].x", "type": "array"}]
        for op in ops:
            with self.subTest(op=op):
                self.assertEqual(run(op), DOC)

    def test_version_and_routes(self):
        rules = {"rules": [{"route": r"^GET /api/v1/farms/\{id\}/state$", "ops": [{"op": "remove", "path": "ndvi"}]}],
                 "version": "v9"}
        body, changed = transforms.apply(copy.deepcopy(DOC), rules, "GET /api/v1/farms/{id}/state")
        self.assertEqual((body["schema_version"], "ndvi" in body, changed), ("v9", False, True))
        body, changed = transforms.apply({"a": 1}, rules, "GET /api/v1/farms/")
        self.assertEqual((body, changed), ({"a": 1}, False))  # no schema_version member is added


class TransformsApiTests(DemoTestCase):
    STATE = "/api/v1/farms/1/state"

    def transforms(self, rules=(), **extra):
        return self.control("post", "transforms", dict({"rules": list(rules)}, **extra))

    def test_read_and_write_answers(self):
        self.transforms([
            {"route": r"^(GET|PUT) /api/v1/farms/\{id\}/state$",
             "ops": [{"op": "rename", "path": "ndvi", "to": "ndvi_value"}, {"op": "nest", "path": "ndvi_value", "into": "mean"},
                     {"op": "retype", "path": "tiles[].z", "type": "string"}]},
            {"route": "^POST /api/v1/observations/$", "ops": [{"op": "rename", "path": "id", "to": "uid"}]},
            {"route": "^GET /api/v1/observations/$", "ops": [{"op": "remove", "path": "results[].station"},
                                                             {"op": "add", "path": "generated", "value": True}]},
        ])
        state = self.client.get(self.STATE)
        self.assertEqual(int(state["Content-Length"]), len(state.content))
        self.assertNotIn("ndvi", state.json())
        self.assertIsInstance(state.json()["ndvi_value"]["mean"], float)
        self.assertIsInstance(state.json()["tiles"][0]["z"], str)
        put = self.client.put(self.STATE, {"ndvi": 0.3, "observed_at": "2025-07-01T10:00:00Z", "source": "t",
                                           "tiles": []}, format="json")
        self.assertEqual(put.json()["ndvi_value"], {"mean": 0.3})
        body = {"farm": 1, "station": "WS-9", "observed_at": "2025-07-01T00:00:00Z", "temperature_c": 20,
                "humidity_pct": 50, "rainfall_mm": 0, "wind_kph": 3}
        created = self.client.post("/api/v1/observations/", body, format="json")
        self.assertEqual(created.status_code, 201)
        self.assertIn("uid", created.json())
        listed = self.client.get("/api/v1/observations/").json()
        self.assertIs(listed["generated"], True)
        self.assertNotIn("station", listed["results"][0])
        farm = self.client.get("/api/v1/farms/2/").json()  # other routes untouched
        self.assertEqual(list(farm)[:2], ["id", "name"])
        self.assertNotIn("generated", farm)

    def test_errors_and_missing_paths_untouched(self):
        self.transforms([{"route": "farms", "ops": [{"op": "remove", "path": "detail"},
                                                    {"op": "retype", "path": "no.such[].path", "type": "bool"}]}])
        missing = self.client.get("/api/v1/farms/999/")
        self.assertEqual((missing.status_code, missing.json()), (404, {"detail": "Not found."}))
        ok = self.client.get("/api/v1/farms/1/")
        self.assertEqual((ok.status_code, ok.json()["id"]), (200, 1))

    def test_version_override_and_header(self):
        self.transforms(version="9")
        schema = self.client.get("/api/v1/admin/farms/schema")
        self.assertEqual((schema.json()["schema_version"], schema["X-Schema-Version"]), (9, "9"))
        self.assertEqual(self.client.get("/api/v1/farms/")["X-Schema-Version"], "9")
        self.assertEqual(self.control("get", "health")["schema_version"], 9)
        self.control("post", "layout", {"schema": "no-version"})
        self.assertNotIn("schema_version", self.client.get("/api/v1/admin/farms/schema").json())
        self.transforms(version="2025.1", version_header=False)
        self.assertFalse(self.client.get("/api/v1/farms/").has_header("X-Schema-Version"))
        self.control("post", "layout", {"schema": "v1", "version_header": False})
        self.transforms([{"route": "schema", "ops": [{"op": "retype", "path": "schema_version", "type": "string"}]}],
                        version=3, version_header=True)
        schema = self.client.get("/api/v1/admin/farms/schema")
        self.assertEqual((schema.json()["schema_version"], schema["X-Schema-Version"]), ("3", "3"))

    def test_control(self):
        empty = {"rules": [], "version": None, "version_header": None}
        self.assertEqual(self.control("get", "transforms"), empty)
        rule = {"route": "^GET ", "ops": [{"op": "add", "path": "x", "value": [1, {"a": None}]}]}
        answer = self.transforms([rule], version=4)
        self.assertEqual(answer, {"rules": [rule], "version": 4, "version_header": None})
        self.assertEqual(self.control("get", "transforms"), answer)
        self.assertEqual(self.client.get("/api/v1/farms/1/").json()["x"], [1, {"a": None}])
        self.assertEqual(self.control("delete", "transforms"), empty)
        self.assertNotIn("x", self.client.get("/api/v1/farms/1/").json())
        self.transforms([rule])
        call_command("seed", "--clear-faults", stdout=io.StringIO())
        self.assertEqual(self.control("get", "transforms"), empty)

    def test_invalid(self):
        cases = [
            ({"op": "explode", "path": "x"}, "op"),
            ({"op": "rename", "path": "a..b", "to": "c"}, "path"),
            ({"op": "rename", "path": "results[]", "to": "c"}, "path"),
            ({"op": "rename", "path": "x"}, "to"),
            ({"op": "nest", "path": "x", "to": "y", "into": "z"}, "to"),
            ({"op": "retype", "path": "x", "type": "date"}, "type"),
            ({"op": "add", "path": "x"}, "value"),
            ({"op": "remove", "path": "x", "colour": 1}, "colour"),
        ]
        for op, field in cases:
            with self.subTest(op=op):
                response = self.anon.post("/__demo/transforms", {"rules": [{"route": "x", "ops": [op]}]}, format="json")
                self.assertEqual(response.status_code, 400)
                self.assertIn(field, response.json()["rules"][0]["ops"][0])
        for body, field in [({"rules": [{"route": "(", "ops": []}]}, "route"), ({"version": [1]}, "version"),
                            ({"rules": [], "extra": 1}, "extra"), ({"version_header": "x"}, "version_header")]:
            with self.subTest(body=body):
                response = self.anon.post("/__demo/transforms", body, format="json")
                self.assertEqual(response.status_code, 400)
                errors = response.json()
                self.assertIn(field, errors["rules"][0] if field == "route" else errors)
        self.assertEqual(self.control("get", "transforms")["rules"], [])
