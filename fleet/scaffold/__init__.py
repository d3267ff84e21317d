"""Scaffolding: new environment overlays and cluster stacks, from Jinja2 templates, never overwriting."""
