# Machikoe's container: the same image runs every role in compose.yaml (web, survey, clock,
# migrate). Slim, non-root, the locked dependencies only (installed with their hashes), no
# build tools in the final image. The Japanese font (IPAexGothic) comes with the locked
# matplotlib-fontja wheel, so charts and the rich menu render Japanese without system fonts.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /venv \
 && /venv/bin/pip install --require-hashes --only-binary=:all: -r /tmp/requirements.txt

FROM python:3.11-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PORT=8000
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin machikoe
COPY --from=build /venv /venv
WORKDIR /app
COPY wsgi.py Procfile gunicorn.conf.py ./
COPY bot ./bot
COPY handlers ./handlers
COPY messages ./messages
COPY db ./db
COPY content ./content
COPY vendor ./vendor
RUN mkdir -p /app/instance && chown machikoe:machikoe /app/instance
USER machikoe
EXPOSE 8000 8001
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"8000\")}/healthz', timeout=4)"
CMD ["sh", "-c", "exec env INBOX_THREADS=${INBOX_THREADS:-0} gunicorn --bind 0.0.0.0:${PORT:-8000} --workers ${WEB_CONCURRENCY:-2} --threads 4 --reuse-port --timeout 30 wsgi:app"]
