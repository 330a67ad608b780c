"""Fault injection for /api/ requests, configured through POST /__demo/faults.

Order per matching request: latency_ms sleep; then, if the request is picked,
one failure: reset_connections > rate_limit > fail_status. Picking is exact, not
random: request n (counted since the faults were set) is picked when
ceil(n*fail_rate) > ceil((n-1)*fail_rate), so 1.0 picks all, 0.5 picks the 1st,
3rd, 5th..., and max_faults > 0 stops after that many picks.

token_max_age is checked apart, by farms.authentication once the JWT is valid
(token_expired below): it refuses access tokens older than that many seconds.
"""
import json
import math
import re
import socket
import struct
import time
from http import HTTPStatus

from django.conf import settings
from django.http import HttpResponse

from . import runtime

# Set in the WSGI environ when the socket was closed; demo.wsgi then raises.
RESET_ENVIRON_KEY = "demo.reset_connection"
FAULT_HEADER = "X-Demo-Fault"

# nginx's reason phrases where they differ from Python's.
_NGINX_REASONS = {503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}


def normalize(data: dict) -> dict:
    """Fills defaults of validated input; an omitted fail_rate means 1.0 when
    rate_limit or reset_connections is on (they then hit every request), else 0."""
    faults = dict(data)
    if faults.get("fail_rate") is None:
        faults["fail_rate"] = 1.0 if faults.get("rate_limit") or faults.get("reset_connections") else 0.0
    return faults


def is_active(faults: dict) -> bool:
    return bool(faults) and (faults.get("latency_ms", 0) > 0 or faults.get("fail_rate", 0) > 0)


def token_expired(faults: dict, path: str, token) -> bool:
    """Whether the token fault refuses this validated access token: token_max_age
    is set, the path matches and the token was made longer ago than
    token_max_age seconds.

    When it was made is its exp minus ACCESS_TOKEN_LIFETIME, not its iat:
    SimpleJWT sets exp from the moment an access token is made, but one made by
    a refresh copies every other claim, iat included, from the refresh token
    (rest_framework_simplejwt.tokens.RefreshToken.access_token), so its iat
    says when the refresh token was issued."""
    max_age = faults.get("token_max_age") if faults else None
    if not max_age or not matches(faults, path):
        return False
    exp = token.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        return True
    made = exp - settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
    return time.time() - made > max_age


def matches(faults: dict, path: str) -> bool:
    """Faults apply to /api/ paths the `paths` regex finds (empty: all)."""
    if not path.startswith("/api/"):
        return False
    pattern = faults.get("paths") or ""
    return not pattern or re.search(pattern, path) is not None


def _picked_count(n: int, rate: float) -> int:
    """How many of requests 1..n the rate picks."""
    return math.ceil(round(n * rate, 9))


def picked(n: int, rate: float, max_faults: int = 0) -> bool:
    """Whether request n (1-based) of the fault sequence fails."""
    if rate <= 0:
        return False
    if rate >= 1:
        count, before = n, n - 1
    else:
        count, before = _picked_count(n, rate), _picked_count(n - 1, rate)
    return count > before and (max_faults <= 0 or count <= max_faults)


def apply(request, faults: dict):
    """Injects the configured faults into one request.

    Returns (response, kind): response is None when the view should run, kind
    names the injected failure ("fail", "rate_limit", "reset") or is None.
    """
    if not is_active(faults) or not matches(faults, request.path_info):
        return None, None
    latency = faults.get("latency_ms", 0)
    if latency > 0:
        time.sleep(latency / 1000.0)
    rate = faults.get("fail_rate", 0.0)
    if rate <= 0 or not picked(runtime.next_fault_seq(), rate, faults.get("max_faults", 0)):
        return None, None
    if faults.get("reset_connections"):
        return _reset(request), "reset"
    html = faults.get("html_errors", False)
    if faults.get("rate_limit"):
        wait = faults.get("retry_after", 1)
        unit = "second" if wait == 1 else "seconds"
        response = _error(429, f"Request was throttled. Expected available in {wait} {unit}.", html)
        response["Retry-After"] = str(wait)
        return response, "rate_limit"
    return _error(faults.get("fail_status", 503), "Injected fault: upstream unavailable.", html), "fail"


def _reset(request) -> HttpResponse:
    """Closes the client socket with RST (SO_LINGER 0) so no answer is sent.

    Outside gunicorn (Django's test client) there is no socket: the marker
    response below is what the test sees.
    """
    request.META[RESET_ENVIRON_KEY] = True
    sock = request.META.get("gunicorn.socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        except OSError:
            pass
    response = HttpResponse(status=502)
    response[FAULT_HEADER] = "reset"
    response._has_been_logged = True
    return response


def _error(status: int, detail: str, html: bool) -> HttpResponse:
    if html:
        response = HttpResponse(nginx_page(status), status=status, content_type="text/html")
    else:
        body = json.dumps({"detail": detail}, separators=(",", ":"))
        response = HttpResponse(body, status=status, content_type="application/json")
    response["Content-Length"] = str(len(response.content))
    response._has_been_logged = True  # an injected fault is not a server error to log
    response[FAULT_HEADER] = "rate_limit" if status == 429 else "fail"
    return response


def nginx_page(status: int) -> str:
    """The error page nginx serves for status, byte for byte in shape."""
    try:
        reason = _NGINX_REASONS.get(status) or HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    title = f"{status} {reason}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
