"""Renderers of the spec into other deployment formats (Bicep parameter files)."""
