"""The whole extension installs in one process, as launch.py does: every
module's pins are checked before any module wraps a function another module
also wraps."""
import subprocess
import sys
import unittest
from pathlib import Path

EMULATOR = Path(__file__).resolve().parents[1]


class Install(unittest.TestCase):
    def test_every_module_installs_together(self):
        result = subprocess.run(
            [sys.executable, "-c", "import ministack_ext; ministack_ext.install(); print('installed')"],
            cwd=EMULATOR, capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        self.assertIn("installed", result.stdout)


if __name__ == "__main__":
    unittest.main()
