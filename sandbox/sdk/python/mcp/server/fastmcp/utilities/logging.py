"""``utilities.logging.get_logger`` under the official SDK's import path (a standard logger)."""

import logging


def get_logger(name):
    return logging.getLogger(name)


__all__ = ["get_logger"]
