"""Chinese standard addresses: normalize, parse, match (geocode) and reverse geocode.

`addressing` depends on `twin` for the store, the models and the division table only.
Its hot modules run compiled where a current native build exists (`addressing/native.py`).
"""

from addressing.native import use_current_build

use_current_build()
