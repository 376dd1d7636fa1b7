"""The service layer: persistence (SQLModel), the FastAPI application and the `placeplan` CLI."""
