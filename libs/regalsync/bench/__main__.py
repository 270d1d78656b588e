"""``python -m regalsync.bench``: the same as ``regal-sync bench``."""

import argparse
import sys

from regalsync.bench.runner import add_arguments, options_from, run

parser = argparse.ArgumentParser(prog="regal-sync bench",
                                 description="Measure regal-sync beside its baselines.")
add_arguments(parser)
sys.exit(run(options_from(parser.parse_args())))
