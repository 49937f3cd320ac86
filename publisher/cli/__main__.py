"""`python -m publisher.cli`: the `hf-tweetbot` command."""

import sys

from . import main

sys.exit(main())
