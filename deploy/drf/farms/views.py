"""The /api/v1/ views: JWT auth (settings), farms, NDVI state, observations."""
from django.shortcuts import get_object_or_404
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from . import runtime, schema
from .models import Farm, NdviState, Observation
from .serializers import FarmSerializer, NdviStateSerializer, ObservationFilterSerializer, ObservationSerializer


class CountedTokenObtainView(TokenObtainPairView):
    """POST /api/v1/auth/token/; counts issued pairs as token_obtain."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        if response.status_code == status.HTTP_200_OK:
            runtime.bump(runtime.TOKEN_OBTAIN)
        return response


class CountedTokenRefreshView(TokenRefreshView):
    """POST /api/v1/auth/token/refresh/; rotates and blacklists the old refresh
    token, counts successful refreshes as token_refresh."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        if response.status_code == status.HTTP_200_OK:
            runtime.bump(runtime.TOKEN_REFRESH)
        return response


class FarmSchemaView(APIView):
    """GET /api/v1/admin/farms/schema: the form schema of the current version."""

    def get(self, request):
        state = getattr(request, "demo_state", None) or runtime.load()
        return Response(schema.document(state.schema_version))


class FarmViewSet(viewsets.ModelViewSet):
    """/api/v1/farms/ and /api/v1/farms/{id}/."""

    queryset = Farm.objects.all()
    serializer_class = FarmSerializer


class NdviStateView(APIView):
    """GET, PUT /api/v1/farms/{id}/state: read or replace one farm's NDVI state."""

    def get(self, request, pk):
        state = get_object_or_404(NdviState, farm=get_object_or_404(Farm, pk=pk))
        return Response(NdviStateSerializer(state).data)

    def put(self, request, pk):
        farm = get_object_or_404(Farm, pk=pk)
        serializer = NdviStateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        values["tiles"] = [dict(tile) for tile in values["tiles"]]
        # One UPDATE, or one INSERT: no read-then-write transaction (see runtime).
        if not NdviState.objects.filter(farm=farm).update(**values):
            NdviState.objects.create(farm=farm, **values)
        return Response(NdviStateSerializer(NdviState.objects.get(farm=farm)).data)


class ObservationViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """GET, POST /api/v1/observations/; GET filters by ?farm=<id> and
    ?since=<ISO datetime> (observed_at >= since), oldest first."""

    serializer_class = ObservationSerializer

    def get_queryset(self):
        queryset = Observation.objects.all()
        if self.request.method != "GET":
            return queryset
        filters = ObservationFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        if "farm" in filters.validated_data:
            queryset = queryset.filter(farm_id=filters.validated_data["farm"])
        if "since" in filters.validated_data:
            queryset = queryset.filter(observed_at__gte=filters.validated_data["since"])
        return queryset
