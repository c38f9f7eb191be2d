"""Django's PostgreSQL backend, reading time stamps with psycopg's compiled loader."""
