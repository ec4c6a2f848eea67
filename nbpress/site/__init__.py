"""Stages 4 and 5: layouts x pages -> routes, and each route rendered through Jinja2."""
