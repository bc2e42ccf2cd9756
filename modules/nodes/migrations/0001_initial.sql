-- Nodes: the registry of arthexis instances (the seed's nodes app).
-- hostname is stored lower-case; last_seen is ISO 8601 UTC text.

CREATE TABLE nodes_node (
    id         {{id}},
    hostname   TEXT NOT NULL UNIQUE,
    address    TEXT NOT NULL,
    port       INTEGER NOT NULL DEFAULT 8000
               CHECK (port >= 1 AND port <= 65535),
    last_seen  TEXT NOT NULL DEFAULT ''
);
