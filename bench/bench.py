"""`python bench/bench.py ...` is `python -m bench ...`, kept for the commands people know (see bench/README.md)."""

import sys
from pathlib import Path

if __name__ == "__main__":
    # Run as a script, sys.path[0] is bench/ itself, where `bench` would be this file: use the repository.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
    from bench.run import main

    sys.exit(main())
