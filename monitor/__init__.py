"""County-lines monitor: UK police and press announcements about county lines, and their figures."""

__version__ = "0.1.0"
