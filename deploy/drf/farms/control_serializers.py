"""Bodies of the /__demo/ control API (README.md, "Demo control"), validated
with DRF serializers: bad input answers 400 with DRF's field errors."""
import re

from rest_framework import serializers

from . import layouts, transforms
from .schema import SUPPORTED_VERSIONS

_INTEGER = re.compile(r"-?[0-9]{1,15}")
_HEADER_SAFE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,62}[\x21-\x7e])?")


def _regexp(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise serializers.ValidationError(f"Not a valid regular expression: {exc}.")
    return value


class StrictSerializer(serializers.Serializer):
    """Rejects members it does not know (a typo must not pass silently);
    members in `ignored` are accepted and dropped."""

    ignored = ()

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields) - set(self.ignored))
            if unknown:
                raise serializers.ValidationError({k: ["Unknown member."] for k in unknown})
        return super().to_internal_value(data)


class VersionField(serializers.Field):
    """A declared version: an int, or a string (1-64 printable ASCII characters,
    no outer spaces). A string of decimal digits (as the Go harness sends)
    becomes that int; any other string stays a string."""

    default_error_messages = {"invalid": "Give an integer or a string of 1-64 printable ASCII characters."}

    def to_internal_value(self, data):
        if isinstance(data, int) and not isinstance(data, bool) and abs(data) < 10 ** 15:
            return data
        if isinstance(data, str) and _HEADER_SAFE.fullmatch(data):
            return int(data) if _INTEGER.fullmatch(data) else data
        self.fail("invalid")

    def to_representation(self, value):
        return value


class SchemaSwitchSerializer(serializers.Serializer):
    """POST /__demo/schema."""

    version = serializers.ChoiceField(choices=SUPPORTED_VERSIONS)


class LayoutSerializer(StrictSerializer):
    """POST /__demo/layout: a partial update; absent members stay unchanged,
    "schema_version": null clears the override. `declared_version` (read-only
    in the answer) is accepted and ignored, so an answer can be posted back."""

    ignored = ("declared_version",)
    schema = serializers.ChoiceField(choices=list(layouts.SCHEMA_LAYOUTS), required=False)
    farm_state = serializers.ChoiceField(choices=layouts.FARM_STATE_LAYOUTS, required=False)
    observation = serializers.ChoiceField(choices=layouts.OBSERVATION_LAYOUTS, required=False)
    schema_version = VersionField(required=False, allow_null=True)
    version_header = serializers.BooleanField(required=False)


class OpSerializer(StrictSerializer):
    """One transform op; see farms.transforms for what each does."""

    op = serializers.ChoiceField(choices=transforms.OPS)
    path = serializers.CharField(max_length=500, trim_whitespace=False)
    to = serializers.CharField(required=False, max_length=200, trim_whitespace=False)
    into = serializers.CharField(required=False, max_length=200, trim_whitespace=False)
    type = serializers.ChoiceField(choices=transforms.TYPES, required=False)
    value = serializers.JSONField(required=False, allow_null=True)

    def validate_path(self, value):
        try:
            transforms.parse_path(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc))
        return value

    def validate(self, attrs):
        kind, errors = attrs["op"], {}
        wanted = transforms.OP_ARGUMENT[kind]
        for name in ("to", "into", "type", "value"):
            if name == wanted and name not in attrs:
                errors[name] = [f"{kind} needs {name}."]
            elif name != wanted and name in attrs:
                errors[name] = [f"{kind} takes no {name}."]
        if kind in transforms.MEMBER_OPS and not transforms.ends_in_member(attrs["path"]):
            errors["path"] = [f"{kind} needs a path ending in a member name, not '[]'."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RuleSerializer(StrictSerializer):
    route = serializers.CharField(max_length=500, trim_whitespace=False)
    ops = OpSerializer(many=True, max_length=100)

    def validate_route(self, value):
        return _regexp(value)


class TransformsSerializer(StrictSerializer):
    """POST /__demo/transforms: replaces the rules, version and version_header."""

    rules = RuleSerializer(many=True, max_length=100, default=list)
    version = VersionField(required=False, allow_null=True, default=None)
    version_header = serializers.BooleanField(required=False, allow_null=True, default=None)


class FaultsSerializer(serializers.Serializer):
    """POST /__demo/faults (see README.md)."""

    latency_ms = serializers.IntegerField(min_value=0, max_value=60000, default=0)
    fail_rate = serializers.FloatField(min_value=0, max_value=1, required=False, allow_null=True, default=None)
    fail_status = serializers.IntegerField(min_value=400, max_value=599, default=503)
    html_errors = serializers.BooleanField(default=False)
    rate_limit = serializers.BooleanField(default=False)
    retry_after = serializers.IntegerField(min_value=0, max_value=86400, default=1)
    reset_connections = serializers.BooleanField(default=False)
    max_faults = serializers.IntegerField(min_value=0, default=0)
    paths = serializers.CharField(allow_blank=True, default="", max_length=500)
    # Access tokens made longer ago than this many seconds are refused as
    # expired (farms.authentication); null: no token fault.
    token_max_age = serializers.FloatField(min_value=0.001, max_value=86400, required=False, allow_null=True,
                                           default=None)

    def validate_paths(self, value):
        return _regexp(value)
