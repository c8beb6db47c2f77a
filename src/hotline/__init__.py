"""Hotline 12345: an open platform for a city's government service hotline (政务服务便民热线)."""

__version__ = "0.1.0"
