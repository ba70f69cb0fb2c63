"""`mlgate ui`: the web dashboard over the repository's registry."""

from __future__ import annotations

import click

from mlgate._errors import MlgateError


@click.command("ui")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8090, show_default=True, type=click.IntRange(0, 65535))
def ui_cmd(host: str, port: int) -> None:
    """Browse models, versions and their lineage, gate reports, deployments, and runs
    with their metric plots, in a web browser. Read-only."""
    import socket

    import uvicorn

    from mlgate.cli._registry import open_registry
    from mlgate.config import load_project
    from mlgate.dashboard import create_app

    project = load_project()
    with open_registry():  # unreachable, or an old schema: say so now, not per page
        pass
    try:
        sock = socket.create_server((host, port))
    except OSError as exc:
        raise MlgateError(
            f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port"
        ) from None
    bound = sock.getsockname()[1]
    click.echo(f"dashboard on http://{host}:{bound} (Ctrl-C stops it)", err=True)
    app = create_app(project.config.registry, root=project.root)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[sock])
