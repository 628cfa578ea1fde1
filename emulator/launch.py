"""Starts MiniStack with the project's extension installed: the same server
and options as the `ministack` command, plus the Cognito behaviour of
ministack_ext. Fails at start when the installed MiniStack is not the one the
extension hooks."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ministack_ext  # noqa: E402

ministack_ext.install()
print(f"ministack_ext: installed on ministack {ministack_ext.PINNED_VERSION}", flush=True)

from ministack.app import main  # noqa: E402

sys.exit(main())
