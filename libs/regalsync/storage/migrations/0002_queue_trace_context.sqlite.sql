-- The W3C traceparent of the span that enqueued an item, so the worker
-- that handles it continues the same trace. NULL when tracing is off.
ALTER TABLE queue_items ADD COLUMN trace_context TEXT
