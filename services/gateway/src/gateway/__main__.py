import sys

import uvicorn
from servicekit.heap import settle_heap
from servicekit.logging import configure_logging

from .main import create_app
from .settings import Settings

settings = Settings()
if len(sys.argv) > 1 and sys.argv[1] not in ("serve",):
    raise SystemExit("usage: python -m gateway [serve]")
configure_logging("gateway", settings.log_level, as_json=settings.log_json)
app = create_app(settings)
# The imports and the app live as long as the process: out of the collector's sight (servicekit.heap).
settle_heap()
uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False)
