"""URLs: the /api/v1/ routes of README.md (trailing slashes exactly as
there) and the /__demo/ control API."""
from django.http import JsonResponse
from django.urls import path

from farms import control, openapi, views

farm_list = views.FarmViewSet.as_view({"get": "list", "post": "create"})
farm_detail = views.FarmViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)
observation_list = views.ObservationViewSet.as_view({"get": "list", "post": "create"})

urlpatterns = [
    path("api/v1/auth/token/", views.CountedTokenObtainView.as_view()),
    path("api/v1/auth/token/refresh/", views.CountedTokenRefreshView.as_view()),
    path("api/v1/admin/farms/schema", views.FarmSchemaView.as_view()),
    path("api/v1/farms/", farm_list),
    path("api/v1/farms/<int:pk>/", farm_detail),
    path("api/v1/farms/<int:pk>/state", views.NdviStateView.as_view()),
    path("api/v1/observations/", observation_list),
    path("api/v1/schema/", openapi.schema_view()),
    path("__demo/health", control.HealthView.as_view()),
    path("__demo/schema", control.SchemaControlView.as_view()),
    path("__demo/faults", control.FaultsControlView.as_view()),
    path("__demo/stats", control.StatsControlView.as_view()),
    path("__demo/layout", control.LayoutControlView.as_view()),
    path("__demo/transforms", control.TransformsControlView.as_view()),
]


_COMPACT = {"separators": (",", ":")}  # like DRF's JSONRenderer


def not_found(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404, json_dumps_params=_COMPACT)


def server_error(request):
    return JsonResponse({"detail": "A server error occurred."}, status=500, json_dumps_params=_COMPACT)


handler404 = not_found
handler500 = server_error
