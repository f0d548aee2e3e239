-- The semantic index: each page's lines embedded by a sentence-embedding model (all-MiniLM-L6-v2,
-- in process on OpenBLAS), for `chartex search --semantic` and for `ask` when the facts do not answer.
-- One row per indexed line; a page that has no lines to index still gets one row with ordinal -1
-- and an empty vector, so that it is not embedded again. `model` names the model that made the
-- vector: vectors of different models are never compared.
CREATE TABLE chunk (
    id INTEGER PRIMARY KEY,
    pageId INTEGER NOT NULL REFERENCES page(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    -- float32 little-endian, `dimension` values
    vector BLOB NOT NULL,
    UNIQUE (pageId, model, ordinal)
);
CREATE INDEX chunkByModel ON chunk(model, pageId);
