"""What git says about the repository a run comes from."""

from __future__ import annotations

import subprocess


def git_state(root: str) -> tuple[str | None, bool]:
    """(HEAD commit, whether the work tree has uncommitted changes).

    Returns (None, False) outside a git repository or without git.
    """
    try:
        head = subprocess.run(
            ["git", "-C", root, "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        if head.returncode != 0:
            return None, False
        status = subprocess.run(
            ["git", "-C", root, "status", "--porcelain"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None, False
    return head.stdout.strip() or None, bool(status.stdout.strip())
