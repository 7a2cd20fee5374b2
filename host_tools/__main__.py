# python -m host_tools: the wasi-flash command line.
import sys

from .cli import main

sys.exit(main())
