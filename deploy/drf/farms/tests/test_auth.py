from .base import DemoTestCase


class TokenTests(DemoTestCase):
    def test_obtain_and_rotate(self):
        pair = self.obtain().json()
        self.assertEqual(set(pair), {"access", "refresh"})

        rotated = self.anon.post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json")
        self.assertEqual(rotated.status_code, 200, rotated.content)
        self.assertEqual(set(rotated.json()), {"access", "refresh"})
        self.assertNotEqual(rotated.json()["refresh"], pair["refresh"])

        # BLACKLIST_AFTER_ROTATION: the old refresh token is spent.
        reused = self.anon.post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json")
        self.assertEqual(reused.status_code, 401)
        self.assertEqual(reused.json()["code"], "token_not_valid")

        again = self.anon.post("/api/v1/auth/token/refresh/", {"refresh": rotated.json()["refresh"]}, format="json")
        self.assertEqual(again.status_code, 200, again.content)

        stats = self.control("get", "stats")
        self.assertEqual(stats["token_obtain"], 2)  # setUp + this test
        self.assertEqual(stats["token_refresh"], 2)
        self.assertEqual(stats["requests"]["POST /api/v1/auth/token/refresh/"], 3)

    def test_rejections(self):
        cases = [
            ("wrong password", lambda: self.obtain(password="nope"), 401),
            ("no token", lambda: self.anon.get("/api/v1/farms/"), 401),
            ("garbage token", lambda: self.anon.get("/api/v1/farms/", HTTP_AUTHORIZATION="Bearer x.y.z"), 401),
            ("missing fields", lambda: self.anon.post("/api/v1/auth/token/", {}, format="json"), 400),
        ]
        for name, call, want in cases:
            with self.subTest(name):
                response = call()
                self.assertEqual(response.status_code, want)
                self.assertEqual(response["Content-Type"], "application/json")
                self.assertEqual(response["X-Schema-Version"], "1")
