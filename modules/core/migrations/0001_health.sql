-- One row that the status route updates: it proves the database takes
-- writes, not only reads.
CREATE TABLE arthexis_health (
    id          INTEGER PRIMARY KEY,
    checked_at  TEXT NOT NULL DEFAULT ''
);

INSERT INTO arthexis_health (id, checked_at) VALUES (1, '');
