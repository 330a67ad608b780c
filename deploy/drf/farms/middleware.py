"""DemoMiddleware: per-request counters, fault injection, transforms and
X-Schema-Version.

It runs first, so it sees every request that reached Django and has the last
word on every answer. /__demo/ control paths are neither counted, faulted nor
transformed, and always carry X-Schema-Version. Every other answer carries it
unless the layout or the transforms turn it off (farms.layouts.header_value);
injected HTML pages never do (they stand for a proxy in front of DRF).
"""
import json
import re

from django.urls import Resolver404, resolve

from . import faults, layouts, runtime, transforms

SCHEMA_HEADER = "X-Schema-Version"
_CONVERTER = re.compile(r"<(?:\w+:)?\w+>")


def route_template(request) -> str:
    """"METHOD /path/{id}/" for a routed request, "METHOD (unmatched)" otherwise."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return f"{request.method} (unmatched)"
    return f"{request.method} /" + _CONVERTER.sub("{id}", match.route)


def _is_json(response) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    return content_type == "application/json" or content_type.endswith("+json")


def encode(body) -> bytes:
    """JSON the way DRF's JSONRenderer writes it (compact, UTF-8, no NaN)."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode("utf-8")


def transform(response, route: str, state) -> None:
    """Applies the transforms to a 2xx JSON answer of an /api/ route, in place."""
    if not state.transforms or not 200 <= response.status_code < 300 or response.streaming:
        return
    if not _is_json(response) or not response.content:
        return
    try:
        body = json.loads(response.content)
    except ValueError:
        return
    body, changed = transforms.apply(body, state.transforms, route)
    if changed:
        response.content = encode(body)
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))


def _set_header(response, state) -> None:
    value = layouts.header_value(state)
    if value is not None:
        response[SCHEMA_HEADER] = value


class DemoMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = runtime.load()
        request.demo_state = state
        if request.path_info.startswith("/__demo/"):
            response = self.get_response(request)
            response[SCHEMA_HEADER] = str(layouts.declared_version(runtime.load()))
            return response

        route = route_template(request)
        injected, kind = faults.apply(request, state.faults)
        keys = [runtime.REQUEST_PREFIX + route]
        if kind:
            keys += [runtime.FAULT_PREFIX + route, runtime.FAULT_KIND_PREFIX + kind]
        runtime.bump(*keys)

        if injected is not None:
            if not injected.get("Content-Type", "").startswith("text/html"):
                _set_header(injected, state)
            return injected
        response = self.get_response(request)
        if request.path_info.startswith("/api/"):
            transform(response, route, state)
        _set_header(response, state)
        return response
