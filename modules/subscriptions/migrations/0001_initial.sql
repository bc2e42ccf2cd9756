-- Subscriptions: products renewed every renewal_period days, and users'
-- subscriptions to them.  Dates are 'YYYY-MM-DD' text.

CREATE TABLE subscriptions_product (
    id              {{id}},
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    renewal_period  INTEGER NOT NULL CHECK (renewal_period > 0)
);

CREATE TABLE subscriptions_subscription (
    id            {{id}},
    user_id       BIGINT NOT NULL
                  REFERENCES accounts_user (id) ON DELETE CASCADE,
    product_id    BIGINT NOT NULL
                  REFERENCES subscriptions_product (id) ON DELETE CASCADE,
    start_date    TEXT NOT NULL,
    next_renewal  TEXT NOT NULL DEFAULT ''
);

CREATE INDEX subscriptions_subscription_user
    ON subscriptions_subscription (user_id);
