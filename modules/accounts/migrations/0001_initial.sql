-- Accounts: users, their RFID tags, their energy account, their vehicles.
-- Energy is BIGINT hundredths of a kWh; times are ISO 8601 UTC text.

CREATE TABLE accounts_user (
    id            {{id}},
    username      TEXT NOT NULL UNIQUE,
    phone_number  TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    is_active     SMALLINT NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at    TEXT NOT NULL DEFAULT ''
);

-- code: exactly 8 hexadecimal digits, upper-case.  A blacklisted tag has
-- no user (the application detaches it).  expires_at and parent_id_tag
-- serve OCPP's IdTagInfo (expiryDate, parentIdTag).
CREATE TABLE accounts_rfid (
    id             {{id}},
    code           TEXT NOT NULL UNIQUE CHECK (length(code) = 8),
    user_id        BIGINT REFERENCES accounts_user (id) ON DELETE SET NULL,
    blacklisted    SMALLINT NOT NULL DEFAULT 0 CHECK (blacklisted IN (0, 1)),
    added_on       TEXT NOT NULL DEFAULT '',
    expires_at     TEXT,
    parent_id_tag  TEXT
);

CREATE INDEX accounts_rfid_user ON accounts_rfid (user_id);

-- one per user; balance = credits_kwh - total_kwh_spent, never stored
CREATE TABLE accounts_account (
    id               {{id}},
    user_id          BIGINT NOT NULL UNIQUE
                     REFERENCES accounts_user (id) ON DELETE CASCADE,
    credits_kwh      BIGINT NOT NULL DEFAULT 0,
    total_kwh_spent  BIGINT NOT NULL DEFAULT 0
);

-- vin: 17 characters of the VIN alphabet (no I, O, Q), upper-case
CREATE TABLE accounts_vehicle (
    id          {{id}},
    account_id  BIGINT NOT NULL
                REFERENCES accounts_account (id) ON DELETE CASCADE,
    brand       TEXT NOT NULL DEFAULT '',
    model       TEXT NOT NULL DEFAULT '',
    vin         TEXT NOT NULL UNIQUE CHECK (length(vin) = 17)
);

CREATE INDEX accounts_vehicle_account ON accounts_vehicle (account_id);
