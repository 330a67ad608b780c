from farms import faults

from .base import DemoTestCase


class SchemaTests(DemoTestCase):
    def test_switch(self):
        v1 = self.client.get("/api/v1/admin/farms/schema")
        self.assertEqual((v1.json()["schema_version"], v1["X-Schema-Version"]), (1, "1"))
        self.assertIn("fields", v1.json())
        self.assertGreater(len(v1.content), 5000)

        self.assertEqual(self.control("post", "schema", {"version": 2}), {"schema_version": 2})
        v2 = self.client.get("/api/v1/admin/farms/schema")
        self.assertEqual((v2.json()["schema_version"], v2["X-Schema-Version"]), (2, "2"))
        types = {f["type"] for s in v2.json()["sections"] for f in s["fields"]}
        self.assertIn("geo_point", types)
        self.assertEqual(self.control("get", "health"), {"ok": True, "schema_version": 2})
        self.assertEqual(self.anon.post("/__demo/schema", {"version": 3}, format="json").status_code, 400)

    def test_control_is_loopback_only(self):
        self.assertEqual(self.anon.get("/__demo/health", REMOTE_ADDR="10.1.2.3").status_code, 403)


class FaultTests(DemoTestCase):
    def test_kinds(self):
        cases = [
            ("json 503", {"fail_rate": 1}, 503, "application/json"),
            ("html 502", {"fail_rate": 1, "fail_status": 502, "html_errors": True}, 502, "text/html"),
            ("rate limit", {"rate_limit": True, "retry_after": 9}, 429, "application/json"),
            ("reset", {"reset_connections": True}, 502, None),
            ("other path", {"fail_rate": 1, "paths": "/observations/"}, 200, "application/json"),
        ]
        for name, body, status, content_type in cases:
            with self.subTest(name):
                self.control("post", "faults", body)
                response = self.client.get("/api/v1/farms/")
                self.assertEqual(response.status_code, status)
                if content_type:
                    self.assertTrue(response["Content-Type"].startswith(content_type))
                self.assertEqual(self.client.get("/__demo/health").status_code, 200)  # never faulted
        self.control("post", "faults", {"rate_limit": True, "retry_after": 9})
        self.assertEqual(self.client.get("/api/v1/farms/")["Retry-After"], "9")
        self.control("post", "faults", {"fail_rate": 1, "html_errors": True})
        self.assertIn(b"503 Service Temporarily Unavailable", self.client.get("/api/v1/farms/").content)
        self.control("delete", "faults")
        self.assertEqual(self.client.get("/api/v1/farms/").status_code, 200)

    def test_rate_is_exact(self):
        self.control("post", "faults", {"fail_rate": 0.5, "max_faults": 2})
        got = [self.client.get("/api/v1/farms/1/").status_code for _ in range(6)]
        self.assertEqual(got, [503, 200, 503, 200, 200, 200])
        stats = self.control("get", "stats")
        self.assertEqual(stats["faults"], {"GET /api/v1/farms/{id}/": 2})
        self.assertEqual(stats["requests"]["GET /api/v1/farms/{id}/"], 6)
        self.assertEqual(self.control("delete", "stats")["requests"], {})

    def test_picked(self):
        cases = [(1.0, 0, [True] * 4), (0.0, 0, [False] * 4), (0.25, 0, [True, False, False, False, True]),
                 (1.0, 2, [True, True, False]), (0.1, 0, [True] + [False] * 9 + [True])]
        for rate, limit, want in cases:
            with self.subTest(rate=rate, limit=limit):
                self.assertEqual([faults.picked(n, rate, limit) for n in range(1, len(want) + 1)], want)

    def test_invalid(self):
        for body in ({"fail_rate": 2}, {"paths": "("}, {"latency_ms": -1}):
            with self.subTest(body=body):
                self.assertEqual(self.anon.post("/__demo/faults", body, format="json").status_code, 400)
