"""Frontoffice: front office management for reception, sales and finance desks."""

__version__ = "0.1.0"
