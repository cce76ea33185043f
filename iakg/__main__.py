"""``python -m iakg`` runs the command line."""

import sys

from iakg.cli import main

if __name__ == "__main__":  # not when a worker process of `iakg serve` imports the main module again
    sys.exit(main())
