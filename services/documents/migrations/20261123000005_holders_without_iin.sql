-- Art. 2.4: foreigners and stateless persons without an IIN are identified by an identity
-- document's number and issuing country.
ALTER TABLE documents ALTER COLUMN holder_iin DROP NOT NULL;
ALTER TABLE documents ADD COLUMN holder_document_number text;
ALTER TABLE documents ADD COLUMN holder_document_country text;
ALTER TABLE documents ADD CONSTRAINT documents_holder_identified CHECK (
    holder_iin IS NOT NULL
    OR (holder_document_number IS NOT NULL AND holder_document_country IS NOT NULL));
CREATE INDEX documents_holder_document ON documents (holder_document_country, holder_document_number)
    WHERE holder_document_number IS NOT NULL;
