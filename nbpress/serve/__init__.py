"""The dev server: build, serve output/ under base_url, rebuild on every change, reload the browser."""

from nbpress.serve.server import ServeEvent, serve

__all__ = ["ServeEvent", "serve"]
