# The DRF demo backend (deploy/drf) for the compose stack, on Debian 12's own
# Django 3.2, DRF 3.14, SimpleJWT 5.2, uritemplate (DRF's OpenAPI generator,
# /api/v1/schema/) and gunicorn 20.1 (PyPI is not needed).
# Build context: the repository root (docker-compose.yml sets it).
FROM docker.io/library/debian:bookworm-slim
RUN set -eu; \
    apt-get update; \
    apt-get install -y --no-install-recommends python3-django python3-djangorestframework \
        python3-djangorestframework-simplejwt python3-uritemplate gunicorn; \
    rm -rf /var/lib/apt/lists/*; \
    useradd --system --uid 10002 --home-dir /drf --no-create-home --shell /usr/sbin/nologin drf; \
    mkdir -p /data && chown drf /data
COPY deploy/drf /drf
WORKDIR /drf
USER drf
EXPOSE 8000
# What deploy/drf/run.sh does, bound to 0.0.0.0 (run.sh binds 127.0.0.1 only).
CMD ["sh", "-c", "python3 manage.py migrate --noinput -v 0 && python3 manage.py seed --clear-faults && exec gunicorn --chdir /drf --bind 0.0.0.0:8000 --workers 2 --worker-class sync --timeout 60 --log-level warning demo.wsgi:application"]
