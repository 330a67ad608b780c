"""WSGI entry point for gunicorn (demo.wsgi:application).

The connection-reset fault (farms.faults) closes the client socket inside
Django and marks the request environ. This wrapper then raises ECONNRESET, which
gunicorn's sync worker treats as a client that went away: it logs at debug
level, writes nothing, and the worker keeps serving.
"""
import errno
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

_django = get_wsgi_application()

from farms.faults import RESET_ENVIRON_KEY  # noqa: E402  (needs configured settings)


def application(environ, start_response):
    """Django's WSGI app, plus the reset-connection escape hatch."""
    body = _django(environ, start_response)
    if environ.get(RESET_ENVIRON_KEY):
        if hasattr(body, "close"):
            body.close()
        raise ConnectionResetError(errno.ECONNRESET, "demo fault: connection reset")
    return body
