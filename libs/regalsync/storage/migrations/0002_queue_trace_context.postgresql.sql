-- The W3C traceparent of the span that enqueued an item, so the worker
-- that handles it continues the same trace. NULL when tracing is off.
-- Adding a nullable column without a default rewrites no rows.
ALTER TABLE queue_items ADD COLUMN trace_context TEXT
