"""The token_max_age fault (farms.authentication): access tokens older than
the limit are refused like expired ones, fresh ones and refreshes still work."""
import time
from datetime import datetime, timedelta, timezone
from unittest import mock

from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from .base import DemoTestCase


class TokenMaxAgeTests(DemoTestCase):
    def test_old_token_refused_fresh_one_accepted(self):
        self.assertEqual(self.client.get("/api/v1/farms/1/").status_code, 200)
        stored = self.control("post", "faults", {"token_max_age": 5})["faults"]
        self.assertEqual(stored["token_max_age"], 5.0)
        self.assertEqual(self.client.get("/api/v1/farms/1/").status_code, 200)  # issued just now

        pair = self.obtain().json()
        later = time.time() + 6
        with mock.patch("farms.faults.time.time", return_value=later):
            refused = self.client.get("/api/v1/farms/1/")
            self.assertEqual(refused.status_code, 401)
            self.assertEqual(refused.json()["code"], "token_not_valid")
            self.assertEqual(refused["WWW-Authenticate"], 'Bearer realm="api"')
            self.assertEqual(refused["X-Schema-Version"], "1")
            # The refresh endpoint is not affected: a client renews and goes on.
            renewed = self.anon.post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json")
            self.assertEqual(renewed.status_code, 200, renewed.content)

        stats = self.control("get", "stats")
        self.assertEqual(stats["faults_by_kind"], {"token_expired": 1})
        self.assertEqual(stats["faults"], {"GET /api/v1/farms/{id}/": 1})

        fresh = self.client.get("/api/v1/farms/1/", HTTP_AUTHORIZATION="Bearer " + renewed.json()["access"])
        self.assertEqual(fresh.status_code, 200)
        self.control("delete", "faults")
        with mock.patch("farms.faults.time.time", return_value=later):
            self.assertEqual(self.client.get("/api/v1/farms/1/").status_code, 200)

    def test_refreshed_token_is_new(self):
        # An access token made by a refresh copies the refresh token's iat;
        # it is still a token made now, so the fault accepts it.
        user = get_user_model().objects.get(username=settings.DEMO_USERNAME)
        old = RefreshToken.for_user(user)
        old.set_iat(at_time=datetime.now(timezone.utc) - timedelta(hours=1))
        self.control("post", "faults", {"token_max_age": 5})
        renewed = self.anon.post("/api/v1/auth/token/refresh/", {"refresh": str(old)}, format="json")
        self.assertEqual(renewed.status_code, 200, renewed.content)
        access = renewed.json()["access"]
        self.assertLess(AccessToken(access)["iat"], time.time() - 3000)  # copied from the old refresh token
        got = self.client.get("/api/v1/farms/1/", HTTP_AUTHORIZATION="Bearer " + access)
        self.assertEqual(got.status_code, 200, got.content)
        with mock.patch("farms.faults.time.time", return_value=time.time() + 6):
            got = self.client.get("/api/v1/farms/1/", HTTP_AUTHORIZATION="Bearer " + access)
            self.assertEqual(got.status_code, 401)

    def test_paths_limit_the_fault(self):
        self.control("post", "faults", {"token_max_age": 1, "paths": "/observations/"})
        with mock.patch("farms.faults.time.time", return_value=time.time() + 5):
            self.assertEqual(self.client.get("/api/v1/farms/").status_code, 200)
            self.assertEqual(self.client.get("/api/v1/observations/").status_code, 401)

    def test_invalid(self):
        for body in ({"token_max_age": 0}, {"token_max_age": -1}, {"token_max_age": "soon"}):
            with self.subTest(body=body):
                self.assertEqual(self.anon.post("/__demo/faults", body, format="json").status_code, 400)
