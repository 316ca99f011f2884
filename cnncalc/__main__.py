import sys

from cnncalc.cli import main

sys.exit(main(prog_name="cnncalc"))
