"""Alembic environment: online on the connection handed over by app.migrate, or offline
(`app.migrate.upgrade_sql`) rendering the SQL for a dialect into a list."""

from __future__ import annotations

import io

from alembic import context

from app.metadata import metadata

config = context.config
if context.is_offline_mode():
    buffer = io.StringIO()
    context.configure(
        dialect_name=config.get_main_option("dialect_name"),
        # as a live SQL Server 2012+ is compiled: NVARCHAR(max), not the deprecated NTEXT
        dialect_opts={"deprecate_large_types": True},
        target_metadata=metadata,
        literal_binds=True,
        output_buffer=buffer,
    )
    with context.begin_transaction():
        context.run_migrations()
    config.attributes["output"].append(buffer.getvalue())
else:
    context.configure(
        connection=config.attributes["connection"], target_metadata=metadata, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()
