# fm-core: slim, non-root, served by uvicorn (one worker per core by default).
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 fmcore

# The runtime set only: tests and tools live in requirements-dev.txt.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=fmcore:fmcore . .
# collectstatic needs settings, not secrets: development settings are enough here.
RUN DEBUG=1 python manage.py collectstatic --noinput

RUN mkdir -p /tmp/fmcore-metrics && chown fmcore:fmcore /tmp/fmcore-metrics
USER fmcore
EXPOSE 8000
# FORWARDED_ALLOW_IPS: the peers whose X-Forwarded-For uvicorn believes (docs/operations.md).
# SHUTDOWN_TIMEOUT: seconds a replica gives in-flight requests after SIGTERM.
# PROMETHEUS_MULTIPROC_DIR: where every uvicorn process writes its metrics (compose mounts a tmpfs there,
# so each start begins empty).
ENV DJANGO_SETTINGS_MODULE=fmcore.settings PORT=8000 WEB_CONCURRENCY=2 \
    FORWARDED_ALLOW_IPS=127.0.0.1 SHUTDOWN_TIMEOUT=10 PROMETHEUS_MULTIPROC_DIR=/tmp/fmcore-metrics

HEALTHCHECK --interval=15s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health/live').status == 200 else 1)"

CMD ["sh", "-c", "exec uvicorn fmcore.asgi:application --host 0.0.0.0 --port ${PORT} --workers ${WEB_CONCURRENCY} --ws websockets-sansio --ws-per-message-deflate false --proxy-headers --timeout-graceful-shutdown ${SHUTDOWN_TIMEOUT}"]
