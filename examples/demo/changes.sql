-- Between the first and second run: two mapped changes, and one unmapped one that must send nothing.
UPDATE accounts SET health = 30 WHERE name = 'Acme';
UPDATE accounts SET segment = 'at-risk' WHERE name = 'Initech';
UPDATE accounts SET last_seen_at = TIMESTAMP '2026-11-25 08:00:00' WHERE name = 'Globex';
