-- EdgeHub hub catalog schema (generated from hub/EdgeHub.Hub/Catalog/CatalogMigrations.cs; the hub applies it itself).
CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL);
-- migration 1
CREATE TABLE regions (
    name TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);
CREATE TABLE edges (
    edge_id TEXT PRIMARY KEY,
    region TEXT NOT NULL REFERENCES regions(name),
    registered_at BIGINT NOT NULL,
    registered_by TEXT NOT NULL,
    last_seen BIGINT,
    online BIGINT NOT NULL DEFAULT 0,
    model_version TEXT,
    candidate_version TEXT,
    shadow_agreement DOUBLE PRECISION,
    last_model_error TEXT,
    queue_depth BIGINT NOT NULL DEFAULT 0,
    pending_rows BIGINT NOT NULL DEFAULT 0,
    devices BIGINT NOT NULL DEFAULT 0,
    frames_per_second DOUBLE PRECISION NOT NULL DEFAULT 0,
    drift_psi DOUBLE PRECISION,
    override_rate DOUBLE PRECISION,
    pinned_model TEXT,
    last_delta_at BIGINT
);
CREATE INDEX ix_edges_region ON edges(region);
CREATE TABLE dataset_versions (
    region TEXT NOT NULL,
    version BIGINT NOT NULL,
    committed_at BIGINT NOT NULL,
    edge_id TEXT NOT NULL,
    delta_id TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    rows BIGINT NOT NULL,
    labelled_rows BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    hub_node TEXT NOT NULL,
    PRIMARY KEY (region, version)
);
CREATE UNIQUE INDEX ix_dataset_versions_delta ON dataset_versions(region, edge_id, sequence);
CREATE TABLE delta_rejections (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    region TEXT NOT NULL,
    edge_id TEXT NOT NULL,
    delta_id TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    reason TEXT NOT NULL,
    hub_node TEXT NOT NULL
);
CREATE INDEX ix_delta_rejections_edge ON delta_rejections(edge_id, at);
CREATE TABLE models (
    version TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    parent_version TEXT,
    training_mode TEXT NOT NULL,
    dataset_version BIGINT NOT NULL,
    base_dataset_version BIGINT,
    chain_length BIGINT NOT NULL DEFAULT 0,
    trained_rows BIGINT NOT NULL DEFAULT 0,
    duration_ms BIGINT NOT NULL DEFAULT 0,
    feature_schema_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    signature TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    status TEXT NOT NULL,
    metrics_json TEXT,
    gate_json TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX ix_models_region ON models(region, created_at);
CREATE TABLE rollouts (
    rollout_id TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    model_version TEXT NOT NULL,
    previous_model TEXT,
    state TEXT NOT NULL,
    plan_json TEXT NOT NULL,
    state_json TEXT NOT NULL,
    revision BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ix_rollouts_region ON rollouts(region, created_at);
CREATE TABLE rollout_events (
    rollout_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (rollout_id, seq)
);
CREATE TABLE region_models (
    region TEXT PRIMARY KEY,
    model_version TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0);
-- migration 2
ALTER TABLE models ADD COLUMN record_json TEXT;
CREATE TABLE rollout_state (
    region TEXT PRIMARY KEY,
    snapshot_json TEXT NOT NULL,
    revision BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE retrain_requests (
    region TEXT PRIMARY KEY,
    mode TEXT,
    requested_at BIGINT NOT NULL,
    requested_by TEXT NOT NULL
);
INSERT INTO schema_migrations (version, applied_at) VALUES (2, 0);
-- migration 3
ALTER TABLE edges ADD COLUMN status_json TEXT;
INSERT INTO schema_migrations (version, applied_at) VALUES (3, 0);
