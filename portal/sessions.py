"""Sessions in the database, as Django's own store keeps them, read with one plain statement.

Every signed-in request reads its session. Django's store reads it through the ORM, whose
query building cost more than the read itself; the row and its rules are the same here: a
session is found only by its key and only before it expires. Writing, creating and deleting
sessions are Django's.
"""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self):
        key = self.session_key
        if key is None or not key.isascii() or not key.isalnum():
            # Keys are letters and digits; a forged cookie (a NUL byte, which PostgreSQL refuses
            # in text, say) is a missing session, not a server error.
            self._session_key = None
            return {}
        model = self.model
        connection = connections[router.db_for_read(model)]
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",  # noqa: S608  (table name only)
                [self.session_key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's store: a missing or expired session starts afresh
            return {}
        return self.decode(row[0])
