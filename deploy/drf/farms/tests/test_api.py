from .base import DemoTestCase

FARM = {"name": "Test Farm", "owner": "T", "crop": "maize", "area_ha": 12.5, "latitude": 45.1, "longitude": 7.6}


class FarmTests(DemoTestCase):
    def test_pagination(self):
        for n in range(30):  # 25 seeded + 30 = 55: two pages of 50
            created = self.client.post("/api/v1/farms/", dict(FARM, name=f"F{n}"), format="json")
            self.assertEqual(created.status_code, 201)
        first = self.client.get("/api/v1/farms/").json()
        self.assertEqual((first["count"], len(first["results"]), first["previous"]), (55, 50, None))
        self.assertTrue(first["next"].endswith("/api/v1/farms/?page=2"))
        second = self.client.get("/api/v1/farms/?page=2").json()
        self.assertEqual((len(second["results"]), second["next"]), (5, None))
        self.assertEqual(self.client.get("/api/v1/farms/?page=9").status_code, 404)

    def test_validation(self):
        cases = [
            ("name required", {k: v for k, v in FARM.items() if k != "name"}, "name"),
            ("area positive", dict(FARM, area_ha=0), "area_ha"),
            ("crop choice", dict(FARM, crop="banana"), "crop"),
            ("latitude range", dict(FARM, latitude=91), "latitude"),
        ]
        for name, body, field in cases:
            with self.subTest(name):
                response = self.client.post("/api/v1/farms/", body, format="json")
                self.assertEqual(response.status_code, 400)
                self.assertIsInstance(response.json()[field], list)

    def test_crud(self):
        created = self.client.post("/api/v1/farms/", FARM, format="json").json()
        url = f"/api/v1/farms/{created['id']}/"
        self.assertEqual(self.client.patch(url, {"irrigated": True}, format="json").json()["irrigated"], True)
        self.assertEqual(self.client.put(url, dict(FARM, name="Renamed"), format="json").json()["name"], "Renamed")
        self.assertEqual(self.client.delete(url).status_code, 204)
        missing = self.client.get(url)
        self.assertEqual((missing.status_code, missing.json()), (404, {"detail": "Not found."}))
        self.assertEqual(self.client.get("/api/v1/farms").status_code, 404)  # APPEND_SLASH=False

    def test_ndvi_state(self):
        state = self.client.get("/api/v1/farms/1/state").json()
        self.assertEqual(state["farm"], 1)
        self.assertTrue(-1 <= state["ndvi"] <= 1)
        body = {"ndvi": 0.42, "observed_at": "2025-07-01T10:00:00Z", "source": "test",
                "tiles": [{"z": 1, "x": 0, "y": 1, "ndvi": 0.4}]}
        put = self.client.put("/api/v1/farms/1/state", body, format="json")
        self.assertEqual(put.status_code, 200, put.content)
        self.assertEqual(self.client.get("/api/v1/farms/1/state").json()["ndvi"], 0.42)
        bad = self.client.put("/api/v1/farms/1/state", dict(body, ndvi=1.5), format="json")
        self.assertIn("ndvi", bad.json())
        self.assertEqual(self.client.get("/api/v1/farms/999/state").status_code, 404)


class ObservationTests(DemoTestCase):
    def test_filters(self):
        everything = self.client.get("/api/v1/observations/").json()
        self.assertEqual(everything["count"], 200)
        farm2 = self.client.get("/api/v1/observations/?farm=2").json()
        self.assertEqual(farm2["count"], 8)
        recent = self.client.get("/api/v1/observations/?farm=2&since=2025-06-02T00:00:00Z").json()
        self.assertEqual(recent["count"], 4)
        self.assertIn("since", self.client.get("/api/v1/observations/?since=yesterday").json())

    def test_create(self):
        body = {"farm": 1, "station": "WS-9", "observed_at": "2025-07-01T00:00:00Z", "temperature_c": 20,
                "humidity_pct": 50, "rainfall_mm": 0, "wind_kph": 3}
        self.assertEqual(self.client.post("/api/v1/observations/", body, format="json").status_code, 201)
        bad = self.client.post("/api/v1/observations/", dict(body, humidity_pct=120, farm=999), format="json")
        self.assertEqual(bad.status_code, 400)
        self.assertEqual(set(bad.json()), {"humidity_pct", "farm"})
