-- Durable work queues. Times are epoch seconds from the storage clock.
CREATE TABLE queue_items (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  queue TEXT NOT NULL,
  tenant TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  ordering_key TEXT NOT NULL,
  payload BYTEA NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'done', 'dead')),
  available_at DOUBLE PRECISION NOT NULL,
  enqueued_at DOUBLE PRECISION NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  leased_by TEXT,
  lease_until DOUBLE PRECISION,
  last_error TEXT,
  finished_at DOUBLE PRECISION,
  UNIQUE (queue, tenant, idempotency_key)
);
CREATE INDEX queue_items_pending ON queue_items (queue, id)
  WHERE state = 'pending';
CREATE INDEX queue_items_ordering ON queue_items
  (queue, tenant, ordering_key, id) WHERE state = 'pending';
CREATE INDEX queue_items_finished ON queue_items (state, finished_at)
  WHERE state <> 'pending';

CREATE TABLE remembered_keys (
  tenant TEXT NOT NULL,
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  remembered_at DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (tenant, scope, key)
);
CREATE INDEX remembered_keys_age ON remembered_keys (remembered_at);

CREATE TABLE checkpoints (
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  value BYTEA NOT NULL,
  updated_at DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (tenant, name)
);

CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE usage_counters (
  tenant TEXT NOT NULL,
  counter TEXT NOT NULL,
  day TEXT NOT NULL,
  total BIGINT NOT NULL,
  PRIMARY KEY (tenant, counter, day)
);

CREATE TABLE token_buckets (
  key TEXT PRIMARY KEY,
  tokens DOUBLE PRECISION NOT NULL,
  updated_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE document_heads (
  kind TEXT NOT NULL,
  tenant TEXT NOT NULL,
  latest_version INTEGER NOT NULL,
  active_version INTEGER,
  PRIMARY KEY (kind, tenant)
);

CREATE TABLE documents (
  kind TEXT NOT NULL,
  tenant TEXT NOT NULL,
  version INTEGER NOT NULL,
  body BYTEA NOT NULL,
  created_at DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (kind, tenant, version)
);

CREATE TABLE event_log (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant TEXT NOT NULL,
  direction TEXT NOT NULL,
  event_type TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  status TEXT NOT NULL,
  detail TEXT NOT NULL,
  recorded_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX event_log_tenant ON event_log (tenant, recorded_at);
CREATE INDEX event_log_status ON event_log (tenant, status, recorded_at);
CREATE INDEX event_log_age ON event_log (recorded_at)
