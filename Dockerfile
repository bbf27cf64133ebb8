# Kohtaamo service image. Not built on the development machines (they run no Docker engine).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KOHTAAMO_HOST=0.0.0.0 \
    KOHTAAMO_PORT=8080

RUN useradd --system --create-home --home-dir /srv/kohtaamo --uid 10001 kohtaamo
WORKDIR /srv/kohtaamo

COPY requirements/service.txt requirements/service.txt
RUN pip install --require-hashes -r requirements/service.txt

COPY server.py demo.py alembic.ini ./
COPY core core
COPY accounts accounts
COPY availability availability
COPY calendars calendars
COPY audit audit
COPY booking booking
COPY notifications notifications
COPY sfu sfu
COPY video video
COPY assessments assessments
COPY reports reports
COPY agenda agenda
COPY privacy privacy
COPY consents consents
COPY plans plans
COPY documents documents
COPY figures figures
COPY messaging messaging
COPY mypages mypages
COPY chat chat
COPY discussions discussions
COPY publicinfo publicinfo
COPY identification identification
COPY migrations migrations
COPY web web
RUN mkdir -p var && chown kohtaamo:kohtaamo var

USER kohtaamo
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"
CMD ["python", "server.py", "serve"]
