-- Chartex store, first schema. Never edit once shipped: add 0002_… instead.

-- One imported file, identified by the SHA-256 of its bytes.
CREATE TABLE document (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
    fileName TEXT NOT NULL,
    sourcePath TEXT NOT NULL,
    size INTEGER NOT NULL,
    pageCount INTEGER,
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'processing', 'completed', 'partial', 'failed')),
    error TEXT,
    importedAt TEXT NOT NULL,
    completedAt TEXT
);
CREATE INDEX document_status ON document(status);
CREATE INDEX document_fileName ON document(fileName);

-- One page as read: text layer or OCR. Failed pages keep a row with their error.
CREATE TABLE page (
    id INTEGER PRIMARY KEY,
    documentId INTEGER NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    number INTEGER NOT NULL CHECK (number >= 1),
    status TEXT NOT NULL CHECK (status IN ('completed', 'failed')),
    error TEXT,
    width REAL,
    height REAL,
    dpi REAL,
    rotation INTEGER,
    skew REAL,
    source TEXT CHECK (source IN ('textLayer', 'ocr')),
    meanConfidence REAL,
    blank INTEGER NOT NULL DEFAULT 0,
    text TEXT NOT NULL DEFAULT '',
    -- [[firstWord, wordCount, x0, y0, x1, y1, conf], …] and [[firstLine, lineCount, x0, y0, x1, y1], …]
    lines TEXT NOT NULL DEFAULT '[]',
    blocks TEXT NOT NULL DEFAULT '[]',
    readAt TEXT NOT NULL,
    UNIQUE (documentId, number)
);

-- Words with boxes (points, top-left origin of the upright page) and confidences (0–100).
CREATE TABLE word (
    pageId INTEGER NOT NULL REFERENCES page(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    x0 REAL NOT NULL,
    y0 REAL NOT NULL,
    x1 REAL NOT NULL,
    y1 REAL NOT NULL,
    conf REAL NOT NULL,
    PRIMARY KEY (pageId, ordinal)
) WITHOUT ROWID;

-- Full-text index over page text, kept in step with `page` by triggers.
CREATE VIRTUAL TABLE pageText USING fts5(
    text, content = 'page', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER page_ai AFTER INSERT ON page BEGIN
    INSERT INTO pageText(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER page_ad AFTER DELETE ON page BEGIN
    INSERT INTO pageText(pageText, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER page_au AFTER UPDATE OF text ON page BEGIN
    INSERT INTO pageText(pageText, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO pageText(rowid, text) VALUES (new.id, new.text);
END;

-- The durable import queue: one job per document.
CREATE TABLE job (
    id INTEGER PRIMARY KEY,
    documentId INTEGER NOT NULL UNIQUE REFERENCES document(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    leaseOwner TEXT,
    leaseExpiresAt REAL,
    heartbeatAt REAL,
    lastError TEXT,
    createdAt TEXT NOT NULL,
    updatedAt TEXT NOT NULL
);
CREATE INDEX job_state ON job(state, id);

-- One extraction attempt: which schema, which extractor, over which pages, and how it went.
CREATE TABLE extraction (
    id INTEGER PRIMARY KEY,
    documentId INTEGER NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    schema TEXT NOT NULL,
    extractor TEXT NOT NULL,
    firstPage INTEGER,
    lastPage INTEGER,
    status TEXT NOT NULL CHECK (status IN ('succeeded', 'failed')),
    error TEXT,
    output TEXT,
    createdAt TEXT NOT NULL
);
CREATE INDEX extraction_document ON extraction(documentId);

-- One extracted value with its evidence.
CREATE TABLE fact (
    id INTEGER PRIMARY KEY,
    documentId INTEGER NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    extractionId INTEGER REFERENCES extraction(id) ON DELETE SET NULL,
    schema TEXT NOT NULL,
    extractor TEXT NOT NULL,
    groupName TEXT NOT NULL,
    item INTEGER NOT NULL DEFAULT 0,
    fieldPath TEXT NOT NULL,
    rawValue TEXT,
    normalizedValue TEXT,
    evidencePage INTEGER,
    evidenceX0 REAL,
    evidenceY0 REAL,
    evidenceX1 REAL,
    evidenceY1 REAL,
    evidenceText TEXT,
    confidence REAL,
    status TEXT NOT NULL CHECK (status IN ('verified', 'needs_review', 'rejected')),
    createdAt TEXT NOT NULL
);
CREATE INDEX fact_document ON fact(documentId, groupName);
CREATE INDEX fact_status ON fact(status);

-- Who did what: imports, exports, reviews.
CREATE TABLE auditLog (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    osUser TEXT NOT NULL,
    documentId INTEGER,
    detail TEXT
);
