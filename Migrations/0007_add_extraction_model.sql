-- Which model answered each model request (the configured model name, e.g. the one llama-server
-- or vLLM serves), so that the export and the FHIR Provenance can name it. Null for rules runs
-- and for rows written before this migration.
ALTER TABLE extraction ADD COLUMN model TEXT;
