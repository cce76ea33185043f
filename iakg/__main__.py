"""``python -m iakg`` runs the command line."""

import sys

from iakg.cli import main

sys.exit(main())
