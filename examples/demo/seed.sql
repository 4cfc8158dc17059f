-- The lesson's accounts table. `last_seen_at` is deliberately left unmapped.
CREATE OR REPLACE TABLE accounts (
  id INTEGER PRIMARY KEY,
  name VARCHAR NOT NULL,
  health INTEGER,
  segment VARCHAR,
  mrr INTEGER,
  last_seen_at TIMESTAMP
);
INSERT INTO accounts VALUES
  (1, 'Acme', 38, 'at-risk', 900, TIMESTAMP '2026-11-20 09:00:00'),
  (2, 'Globex', 82, 'healthy', 4000, TIMESTAMP '2026-11-21 10:30:00'),
  (3, 'Initech', 55, 'neutral', 700, TIMESTAMP '2026-11-22 14:15:00'),
  (4, 'Umbrella', 91, 'healthy', 1200, TIMESTAMP '2026-11-23 16:45:00');
