"""The service's own resource routers (create_app includes these and api.routes.RESOURCE_ROUTER_MODULES)."""

SERVICE_ROUTER_MODULES = (
    "api.routes.health",  # GET /health (no key)
    "api.routes.me",  # GET /me: the caller and role
    "api.routes.instances",  # instances, localities, teams
    "api.routes.settings",  # settings CRUD
    "api.routes.learners",  # learner CRUD (officer; audited)
    "api.routes.scenarios",  # scenarios CRUD and lineage
    "api.routes.runs",  # solve jobs
    "api.routes.demo",  # build the demo council
    "api.routes.audit_log",  # audit trail (admin)
    "api.routes.members",  # a council's members and their roles (admin)
)
