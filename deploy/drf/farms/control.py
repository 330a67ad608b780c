"""The /__demo/ control views: no auth, loopback clients only, never faulted."""
import ipaddress

from rest_framework import permissions
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from . import faults, runtime
from .serializers import FaultsSerializer, SchemaSwitchSerializer


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

    def permission_denied(self, request, message=None, code=None):
        raise PermissionDenied("The demo control API answers loopback clients only.")


class HealthView(ControlView):
    """GET /__demo/health -> {"ok": true, "schema_version": N}."""

    def get(self, request):
        return Response({"ok": True, "schema_version": runtime.load().schema_version})


class SchemaControlView(ControlView):
    """GET, POST /__demo/schema {"version": 1|2}: read or switch the schema."""

    def get(self, request):
        return Response({"schema_version": runtime.load().schema_version})

    def post(self, request):
        serializer = SchemaSwitchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        runtime.set_schema_version(serializer.validated_data["version"])
        return Response({"schema_version": runtime.load().schema_version})


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
