"""Container health check: exit 0 when Clarion answers 200 on a health route, else 1.

Python rather than curl, which the slim base images lack; the port follows CLARION_PORT so a
container started with another port stays healthy. Usage: healthcheck.py [/health/live]
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

path = sys.argv[1] if len(sys.argv) > 1 else "/health/live"
url = f"http://127.0.0.1:{os.environ.get('CLARION_PORT', '8000')}{path}"
try:
    with urllib.request.urlopen(url, timeout=3) as response:
        sys.exit(0 if response.status == 200 else 1)
except (urllib.error.URLError, OSError) as e:
    print(f"{url}: {e}", file=sys.stderr)
    sys.exit(1)
