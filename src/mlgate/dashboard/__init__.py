"""The web dashboard behind `mlgate ui`: models and their versions, lineage, gate
reports, deployments, and runs with their metric plots. It only reads the registry."""

from mlgate.dashboard._app import create_app
from mlgate.dashboard._plots import line_chart

__all__ = ["create_app", "line_chart"]
