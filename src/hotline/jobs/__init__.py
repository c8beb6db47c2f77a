"""The durable job queue: work that follows an event runs in `hotline worker` processes, not in the
request that caused it.

On PostgreSQL the queue is procrastinate (jobs are rows in the same database, taken with
SELECT … FOR UPDATE SKIP LOCKED, woken by LISTEN/NOTIFY); a job is deferred in the transaction that
makes its reason, so it exists exactly when that commit does. On SQLite (the embedded single-process
default) there is no queue: the same work runs in the request, or in the scheduler's sweep."""
