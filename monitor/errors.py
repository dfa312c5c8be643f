"""Errors a user reads as one line; kept free of heavy imports so every command can catch them."""


class ArchiveError(Exception):
    """The archive file cannot be used; the message says which file and why."""
