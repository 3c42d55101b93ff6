"""Elicitation results (``ctx.elicit`` returns one), for ``isinstance`` checks and ``match``."""

from berth_sdk.context import AcceptedElicitation, CancelledElicitation, DeclinedElicitation, ElicitationResult

__all__ = ["AcceptedElicitation", "CancelledElicitation", "DeclinedElicitation", "ElicitationResult"]
