# A slim, non-root image whose default command is the whole bot in one process.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 unroll
COPY --from=build /install /usr/local
USER unroll
WORKDIR /home/unroll
ENV PYTHONUNBUFFERED=1 WEB_HOST=0.0.0.0
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)" || exit 1
CMD ["unroll-bot", "run"]
