"""Shared set-up: a seeded database and a client holding a valid access token."""
import io

from django.conf import settings
from django.core.management import call_command
from django.test import TestCase, override_settings
from rest_framework.test import APIClient

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests only


@override_settings(PASSWORD_HASHERS=FAST_HASHER)
class DemoTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("seed", "--clear-faults", stdout=io.StringIO())

    def setUp(self):
        self.anon = APIClient(REMOTE_ADDR="127.0.0.1")
        self.client = APIClient(REMOTE_ADDR="127.0.0.1")
        tokens = self.obtain()
        self.assertEqual(tokens.status_code, 200, tokens.content)
        self.client.credentials(HTTP_AUTHORIZATION="Bearer " + tokens.json()["access"])

    def obtain(self, password=None):
        return self.anon.post(
            "/api/v1/auth/token/",
            {"username": settings.DEMO_USERNAME, "password": password or settings.DEMO_PASSWORD},
            format="json",
        )

    def control(self, method, path, body=None):
        response = getattr(self.anon, method)("/__demo/" + path, body, format="json")
        self.assertLess(response.status_code, 300, response.content)
        return response.json()
