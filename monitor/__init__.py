"""County-lines monitor: UK police and press announcements about county lines, archived with their figures."""

__version__ = "0.1.0"
