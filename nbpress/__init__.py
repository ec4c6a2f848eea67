"""nbpress: publish Jupyter notebooks and Markdown posts as a fast static site."""

__version__ = "0.1.0"
