-- Callbacks: when one is due (the opening the robot promised, then the earliest next try after
-- an unanswered attempt), and when the last unanswered attempt was recorded (the minimum gap
-- between two attempts is checked against it in the attempt's UPDATE itself).
ALTER TABLE tickets ADD COLUMN due_at TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN last_attempt_at TIMESTAMPTZ;
-- The history of closed tickets, newest closed first.
CREATE INDEX tickets_closed ON tickets (tenant, closed_at);
