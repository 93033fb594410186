from servicekit.runtime import main

from .main import MIGRATIONS, create_app
from .settings import Settings

main(name="notifications", settings=Settings(), create_app=create_app, migrations_dir=MIGRATIONS)
