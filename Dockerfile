# The storemon worker (Faust + HTTP API) and command line, for docker-compose.yml.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY streams ./streams
COPY replay ./replay
COPY api ./api
COPY storemon ./storemon
RUN pip install --no-cache-dir . && useradd --system --home /data storemon && mkdir -p /data && chown storemon /data
USER storemon
ENV STOREMON_DATA_DIR=/data
EXPOSE 8000
CMD ["storemon", "worker"]
