"""``utilities.types``: Image and Audio under the official SDK's import path."""

from berth_sdk.content import Audio, Image

__all__ = ["Audio", "Image"]
