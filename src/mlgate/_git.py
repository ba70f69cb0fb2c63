"""Running git, and what it says about the repository a run comes from."""

from __future__ import annotations

import subprocess


def run_git(
    root: str, *args: str, stdin: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[bytes] | None:
    """``git -C root ARGS``; None when git is missing or does not answer in time."""
    try:
        return subprocess.run(
            ["git", "-C", root, *args],
            input=stdin,
            capture_output=True,
            check=False,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def git_state(root: str) -> tuple[str | None, bool]:
    """(HEAD commit, whether the work tree has uncommitted changes).

    Returns (None, False) outside a git repository or without git.
    """
    head = run_git(root, "rev-parse", "HEAD")
    if head is None or head.returncode != 0:
        return None, False
    status = run_git(root, "status", "--porcelain")
    dirty = status is not None and bool(status.stdout.strip())
    return head.stdout.decode().strip() or None, dirty
