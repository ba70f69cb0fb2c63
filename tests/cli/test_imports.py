"""`mlgate --help` must stay cheap: no heavy libraries on the start-up path."""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "pandas",
    "numpy",
    "sklearn",
    "torch",
    "sqlalchemy",
    "fastapi",
    "rich",
    "yaml",
    "msgspec",
    "obstore",
    "asyncio",
)


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from mlgate.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "HEAVY="


def test_status_does_not_import_transfer_or_rich() -> None:
    code = (
        "import sys, os, tempfile\n"
        "from mlgate.config import init_project\n"
        "d = tempfile.mkdtemp(); init_project(d); os.chdir(d)\n"
        "from mlgate.cli import main\n"
        "try:\n    main(['status'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED=' + ','.join(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'rich', 'obstore', 'asyncio', 'pandas', 'numpy'})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "LOADED="
