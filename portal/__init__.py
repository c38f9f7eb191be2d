"""Joint Operations Portal: settings, the Celery app and the shared core."""

from portal.celery import app as celery_app

__all__ = ["celery_app"]
