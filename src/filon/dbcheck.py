"""`python -m filon.dbcheck URL`: exit 0 when the PostgreSQL server in URL accepts connections.

Used by `make test` to decide whether to run the PostgreSQL tier; it connects to the server's
maintenance database, so the target database need not exist yet.
"""

from __future__ import annotations

import sys

import dj_database_url
import psycopg


def main(url: str) -> int:
    cfg = dj_database_url.parse(url)
    try:
        with psycopg.connect(
            host=cfg.get("HOST") or "127.0.0.1",
            port=int(cfg.get("PORT") or 5432),
            user=cfg.get("USER") or "postgres",
            password=cfg.get("PASSWORD") or None,
            dbname="postgres",
            connect_timeout=3,
        ):
            return 0
    except psycopg.OperationalError:
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
