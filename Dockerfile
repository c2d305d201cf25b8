FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app

# Pango and its fonts for WeasyPrint (PDF reports).
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir -e .

COPY . .
RUN mkdir -p var/search-index var/media && DEBUG=1 STATIC_MANIFEST=1 python manage.py collectstatic --noinput -v0 \
    && NO_MKDOCS_2_WARNING=1 python -m mkdocs build -q -d var/help-site \
    && useradd --system --home /app exchange && chown -R exchange /app/var
USER exchange

EXPOSE 8000
CMD ["gunicorn", "exchange.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
