# Sourced by ./mlgate and ./test: create or reuse the project's virtual environment.
# It reinstalls only when pyproject.toml changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MLGATE_VENV:-$ROOT/.venv}"

pick_python() {
    for candidate in python3.11 python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "mlgate needs Python 3.11 or newer on PATH" >&2
    return 1
}

if [ ! -x "$VENV/bin/python" ]; then
    "$(pick_python)" -m venv "$VENV"
fi
stamp="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ "$(cat "$VENV/.mlgate-stamp" 2>/dev/null || true)" != "$stamp" ]; then
    echo "Installing mlgate and its test tools into $VENV ..." >&2
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[dev]" >&2
    echo "$stamp" >"$VENV/.mlgate-stamp"
fi
export PATH="$VENV/bin:$PATH"
