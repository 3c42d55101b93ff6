"""Media helpers under their fastmcp import path."""

from berth_sdk.content import Audio, File, Image

__all__ = ["Audio", "File", "Image"]
