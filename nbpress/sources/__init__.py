"""Stages 1 and 2: find the sources, and read each, whatever its format, into a Page."""
