"""`mlgate init`."""

from __future__ import annotations

import click


@click.command("init")
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing mlgate.yaml.")
def init_cmd(directory: str, force: bool) -> None:
    """Create mlgate.yaml and .mlgate/ in DIRECTORY (default: here) and ignore .mlgate/ in git."""
    from mlgate.config import init_project

    result = init_project(directory, force=force)
    if result.wrote_config:
        click.echo(f"Wrote {result.root}/mlgate.yaml")
    else:
        click.echo(f"Kept the existing {result.root}/mlgate.yaml (use --force to replace it)")
    for entry in result.gitignore_added:
        click.echo(f"Added {entry} to .gitignore")
    click.echo("Next: `mlgate add DATA`, then commit mlgate.yaml, mlgate.lock/ and .gitignore.")
