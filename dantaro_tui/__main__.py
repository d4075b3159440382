import sys

from dantaro_tui.cli import main

sys.exit(main())
