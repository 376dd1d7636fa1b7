"""Place planning for English local authorities' SEND services: domain models and solvers.

This package knows nothing of HTTP or databases; `api/` adapts it for the service and the CLI.
"""

__version__ = "0.1.0"
