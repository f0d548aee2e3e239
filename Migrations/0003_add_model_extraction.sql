-- The model path: facts say why they need review, whether their value was found on the page,
-- and whether they are a competing candidate (the other extractor disagreed) rather than the
-- item's value. Model requests are recorded one per page section in `extraction`.
ALTER TABLE fact ADD COLUMN reviewReason TEXT;
ALTER TABLE fact ADD COLUMN grounded INTEGER NOT NULL DEFAULT 1;
ALTER TABLE fact ADD COLUMN alternative INTEGER NOT NULL DEFAULT 0;
ALTER TABLE extraction ADD COLUMN section TEXT;
ALTER TABLE extraction ADD COLUMN seconds REAL;
ALTER TABLE extraction ADD COLUMN requests INTEGER;
