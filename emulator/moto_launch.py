"""Starts moto's server with the project's moto extension installed (the
same server and options as the `moto_server` command). Fails at start when
the installed moto is not the one the extension was written for."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import moto_ext  # noqa: E402

moto_ext.install()
print(f"moto_ext: installed on moto {moto_ext.PINNED_VERSION}", flush=True)

from moto.server import main  # noqa: E402

sys.exit(main())
