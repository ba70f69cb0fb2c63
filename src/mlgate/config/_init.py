"""`mlgate init`: the config file, the state directory and the .gitignore entries."""

from __future__ import annotations

import os
from dataclasses import dataclass

from mlgate._errors import ConfigError
from mlgate._fs import atomic_write, translate_os_errors
from mlgate.config._load import CONFIG_NAME, STATE_DIR

DEFAULT_CONFIG = """\
# mlgate configuration: see README.md ("mlgate.yaml") for every key.
registry: sqlite:///.mlgate/registry.db   # or postgresql+psycopg://user@host/db

cache:
  link: auto        # auto (reflink, else copy) | copy | hardlink (read-only cache files)

# remote: s3://bucket/prefix   # or {url: s3://bucket/prefix, endpoint: http://127.0.0.1:9000}

track: []           # data paths `mlgate add` versions when it is given no path

stages: {}
"""

GITIGNORE_ENTRIES = ("/.mlgate/",)


@dataclass(frozen=True)
class InitResult:
    """What `mlgate init` did.

    Attributes:
        root: The repository root.
        wrote_config: False when an existing mlgate.yaml was kept.
        gitignore_added: The .gitignore lines that were added.
    """

    root: str
    wrote_config: bool
    gitignore_added: tuple[str, ...]


def init_project(root: str, *, force: bool = False) -> InitResult:
    """Make ``root`` an mlgate repository. Running it twice is harmless.

    Args:
        root: The directory to initialise (normally the git repository's root).
        force: Overwrite an existing mlgate.yaml with the default one.

    Raises:
        ConfigError: ``root`` is not a directory.
        StoreError: it cannot be written.
    """
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        raise ConfigError(f"{root} is not a directory; create it or run `mlgate init` elsewhere")
    config_path = os.path.join(root, CONFIG_NAME)
    wrote = force or not os.path.exists(config_path)
    with translate_os_errors(f"initialising {root}"):
        if wrote:
            atomic_write(config_path, DEFAULT_CONFIG.encode())
        os.makedirs(os.path.join(root, STATE_DIR), exist_ok=True)
        added = _ensure_gitignore(os.path.join(root, ".gitignore"), GITIGNORE_ENTRIES)
    return InitResult(root=root, wrote_config=wrote, gitignore_added=added)


def ensure_gitignore_entry(directory: str, entry: str) -> bool:
    """Add ``entry`` to ``directory``/.gitignore unless present; True if it was added."""
    return bool(_ensure_gitignore(os.path.join(directory, ".gitignore"), (entry,)))


def _ensure_gitignore(path: str, entries: tuple[str, ...]) -> tuple[str, ...]:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        text = ""
    present = {line.strip() for line in text.splitlines()}
    missing = tuple(e for e in entries if e not in present)
    if missing:
        prefix = text if not text or text.endswith("\n") else text + "\n"
        atomic_write(path, (prefix + "".join(f"{e}\n" for e in missing)).encode())
    return missing
