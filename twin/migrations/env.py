"""Alembic environment: runs on the connection `twin.store.migrate` hands over."""

from alembic import context

from twin.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # plain `alembic` command line: open our own
        from twin.settings import StoreSettings
        from twin.store import open_store

        url = config.get_main_option("sqlalchemy.url") or ""
        engine = open_store(StoreSettings(database_url=url))
        with engine.begin() as connection:
            _configure_and_run(connection)
        return
    _configure_and_run(connection)


def _configure_and_run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()


run()
