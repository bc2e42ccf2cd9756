-- Charge points, their transactions and meter values (the seed's Charger
-- and Transaction models, and what a 1.6J central system must keep).

CREATE TABLE ocpp_charger (
    id                  {{id}},
    charger_id          TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL DEFAULT '',
    config              TEXT NOT NULL DEFAULT '{}',
    require_rfid        SMALLINT NOT NULL DEFAULT 0,
    last_heartbeat      TEXT,
    last_meter_values   TEXT,
    vendor              TEXT,
    model               TEXT,
    serial_number       TEXT,
    charge_box_serial   TEXT,
    firmware_version    TEXT,
    iccid               TEXT,
    imsi                TEXT,
    meter_type          TEXT,
    meter_serial        TEXT,
    boot_at             TEXT,
    status              TEXT,
    diagnostics_status  TEXT,
    firmware_status     TEXT,
    created_at          TEXT NOT NULL
);

CREATE TABLE ocpp_connector (
    charger_id          TEXT NOT NULL,
    connector_id        INTEGER NOT NULL,
    status              TEXT NOT NULL,
    error_code          TEXT NOT NULL,
    info                TEXT,
    vendor_id           TEXT,
    vendor_error_code   TEXT,
    timestamp           TEXT,
    received_at         TEXT NOT NULL,
    PRIMARY KEY (charger_id, connector_id)
);

CREATE TABLE ocpp_transaction (
    id                  {{id}},
    charger_id          TEXT NOT NULL,
    connector_id        INTEGER NOT NULL,
    id_tag              TEXT NOT NULL,
    meter_start         BIGINT NOT NULL,
    meter_stop          BIGINT,
    start_time          TEXT NOT NULL,
    received_at         TEXT NOT NULL,
    reservation_id      BIGINT,
    stop_time           TEXT,
    stop_reason         TEXT,
    stop_id_tag         TEXT,
    stop_received_at    TEXT,
    transaction_data    TEXT,
    kwh_debited         BIGINT,
    UNIQUE (charger_id, connector_id, id_tag, start_time)
);

CREATE INDEX ocpp_transaction_charger ON ocpp_transaction (charger_id, id);
CREATE INDEX ocpp_transaction_open ON ocpp_transaction (id_tag, stop_time);

-- StopTransaction for a transaction we do not know (offline, or -1): kept
-- for the operator, never applied to another transaction
CREATE TABLE ocpp_orphan_stop (
    id                  {{id}},
    charger_id          TEXT NOT NULL,
    transaction_id      BIGINT NOT NULL,
    id_tag              TEXT,
    meter_stop          BIGINT NOT NULL,
    stop_time           TEXT NOT NULL,
    stop_reason         TEXT,
    transaction_data    TEXT,
    received_at         TEXT NOT NULL
);

CREATE TABLE ocpp_meter_value (
    id                  {{id}},
    charger_id          TEXT NOT NULL,
    connector_id        INTEGER NOT NULL,
    transaction_id      BIGINT,
    timestamp           TEXT NOT NULL,
    measurand           TEXT,
    phase               TEXT,
    unit                TEXT,
    context             TEXT,
    location            TEXT,
    format              TEXT,
    value               TEXT NOT NULL,
    received_at         TEXT NOT NULL
);

CREATE INDEX ocpp_meter_value_tx ON ocpp_meter_value (transaction_id);

CREATE TABLE ocpp_data_transfer (
    id                  {{id}},
    charger_id          TEXT NOT NULL,
    vendor_id           TEXT NOT NULL,
    message_id          TEXT,
    data                TEXT,
    status              TEXT NOT NULL,
    received_at         TEXT NOT NULL
);
