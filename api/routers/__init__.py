"""Routers, one module per standard part."""
