-- Splitting and classification: each page's document type, the document (segment) it belongs
-- to within the PDF, and a flag when its patient identifiers disagree with the rest.
ALTER TABLE page ADD COLUMN documentType TEXT;
ALTER TABLE page ADD COLUMN segment INTEGER;
ALTER TABLE page ADD COLUMN patientMismatch TEXT;
