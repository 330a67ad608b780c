"""The /api/v1/ views: JWT auth (settings), farms, NDVI state, observations.

Views whose answer has layouts (farms.layouts) pick the serializer class per
request in get_serializer_class(), so DRF's OpenAPI generator (farms.openapi)
describes the layout in effect; their AutoSchema keeps the operation and
component names stable across layouts.
"""
from django.shortcuts import get_object_or_404
from rest_framework import generics, mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.schemas.openapi import AutoSchema
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from . import layouts, runtime
from .models import Farm, NdviState, Observation
from .openapi import FarmFormSchema
from .serializers import (FarmSerializer, NdviStateObjectSerializer, NdviStateSerializer, ObservationFilterSerializer,
                          ObservationRenamedIdSerializer, ObservationSerializer)


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
    """GET /api/v1/admin/farms/schema: the farm form schema in the current schema layout."""

    schema = FarmFormSchema()

    def get(self, request):
        return Response(layouts.schema_document(runtime.for_request(request)))


class FarmViewSet(viewsets.ModelViewSet):
    """/api/v1/farms/ and /api/v1/farms/{id}/."""

    queryset = Farm.objects.all()
    serializer_class = FarmSerializer


class NdviStateView(mixins.RetrieveModelMixin, generics.GenericAPIView):
    """GET, PUT /api/v1/farms/{id}/state: read or replace one farm's NDVI state,
    in the farm_state layout (flat or ndvi-object)."""

    schema = AutoSchema(operation_id_base="NdviState", component_name="NdviState")
    lookup_field = "farm_id"
    lookup_url_kwarg = "pk"

    def get_queryset(self):
        # Not a class attribute: DRF's generator would then name the path
        # parameter after NdviState's primary key ({farm}) instead of {id}.
        return NdviState.objects.all()

    def get_serializer_class(self):
        if runtime.for_request(self.request).farm_state_layout == "ndvi-object":
            return NdviStateObjectSerializer
        return NdviStateSerializer

    def get(self, request, pk):
        return self.retrieve(request, pk=pk)

    def put(self, request, pk):
        farm = get_object_or_404(Farm, pk=pk)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.columns(serializer.validated_data)
        # One UPDATE, or one INSERT: no read-then-write transaction (see runtime).
        if not NdviState.objects.filter(farm=farm).update(**values):
            NdviState.objects.create(farm=farm, **values)
        return Response(self.get_serializer(NdviState.objects.get(farm=farm)).data)


class ObservationViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """GET, POST /api/v1/observations/ in the observation layout (plain or
    renamed-id); GET filters by ?farm=<id> and ?since=<ISO datetime>
    (observed_at >= since), oldest first."""

    schema = AutoSchema(operation_id_base="Observation", component_name="Observation")

    def get_serializer_class(self):
        if runtime.for_request(self.request).observation_layout == "renamed-id":
            return ObservationRenamedIdSerializer
        return ObservationSerializer

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
