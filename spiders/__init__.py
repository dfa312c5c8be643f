"""Thin spiders: one per kind of source (feed, HTML listing), driven by config.yaml."""
