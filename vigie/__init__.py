"""Vigie: open-source-intelligence collector for social-security inspection."""

__version__ = "0.1.0"
