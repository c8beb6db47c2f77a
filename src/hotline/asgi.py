"""ASGI entry point for uvicorn/gunicorn: `hotline.asgi:app`."""

from hotline.app import create_app

app = create_app()
