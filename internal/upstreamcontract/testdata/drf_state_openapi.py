"""Prints DRF's OpenAPI document of the demo backend with its NDVI state view described.

The demo's NdviStateView is a plain APIView without a serializer, so DRF's
generator (rest_framework/schemas/openapi.py, AutoSchema.get_responses and
rest_framework/schemas/utils.py, is_list_view) describes GET .../state as
{"type": "array", "items": {}}. This script swaps in a RetrieveUpdateAPIView
over the same NdviStateSerializer, then runs the same SchemaGenerator and
renderer as `manage.py generateschema --format openapi-json`, so the NDVI
state gets the schema DRF would publish for it.

Run from deploy/drf with Debian's python (see README.md next to this file).
"""
import os
import sys

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

import django  # noqa: E402

django.setup()

from django.urls import path  # noqa: E402
from rest_framework import generics  # noqa: E402
from rest_framework.renderers import JSONOpenAPIRenderer  # noqa: E402
from rest_framework.schemas.openapi import SchemaGenerator  # noqa: E402

from demo import urls  # noqa: E402
from farms.models import NdviState  # noqa: E402
from farms.serializers import NdviStateSerializer  # noqa: E402

STATE_ROUTE = "api/v1/farms/<int:pk>/state"


class DescribedNdviStateView(generics.RetrieveUpdateAPIView):
    """GET, PUT /api/v1/farms/{id}/state: read or replace one farm's NDVI state."""

    queryset = NdviState.objects.all()
    serializer_class = NdviStateSerializer


patterns = [
    path(STATE_ROUTE, DescribedNdviStateView.as_view()) if str(p.pattern) == STATE_ROUTE else p
    for p in urls.urlpatterns
]
if not any(str(p.pattern) == STATE_ROUTE for p in urls.urlpatterns):
    sys.exit(f"no {STATE_ROUTE} route in demo.urls")

schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
sys.stdout.buffer.write(JSONOpenAPIRenderer().render(schema, renderer_context={}))
