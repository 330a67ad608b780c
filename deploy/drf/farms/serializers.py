"""DRF serializers: validation errors come out in DRF's {"field": ["msg"]} form."""
from rest_framework import serializers

from .models import Farm, NdviState, Observation
from .schema import SUPPORTED_VERSIONS


class FarmSerializer(serializers.ModelSerializer):
    class Meta:
        model = Farm
        fields = ["id", "name", "owner", "crop", "area_ha", "latitude", "longitude", "irrigated",
                  "notes", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_area_ha(self, value):
        if value <= 0:
            raise serializers.ValidationError("Ensure this value is greater than 0.")
        return value


class TileSerializer(serializers.Serializer):
    z = serializers.IntegerField(min_value=0, max_value=22)
    x = serializers.IntegerField(min_value=0)
    y = serializers.IntegerField(min_value=0)
    ndvi = serializers.FloatField(min_value=-1, max_value=1)


class NdviStateSerializer(serializers.ModelSerializer):
    farm = serializers.IntegerField(source="farm_id", read_only=True)
    tiles = TileSerializer(many=True, max_length=64)

    class Meta:
        model = NdviState
        fields = ["farm", "ndvi", "observed_at", "source", "tiles"]


class ObservationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Observation
        fields = ["id", "farm", "station", "observed_at", "temperature_c", "humidity_pct",
                  "rainfall_mm", "wind_kph"]


class ObservationFilterSerializer(serializers.Serializer):
    """The ?farm= and ?since= query filters of GET /api/v1/observations/."""

    farm = serializers.IntegerField(required=False, min_value=1)
    since = serializers.DateTimeField(required=False)


class SchemaSwitchSerializer(serializers.Serializer):
    version = serializers.ChoiceField(choices=SUPPORTED_VERSIONS)


class FaultsSerializer(serializers.Serializer):
    """The body of POST /__demo/faults (see README.md)."""

    latency_ms = serializers.IntegerField(min_value=0, max_value=60000, default=0)
    fail_rate = serializers.FloatField(min_value=0, max_value=1, required=False, allow_null=True, default=None)
    fail_status = serializers.IntegerField(min_value=400, max_value=599, default=503)
    html_errors = serializers.BooleanField(default=False)
    rate_limit = serializers.BooleanField(default=False)
    retry_after = serializers.IntegerField(min_value=0, max_value=86400, default=1)
    reset_connections = serializers.BooleanField(default=False)
    max_faults = serializers.IntegerField(min_value=0, default=0)
    paths = serializers.CharField(allow_blank=True, default="", max_length=500)

    def validate_paths(self, value):
        import re

        try:
            re.compile(value)
        except re.error as exc:
            raise serializers.ValidationError(f"Not a valid regular expression: {exc}.")
        return value
