"""``fastmcp.utilities.logging.get_logger``: a standard logger under ``fastmcp.`` (its output is the
project's log in Berth)."""

import logging


def get_logger(name):
    return logging.getLogger(name if name.startswith("fastmcp.") else f"fastmcp.{name}")


__all__ = ["get_logger"]
