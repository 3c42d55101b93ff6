"""``fastmcp.server.lifespan``: composable lifespans (implemented in ``berth_sdk.lifespan``)."""

from berth_sdk.lifespan import ComposedLifespan, ContextManagerLifespan, Lifespan, lifespan

__all__ = ["ComposedLifespan", "ContextManagerLifespan", "Lifespan", "lifespan"]
