# Image of the Joint Operations Portal (web, worker and beat share it).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --system --home /app portal \
    && mkdir -p var/media var/staticfiles \
    && chown -R portal var
USER portal
# The built-in base map for the default MAP_REGION, so the first map page need not build it
# (another region is built at its first request). DEBUG only lets the settings load here.
RUN DEBUG=1 python manage.py build_basemap

EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
