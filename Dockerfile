FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app

COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir -e .

COPY . .
RUN mkdir -p var/search-index var/media && DEBUG=1 STATIC_MANIFEST=1 python manage.py collectstatic --noinput -v0 \
    && useradd --system --home /app exchange && chown -R exchange /app/var
USER exchange

EXPOSE 8000
CMD ["gunicorn", "exchange.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
