# fm-core: slim, non-root, served by uvicorn (one worker per core by default).
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 fmcore

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=fmcore:fmcore . .
# collectstatic needs settings, not secrets: a throwaway key is enough here.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput

USER fmcore
EXPOSE 8000
ENV PORT=8000 WEB_CONCURRENCY=2

HEALTHCHECK --interval=15s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health/').status == 200 else 1)"

CMD ["sh", "-c", "exec uvicorn fmcore.asgi:application --host 0.0.0.0 --port ${PORT} --workers ${WEB_CONCURRENCY} --ws websockets-sansio --proxy-headers"]
