"""DRF serializers of the /api/v1/ answers: validation errors come out in DRF's
{"field": ["msg"]} form. Layout variants (farms.layouts) are separate classes
the views pick per request, so DRF's OpenAPI generator describes the current one.
The /__demo/ bodies are in farms.control_serializers."""
from rest_framework import serializers

from .models import Farm, NdviState, Observation


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
    """farm_state layout flat: {"farm", "ndvi", "observed_at", "source", "tiles"}."""

    farm = serializers.IntegerField(source="farm_id", read_only=True)
    tiles = TileSerializer(many=True, max_length=64)

    class Meta:
        model = NdviState
        fields = ["farm", "ndvi", "observed_at", "source", "tiles"]

    @staticmethod
    def columns(validated: dict) -> dict:
        """NdviState columns for a PUT; a flat PUT forgets stored min/max."""
        values = dict(validated, ndvi_min=None, ndvi_max=None)
        values["tiles"] = [dict(tile) for tile in values["tiles"]]
        return values


class NdviSummarySerializer(serializers.Serializer):
    """{"mean", "min", "max"} of the ndvi-object layout. Input may also be a
    plain number (the mean); a missing min/max is derived (NdviState.ndvi_summary)."""

    mean = serializers.FloatField(min_value=-1, max_value=1)
    min = serializers.FloatField(min_value=-1, max_value=1, required=False)
    max = serializers.FloatField(min_value=-1, max_value=1, required=False)

    def to_internal_value(self, data):
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            data = {"mean": data}
        return super().to_internal_value(data)

    def validate(self, attrs):
        low, high = attrs.get("min", attrs["mean"]), attrs.get("max", attrs["mean"])
        if not low <= attrs["mean"] <= high:
            raise serializers.ValidationError("Need min <= mean <= max.")
        return attrs


class NdviStateObjectSerializer(serializers.ModelSerializer):
    """farm_state layout ndvi-object:
    {"farm_id", "observed_at", "ndvi": {"mean", "min", "max"}, "source", "tiles"}."""

    farm_id = serializers.IntegerField(read_only=True)
    ndvi = NdviSummarySerializer(source="ndvi_summary")
    tiles = TileSerializer(many=True, max_length=64)

    class Meta:
        model = NdviState
        fields = ["farm_id", "observed_at", "ndvi", "source", "tiles"]

    @staticmethod
    def columns(validated: dict) -> dict:
        values = dict(validated)
        summary = values.pop("ndvi_summary")
        values.update(ndvi=summary["mean"], ndvi_min=summary.get("min"), ndvi_max=summary.get("max"))
        values["tiles"] = [dict(tile) for tile in values["tiles"]]
        return values


class ObservationSerializer(serializers.ModelSerializer):
    """observation layout plain."""

    class Meta:
        model = Observation
        fields = ["id", "farm", "station", "observed_at", "temperature_c", "humidity_pct",
                  "rainfall_mm", "wind_kph"]


class ObservationRenamedIdSerializer(ObservationSerializer):
    """observation layout renamed-id: `id` is called `observation_id`."""

    observation_id = serializers.IntegerField(source="id", read_only=True)

    class Meta(ObservationSerializer.Meta):
        fields = ["observation_id"] + ObservationSerializer.Meta.fields[1:]


class ObservationFilterSerializer(serializers.Serializer):
    """The ?farm= and ?since= query filters of GET /api/v1/observations/."""

    farm = serializers.IntegerField(required=False, min_value=1)
    since = serializers.DateTimeField(required=False)
