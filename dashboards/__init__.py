"""Superset as errorhub's visual layer: the service definition, its bootstrap and the
dashboards-as-code provisioning (the bundle lives in `superset/bundle/`).

This package runs in the MAIN environment; Superset itself runs in `envs/superset/.venv`
and is only ever reached as a subprocess (CLI) or over HTTP (REST API).
"""
