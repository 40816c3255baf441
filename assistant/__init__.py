"""Question answering with cited sources over Korean public-sector plan documents."""

__version__ = "0.1.0"
