"""`python -m pubreview.cli`."""

import sys

from pubreview.cli.parser import main

sys.exit(main())
