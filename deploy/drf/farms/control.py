"""The /__demo/ control views: no auth, loopback clients only, never faulted,
never transformed, absent from the OpenAPI document. Shapes: README.md."""
import ipaddress

from rest_framework import permissions
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from . import faults, layouts, runtime
from .control_serializers import FaultsSerializer, LayoutSerializer, SchemaSwitchSerializer, TransformsSerializer

NO_TRANSFORMS = {"rules": [], "version": None, "version_header": None}


class LoopbackOnly(permissions.BasePermission):
    """Allows clients on a loopback address only."""

    def has_permission(self, request, view):
        try:
            return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
        except ValueError:
            return False


class ControlView(APIView):
    authentication_classes = []
    permission_classes = [LoopbackOnly]
    schema = None  # not part of the API's OpenAPI document

    def permission_denied(self, request, message=None, code=None):
        raise PermissionDenied("The demo control API answers loopback clients only.")


class HealthView(ControlView):
    """GET /__demo/health -> {"ok": true, "schema_version": <declared version>}."""

    def get(self, request):
        return Response({"ok": True, "schema_version": layouts.declared_version(runtime.load())})


class SchemaControlView(ControlView):
    """GET, POST /__demo/schema {"version": 1|2}: read the declared version, or
    switch to schema layout v1/v2 and clear the layout's version override."""

    def get(self, request):
        return Response({"schema_version": layouts.declared_version(runtime.load())})

    def post(self, request):
        serializer = SchemaSwitchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        runtime.set_schema_version(serializer.validated_data["version"])
        return Response({"schema_version": layouts.declared_version(runtime.load())})


class LayoutControlView(ControlView):
    """GET, POST /__demo/layout: read the layouts, or update some of them
    (absent members unchanged); both answer the full layout (layouts.answer)."""

    def get(self, request):
        return Response(layouts.answer(runtime.load()))

    def post(self, request):
        serializer = LayoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        runtime.set_layout(serializer.validated_data)
        return Response(layouts.answer(runtime.load()))


class TransformsControlView(ControlView):
    """GET, POST, DELETE /__demo/transforms: read, replace or clear the
    generated evolutions; all answer {"rules", "version", "version_header"}."""

    def get(self, request):
        return Response(dict(NO_TRANSFORMS, **runtime.load().transforms))

    def post(self, request):
        serializer = TransformsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        runtime.set_transforms(_plain(serializer.validated_data))
        return Response(dict(NO_TRANSFORMS, **runtime.load().transforms))

    def delete(self, request):
        runtime.set_transforms({})
        return Response(NO_TRANSFORMS)


def _plain(value):
    """Validated data (OrderedDicts) as plain JSON values for storage."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class FaultsControlView(ControlView):
    """GET, POST, DELETE /__demo/faults: read, replace or clear the faults."""

    def get(self, request):
        return Response({"faults": runtime.load().faults})

    def post(self, request):
        serializer = FaultsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        runtime.set_faults(faults.normalize(serializer.validated_data))
        return Response({"faults": runtime.load().faults})

    def delete(self, request):
        runtime.set_faults({})
        return Response({"faults": {}})


class StatsControlView(ControlView):
    """GET, DELETE /__demo/stats: read or reset the request counters."""

    def get(self, request):
        return Response(runtime.stats())

    def delete(self, request):
        runtime.reset_stats()
        return Response(runtime.stats())
