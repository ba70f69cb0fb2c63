"""The root command group. Subcommands are imported only when invoked, so that
`mlgate --help` and quick commands start fast."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import click

from mlgate._errors import MlgateError

# name -> (module:attribute, one-line help shown by `mlgate --help` without importing it)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("mlgate.cli._project:init_cmd", "Make this directory an mlgate repository."),
    "add": ("mlgate.cli._data:add_cmd", "Version files or directories by content."),
    "remove": ("mlgate.cli._data:remove_cmd", "Stop tracking paths (the data stays)."),
    "status": ("mlgate.cli._data:status_cmd", "Show tracked paths that changed or are missing."),
    "checkout": ("mlgate.cli._data:checkout_cmd", "Restore tracked paths from the cache."),
    "push": ("mlgate.cli._remote:push_cmd", "Upload tracked objects to the remote."),
    "fetch": ("mlgate.cli._remote:fetch_cmd", "Download tracked objects into the cache."),
    "pull": ("mlgate.cli._remote:pull_cmd", "Fetch, then check out."),
    "gc": ("mlgate.cli._data:gc_cmd", "Delete cache objects nothing references."),
    "run": ("mlgate.cli._pipeline:run_cmd", "Run the pipeline, rebuilding only what changed."),
    "dag": ("mlgate.cli._pipeline:dag_cmd", "Show the stage graph in run order."),
    "params": ("mlgate.cli._pipeline:params_group", "Compare parameters with a git revision."),
    "metrics": ("mlgate.cli._pipeline:metrics_group", "Show metrics, or compare with a revision."),
    "register": ("mlgate.cli._registry:register_cmd", "Register a model version with lineage."),
    "models": ("mlgate.cli._registry:models_group", "Browse registered models and versions."),
    "lineage": ("mlgate.cli._registry:lineage_cmd", "Show where a model version came from."),
    "runs": ("mlgate.cli._registry:runs_cmd", "List runs, or show one."),
    "alias": ("mlgate.cli._registry:alias_group", "Move or delete model aliases."),
    "history": ("mlgate.cli._registry:history_cmd", "Show every alias move of a model."),
    "registry": ("mlgate.cli._registry:registry_group", "Create or migrate the registry."),
    "gate": ("mlgate.cli._gate:gate_cmd", "Judge a candidate model against the gates."),
    "tune": ("mlgate.cli._tune:tune_group", "Run or inspect the study of a tune stage."),
    "serve": ("mlgate.cli._serve:serve_cmd", "Serve a model alias over HTTP, following it."),
    "rollout": ("mlgate.cli._serve:rollout_cmd", "Canary a version with automatic analysis."),
    "rollback": ("mlgate.cli._serve:rollback_cmd", "Move an alias back to its previous version."),
    "promote": ("mlgate.cli._serve:promote_cmd", "Point an alias at a version that passed."),
    "ci": ("mlgate.cli._ci:ci_group", "Pull, run, register, gate, report (and --deploy)."),
    "ui": ("mlgate.cli._ui:ui_cmd", "Browse models, runs and gate reports in a browser."),
    "demo": ("mlgate.cli._demo:demo_cmd", "Run the bundled example end to end."),
}


class LazyGroup(click.Group):
    """A group whose subcommands live in modules imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target[0].partition(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, short) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mlgate", prog_name="mlgate")
def cli() -> None:
    """mlgate: CI/CD for machine learning.

    Version data and models by content, rebuild only what changed, gate promotions on
    statistics, and deploy with a canary and a rollback.
    """


def invocation() -> str:
    """The command line being run, as recorded in audit histories."""
    import shlex

    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    argv = obj.get("argv", sys.argv[1:]) if isinstance(obj, dict) else sys.argv[1:]
    return shlex.join(["mlgate", *argv])


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the CLI and turn errors into messages and exit codes."""
    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        result = cli.main(args=args, prog_name="mlgate", standalone_mode=False, obj={"argv": args})
        code = result if isinstance(result, int) else 0
    except MlgateError as exc:
        click.echo(f"error: {exc}", err=True)
        code = exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        code = 130
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted; every completed step was kept", err=True)
        code = 130
    except OSError as exc:
        click.echo(f"error: {exc}", err=True)
        code = 2
    sys.exit(code)
