# The one image behind web, worker and beat in docker-compose.yml.
FROM python:3.11-slim-bookworm

# Production unless told otherwise: without SECRET_KEY the containers refuse to start.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DEBUG=0
# WeasyPrint renders PDFs with Pango.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
# Editable: the apps, templates and translations run from /app, installed once.
RUN pip install -e . \
    && SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost python manage.py collectstatic --no-input \
    && useradd --system --home /app loja && mkdir -p /app/var && chown loja /app/var
USER loja

EXPOSE 8000
CMD ["gunicorn", "backoffice.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
