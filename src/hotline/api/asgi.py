"""ASGI entry point for uvicorn/gunicorn: `hotline.api.asgi:app`."""

from hotline.api.app import create_app

app = create_app()
