"""The SQLite store: every answer committed the moment it is given."""

from __future__ import annotations

from cjm_interview.store.db import Store, StoreError, open_store, utc_now

__all__ = ["Store", "StoreError", "open_store", "utc_now"]
