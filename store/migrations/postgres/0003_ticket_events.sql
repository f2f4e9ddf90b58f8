-- Tells every `guichet serve` node sharing this database when a commune's tickets change, so
-- that the consoles' live queues refresh across nodes (see src/events.rs).
--
-- `NOTIFY guichet_tickets` with the payload {"schema": …, "tenant": …}. Notifications are
-- delivered when the writing transaction commits (never for a rolled-back one), and PostgreSQL
-- folds identical payloads of one transaction into one: a statement touching many tickets of a
-- commune sends a single notification. The schema lets several deployments (or test schemas)
-- share a database without waking each other: channels are database-wide.

CREATE FUNCTION guichet_notify_tickets() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed_tenant TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed_tenant := OLD.tenant;
    ELSE
        changed_tenant := NEW.tenant;
    END IF;
    PERFORM pg_notify(
        'guichet_tickets',
        json_build_object('schema', TG_TABLE_SCHEMA, 'tenant', changed_tenant)::text
    );
    RETURN NULL;
END;
$$;

CREATE TRIGGER tickets_notify
    AFTER INSERT OR UPDATE OR DELETE ON tickets
    FOR EACH ROW EXECUTE FUNCTION guichet_notify_tickets();
