"""Storage: the repositories the services use, the documents they keep, and the sinks that
keep those documents between runs (TinyDB files, PostgreSQL)."""
