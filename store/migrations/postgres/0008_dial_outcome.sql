-- How the dial of a live transfer ended (`answered`, `unanswered`), once the provider said it.
ALTER TABLE tickets ADD COLUMN dial_outcome TEXT CHECK (dial_outcome IN ('answered', 'unanswered'));
