-- Why a page was judged blank (it skipped OCR, or OCR found no words): the evidence a records
-- team needs to trust that no page with text was lost. NULL for pages with text.
ALTER TABLE page ADD COLUMN blankReason TEXT;
