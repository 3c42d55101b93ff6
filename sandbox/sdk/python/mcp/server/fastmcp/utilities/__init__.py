"""Utilities under the official SDK's import path."""
