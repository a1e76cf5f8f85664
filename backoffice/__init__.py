"""The Django project: settings, URLs, the Celery app, login and roles, audit log, layout and shared helpers."""

from .celery import app as celery_app

__all__ = ("celery_app",)
