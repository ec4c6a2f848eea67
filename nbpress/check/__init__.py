"""Checking a built site offline: links, anchors, images, scripts, titles, descriptions, feeds, the sitemap."""

from nbpress.check.html import parse_html
from nbpress.check.site import check_site, html_files

__all__ = ["check_site", "html_files", "parse_html"]
