# The storemon worker (Faust + HTTP API) and command line, for docker-compose.yml and any orchestrator.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# Everything .dockerignore lets through: the product's packages and the files that build them.
COPY . .
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin storemon \
    && mkdir -p /data && chown storemon:storemon /data
# Only /data is written: the tables, the finished reports, the report processes' scratch files.
USER storemon
ENV STOREMON_DATA_DIR=/data STOREMON_API_HOST=0.0.0.0 STOREMON_API_PORT=8000
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['STOREMON_API_PORT'] + '/healthz', timeout=4)"]
CMD ["storemon", "worker"]
