"""SimpleJWT authentication plus the demo's token fault.

With the fault knob token_max_age set (POST /__demo/faults, README.md), an
access token made more than token_max_age seconds ago (see
farms.faults.token_expired) is refused exactly as SimpleJWT refuses an expired
one (401, code token_not_valid), although its exp has not passed: the token
expired earlier than the client could know, as when the backend shortens its
token lifetime or revokes tokens. The refresh endpoint is not affected, and an
access token it makes is a new one.
"""
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

from . import faults, runtime
from .middleware import route_template


class DemoJWTAuthentication(JWTAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        state = runtime.for_request(request)
        if faults.token_expired(state.faults, request.path_info, result[1]):
            route = route_template(request)
            runtime.bump(runtime.FAULT_PREFIX + route, runtime.FAULT_KIND_PREFIX + "token_expired")
            # The body SimpleJWT's get_validated_token answers for an expired token.
            raise InvalidToken({
                "detail": "Given token not valid for any token type",
                "messages": [{"token_class": "AccessToken", "token_type": "access",
                              "message": "Token is invalid or expired"}],
            })
        return result
