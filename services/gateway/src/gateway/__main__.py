import sys

import uvicorn
from servicekit.logging import configure_logging

from .main import create_app
from .settings import Settings

settings = Settings()
if len(sys.argv) > 1 and sys.argv[1] not in ("serve",):
    raise SystemExit("usage: python -m gateway [serve]")
configure_logging("gateway", settings.log_level, as_json=settings.log_json)
uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None, access_log=False)
