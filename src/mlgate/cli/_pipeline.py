"""Commands on the pipeline: dag."""

from __future__ import annotations

import json

import click

from mlgate.config import load_project


@click.command("dag")
@click.argument("stages", nargs=-1)
@click.option("--dot", is_flag=True, help="Graphviz output (pipe into `dot -Tpng`).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--downstream", is_flag=True, help="Also show the stages after STAGES.")
def dag_cmd(stages: tuple[str, ...], dot: bool, as_json: bool, downstream: bool) -> None:
    """Show the stage graph (of STAGES and what they need, or all) in run order."""
    from mlgate.pipeline import Pipeline

    pipeline = Pipeline.build(load_project().config.stages)
    chosen = pipeline.select(stages, downstream=downstream)
    if as_json:
        click.echo(json.dumps({name: sorted(pipeline.upstream[name]) for name in chosen}, indent=2))
    elif dot:
        click.echo("digraph pipeline {\n  rankdir=LR;")
        for name in chosen:
            click.echo(f'  "{name}";')
            for up in sorted(pipeline.upstream[name]):
                click.echo(f'  "{up}" -> "{name}";')
        click.echo("}")
    elif not chosen:
        click.echo("No stages yet: add them under `stages:` in mlgate.yaml.")
    else:
        for name in chosen:
            needs = ", ".join(sorted(pipeline.upstream[name]))
            click.echo(f"{name}" + (f"  <- {needs}" if needs else ""))
