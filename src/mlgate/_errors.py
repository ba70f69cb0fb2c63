"""The one error hierarchy of mlgate.

Every error a user can cause is an :class:`MlgateError`. Its message says what is wrong
and how to fix it, and its ``exit_code`` is what the CLI exits with. Nothing below the
CLI prints or exits; it raises one of these.
"""

from __future__ import annotations


class MlgateError(Exception):
    """Root of every error mlgate raises on purpose.

    Attributes:
        exit_code: The process exit code the CLI uses for this error. 2 means "error"
            (bad input, broken environment); 1 is reserved for a failed gate.
    """

    exit_code: int = 2


class ConfigError(MlgateError):
    """mlgate.yaml (or another config file) is missing, malformed or invalid."""


class NotARepository(MlgateError):
    """No mlgate.yaml was found in the current directory or any parent."""


class PathError(MlgateError):
    """A path given by the user, or found in a manifest, is missing or not allowed."""


class StoreError(MlgateError):
    """The object store could not be read or written (permissions, full disk)."""


class ObjectNotFound(StoreError):
    """An object named by a pointer or manifest is not in the cache."""


class CorruptObject(StoreError):
    """An object's content does not match its digest."""


class RemoteError(StoreError):
    """A remote could not be reached, refused the credentials, or failed a transfer."""


class WorkspaceConflict(MlgateError):
    """An operation would overwrite or delete data that exists nowhere else."""


class LockTimeout(MlgateError):
    """Another mlgate process holds the repository lock for too long."""


class GateFailed(MlgateError):
    """A promotion gate did not pass. The CLI exits 1 for it, not 2."""

    exit_code = 1


class RegistryError(MlgateError):
    """The registry could not be used (unreachable, refused, or a bad request)."""


class RegistryUnavailable(RegistryError):
    """The registry database cannot be reached or refused the credentials."""


class SchemaMismatch(RegistryError):
    """The registry's schema is older (or newer) than this mlgate."""


class NotFound(RegistryError):
    """A model, version, alias or run does not exist."""


class AliasConflict(RegistryError):
    """An alias moved since the caller read it; the move was not applied.

    Attributes:
        current: The version the alias points to now (None if it does not exist).
    """

    def __init__(self, message: str, current: int | None) -> None:
        super().__init__(message)
        self.current = current


class PipelineError(MlgateError):
    """The stages in mlgate.yaml do not form a valid pipeline, or a stage failed."""


class ExecutorError(MlgateError):
    """The place where stages run (a Dask cluster) cannot be reached or lost the work."""


class EvaluationError(MlgateError):
    """Evaluation data, predictions or a gate specification are unusable."""


class ModelError(MlgateError):
    """A model file cannot be loaded (missing, corrupt, wrong flavor, untrusted) or
    rejects its input."""


class InputRejected(ModelError):
    """A model's input lacks what the model needs (a client's mistake, not the model's)."""
