"""``python -m helpers.shapes train`` (``make shapesnet``) and ``python -m helpers.shapes grid``."""
import sys

from .training import main

sys.exit(main())
