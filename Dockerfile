# The customtables server. Microsoft's ODBC Driver 18 is installed too, so one image serves
# SQLite, PostgreSQL and SQL Server (mssql+pyodbc://…?driver=ODBC+Driver+18+for+SQL+Server).
# The Debian release is pinned because Microsoft's package repository is per release.
FROM python:3.12-slim-bookworm

RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl gnupg unixodbc; \
    curl -fsSL https://packages.microsoft.com/keys/microsoft.asc \
        | gpg --dearmor -o /usr/share/keyrings/microsoft-prod.gpg; \
    echo "deb [arch=$(dpkg --print-architecture) signed-by=/usr/share/keyrings/microsoft-prod.gpg] https://packages.microsoft.com/debian/12/prod bookworm main" \
        > /etc/apt/sources.list.d/mssql-release.list; \
    apt-get update; \
    ACCEPT_EULA=Y apt-get install -y --no-install-recommends msodbcsql18; \
    apt-get purge -y --auto-remove curl gnupg; \
    rm -rf /var/lib/apt/lists/*

COPY . /src
RUN pip install --no-cache-dir '/src[mssql,redis]' && rm -rf /src

RUN useradd --system --uid 10001 --home-dir /data customtables \
    && mkdir -p /data && chown customtables /data
USER customtables
WORKDIR /data
ENV CUSTOMTABLES_DATA_DIR=/data PYTHONUNBUFFERED=1
VOLUME /data
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=3)"]
# The first start on an empty database prints the default tenant's Admin token to this log.
CMD ["customtables", "serve", "--host", "0.0.0.0", "--port", "8000"]
