"""Writes the JSON bodies the DRF demo backend answers, one file per request,
into the directory named by the first argument.

Run from deploy/drf with Debian's python, a scratch database and the Django
test client's host allowed (see README.md next to this file). The bodies are
what weather_apis receives from upstream: DRF's JSONRenderer output, unchanged.
"""
import os
import sys

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

REQUESTS = [
    ("farm-list", "/api/v1/farms/"),
    ("farm-detail", "/api/v1/farms/1/"),
    ("farm-state", "/api/v1/farms/1/state"),
    ("observation-page", "/api/v1/observations/"),
    ("farm-missing", "/api/v1/farms/999/"),
]

call_command("migrate", "--noinput", verbosity=0)
call_command("seed", "--clear-faults")

client = APIClient()
token = client.post("/api/v1/auth/token/",
                    {"username": settings.DEMO_USERNAME, "password": settings.DEMO_PASSWORD}, format="json")
client.credentials(HTTP_AUTHORIZATION="Bearer " + token.json()["access"])
for name, url in REQUESTS:
    response = client.get(url)
    print(name, response.status_code, len(response.content), file=sys.stderr)
    with open(os.path.join(sys.argv[1], name + ".json"), "wb") as out:
        out.write(response.content)
