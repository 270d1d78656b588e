-- Durable work queues. Times are epoch seconds from the storage clock.
CREATE TABLE queue_items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  tenant TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  ordering_key TEXT NOT NULL,
  payload BLOB NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'done', 'dead')),
  available_at REAL NOT NULL,
  enqueued_at REAL NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  leased_by TEXT,
  lease_until REAL,
  last_error TEXT,
  finished_at REAL,
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
  remembered_at REAL NOT NULL,
  PRIMARY KEY (tenant, scope, key)
);
CREATE INDEX remembered_keys_age ON remembered_keys (remembered_at);

CREATE TABLE checkpoints (
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  value BLOB NOT NULL,
  updated_at REAL NOT NULL,
  PRIMARY KEY (tenant, name)
);

CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at REAL NOT NULL
);

CREATE TABLE usage_counters (
  tenant TEXT NOT NULL,
  counter TEXT NOT NULL,
  day TEXT NOT NULL,
  total INTEGER NOT NULL,
  PRIMARY KEY (tenant, counter, day)
);

CREATE TABLE token_buckets (
  key TEXT PRIMARY KEY,
  tokens REAL NOT NULL,
  updated_at REAL NOT NULL
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
  body BLOB NOT NULL,
  created_at REAL NOT NULL,
  PRIMARY KEY (kind, tenant, version)
);

CREATE TABLE event_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant TEXT NOT NULL,
  direction TEXT NOT NULL,
  event_type TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  status TEXT NOT NULL,
  detail TEXT NOT NULL,
  recorded_at REAL NOT NULL
);
CREATE INDEX event_log_tenant ON event_log (tenant, recorded_at);
CREATE INDEX event_log_status ON event_log (tenant, status, recorded_at);
CREATE INDEX event_log_age ON event_log (recorded_at)
