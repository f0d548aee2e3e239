-- Review decisions. A person accepted, corrected or rejected a fact: the fact row carries the
-- outcome (status, value, extractor 'reviewer', who and when), and `review` keeps every decision
-- with the value before and after. A reviewed fact is never replaced by a later re-extraction.
ALTER TABLE fact ADD COLUMN reviewedBy TEXT;
ALTER TABLE fact ADD COLUMN reviewedAt TEXT;

CREATE TABLE review (
    id INTEGER PRIMARY KEY,
    factId INTEGER REFERENCES fact(id) ON DELETE SET NULL,
    documentId INTEGER NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    groupName TEXT NOT NULL,
    item INTEGER NOT NULL,
    fieldPath TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accept', 'correct', 'reject')),
    oldValue TEXT,
    newValue TEXT,
    oldStatus TEXT NOT NULL,
    note TEXT,
    -- the OS user (CLI) or the API token's name (server)
    reviewer TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX review_fact ON review(factId);
CREATE INDEX review_document ON review(documentId);
