"""Helpers shared by the test folders: tiny models, adapter files, a hub on loopback, waiting
on worker events. Import them as `from helpers.tiny import tiny_model`."""
