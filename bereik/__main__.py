import sys

from bereik.cli import main

sys.exit(main())
