"""DemoMiddleware: per-request counters, fault injection and X-Schema-Version.

It runs first, so it sees every request that reached Django. /__demo/ control
paths are neither counted nor faulted.
"""
import re

from django.urls import Resolver404, resolve

from . import faults, runtime

SCHEMA_HEADER = "X-Schema-Version"
_CONVERTER = re.compile(r"<(?:\w+:)?\w+>")


def route_template(request) -> str:
    """"METHOD /path/{id}/" for a routed request, "METHOD (unmatched)" otherwise."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return f"{request.method} (unmatched)"
    return f"{request.method} /" + _CONVERTER.sub("{id}", match.route)


class DemoMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = runtime.load()
        request.demo_state = state
        if request.path_info.startswith("/__demo/"):
            response = self.get_response(request)
            response[SCHEMA_HEADER] = str(runtime.load().schema_version)
            return response

        route = route_template(request)
        injected, kind = faults.apply(request, state.faults)
        keys = [runtime.REQUEST_PREFIX + route]
        if kind:
            keys += [runtime.FAULT_PREFIX + route, runtime.FAULT_KIND_PREFIX + kind]
        runtime.bump(*keys)

        if injected is not None:
            # An HTML page stands for a proxy in front of DRF: no DRF headers.
            if not injected.get("Content-Type", "").startswith("text/html"):
                injected[SCHEMA_HEADER] = str(state.schema_version)
            return injected
        response = self.get_response(request)
        response[SCHEMA_HEADER] = str(state.schema_version)
        return response
