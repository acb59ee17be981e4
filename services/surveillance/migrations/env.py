from services.surveillance.models import metadata
from shared.db import run_alembic_env

run_alembic_env(metadata)
