-- Documents issued before the platform, brought in by the authorized body: each batch is
-- recorded (who, when, on what basis, how many), and every document it brought names it.
CREATE TABLE document_migrations (
    id         uuid        PRIMARY KEY,
    actor      text        NOT NULL,
    actor_role text        NOT NULL,
    request_id text        NOT NULL,
    basis      jsonb       NOT NULL,
    documents  integer     NOT NULL,
    migrated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE documents ADD COLUMN migration_id uuid REFERENCES document_migrations (id);
