"""GET /api/v1/schema/: the backend's OpenAPI 3 document, made by DRF's own
generator (rest_framework.schemas.get_schema_view, see
https://www.django-rest-framework.org/api-guide/schemas/).

It is generated on every request, so it follows the current layouts: the views
pick their serializer class per layout (farms.views). It does not follow the
transforms, which stand for evolutions nobody documented. /__demo/ views opt
out with `schema = None`. Authentication is JWT + IsAuthenticated like the rest
of /api/. Needs python3-uritemplate for path parameters; without it the view
answers 503.
"""
from rest_framework.compat import uritemplate
from rest_framework.exceptions import APIException
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONOpenAPIRenderer
from rest_framework.schemas import get_schema_view
from rest_framework.schemas.openapi import AutoSchema
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from . import layouts, runtime

TITLE = "weather_apis DRF demo"
DESCRIPTION = "Farms, NDVI states and weather observations; JWT (SimpleJWT) bearer authentication."


class FarmFormSchema(AutoSchema):
    """The farm form schema view has no serializer: its 200 answer is described
    as an object with a required schema_version (absent from the no-version
    layout, where the document says so) and any other members allowed. Its
    operationId is retrieveFarmSchema (DRF's guess, from a GET on a path not
    ending in a parameter, would be listFarmSchemas)."""

    def get_operation_id(self, path, method):
        return "retrieveFarmSchema"

    def get_responses(self, path, method):
        state = runtime.for_request(self.view.request)
        body = {"type": "object", "additionalProperties": True, "properties": {}}
        if layouts.has_version_member(state):
            version = layouts.layout_version(state)
            body["properties"]["schema_version"] = {
                "type": "integer" if isinstance(version, int) else "string",
                "description": "Version of the form schema; also sent as the X-Schema-Version header.",
            }
            body["required"] = ["schema_version"]
        media_types = self.map_renderers(path, method)
        return {"200": {"description": "The farm form schema in the current layout.",
                        "content": {media: {"schema": body} for media in media_types}}}


class JSONOpenAPIAsJSONRenderer(JSONOpenAPIRenderer):
    """The same document for clients that accept application/json only
    (JSONOpenAPIRenderer alone answers them 406)."""

    media_type = "application/json"


class ServiceUnavailable(APIException):
    status_code = 503
    default_detail = "OpenAPI generation needs python3-uritemplate."
    default_code = "service_unavailable"


class NoOpenAPIView(APIView):
    """Stands in for the schema view when uritemplate is missing."""

    schema = None

    def get(self, request):
        raise ServiceUnavailable()


def schema_view():
    """The view of GET /api/v1/schema/."""
    if uritemplate is None:
        return NoOpenAPIView.as_view()
    return get_schema_view(
        title=TITLE,
        description=DESCRIPTION,
        version="1.0.0",
        renderer_classes=[JSONOpenAPIRenderer, JSONOpenAPIAsJSONRenderer],
        authentication_classes=[JWTAuthentication],
        permission_classes=[IsAuthenticated],
    )
