-- A one-time password is spent by the login that uses it: a second login with it (even a
-- concurrent one) is refused; an administrator's reset gives a new one.
ALTER TABLE staff ADD COLUMN one_time_password_used INTEGER NOT NULL DEFAULT 0;
