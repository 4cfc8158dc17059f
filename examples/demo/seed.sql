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

-- Who to reach at each account, for the Meta audience sync (raw here; backflow normalises and hashes).
CREATE OR REPLACE TABLE account_contacts (
  account_id INTEGER PRIMARY KEY,
  email VARCHAR,
  phone VARCHAR,
  country VARCHAR
);
INSERT INTO account_contacts VALUES
  (1, ' Ops@Acme.example ', '+1 (650) 555-0101', 'US'),
  (2, 'it@globex.example', '+44 20 7946 0958', 'GB'),
  (3, 'Peter.Gibbons@Initech.example', '001 512 555 0199', 'US'),
  (4, 'alice@umbrella.example', NULL, 'DE');
