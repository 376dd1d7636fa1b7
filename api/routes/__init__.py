"""One router per resource. `create_app` includes every module listed here (each exposes `router`)."""

RESOURCE_ROUTER_MODULES = (
    "api.routes.placement",  # learner recommendations, placement exports
    "api.routes.sufficiency",  # forecast/sufficiency charts and workbooks
    "api.routes.scenarios_compare",  # scenario comparison, frontier charts
    "api.routes.scenario_money",  # scenario runs' money view: spend, savings, payback
    "api.routes.transitions",  # transition plans, team calendars (ICS)
    "api.routes.areas",  # derive/rename localities, default/change outreach teams
)
