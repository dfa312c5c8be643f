"""Bundled Datasette metadata, queries and templates for browsing the archive."""
