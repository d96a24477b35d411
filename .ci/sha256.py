"""Print `HEX  NAME` (sha256sum's format) for each file named: the same on Linux, macOS and Windows."""

import hashlib
import sys

for name in sys.argv[1:]:
    with open(name, "rb") as f:
        print(f"{hashlib.sha256(f.read()).hexdigest()}  {name}")
