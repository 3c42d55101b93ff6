//! Webhook delivery ids: each delivery is acted on once. A handler claims its delivery, then marks it
//! handled, or releases it when handling failed so that the sender's redelivery is acted on.

use crate::{Store, StoreError};
use sqlx::Row;

/// Longest delivery id accepted (GitHub's are UUIDs).
const MAX_DELIVERY_ID_BYTES: usize = 1024;
/// Delivery ids older than this are forgotten; GitHub redelivers only recent deliveries.
const DELIVERY_RETENTION_MS: i64 = 30 * 24 * 3600 * 1000;
/// A claim that was neither marked handled nor released within this time belongs to a handler that
/// died (a process stopped halfway): a redelivery may take it over. Handlers only record and queue
/// work, which takes milliseconds, so a live claim is never this old.
pub const DELIVERY_CLAIM_TIMEOUT_MS: i64 = 2 * 60 * 1000;

/// What [`Store::claim_delivery`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryClaim {
    /// The caller handles the delivery now, then calls [`Store::finish_delivery`] or
    /// [`Store::release_delivery`].
    Claimed,
    /// It was handled before: a repeat, not acted on again.
    Handled,
    /// Another handler is at it right now.
    InProgress,
}

impl Store {
    /// Claims a webhook delivery for handling (see [`DeliveryClaim`]).
    pub async fn claim_delivery(&self, delivery_id: &str) -> Result<DeliveryClaim, StoreError> {
        if delivery_id.is_empty() || delivery_id.len() > MAX_DELIVERY_ID_BYTES {
            return Err(StoreError::Invalid(
                "the webhook delivery id is empty or too long".into(),
            ));
        }
        let now = self.now();
        sqlx::query("DELETE FROM webhook_deliveries WHERE received_at < $1")
            .bind(now - DELIVERY_RETENTION_MS)
            .execute(&self.pool)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO webhook_deliveries (delivery_id, received_at, handled_at) VALUES ($1, $2, NULL) \
             ON CONFLICT (delivery_id) DO NOTHING",
        )
        .bind(delivery_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(DeliveryClaim::Claimed);
        }
        let taken_over = sqlx::query(
            "UPDATE webhook_deliveries SET received_at = $1 \
             WHERE delivery_id = $2 AND handled_at IS NULL AND received_at < $3",
        )
        .bind(now)
        .bind(delivery_id)
        .bind(now - DELIVERY_CLAIM_TIMEOUT_MS)
        .execute(&self.pool)
        .await?;
        if taken_over.rows_affected() == 1 {
            return Ok(DeliveryClaim::Claimed);
        }
        let row = sqlx::query("SELECT handled_at FROM webhook_deliveries WHERE delivery_id = $1")
            .bind(delivery_id)
            .fetch_optional(&self.pool)
            .await?;
        let handled: Option<i64> = match row {
            Some(r) => r.try_get(0)?,
            // Released between our insert and this read: the caller may simply try again.
            None => return Ok(DeliveryClaim::InProgress),
        };
        Ok(match handled {
            Some(_) => DeliveryClaim::Handled,
            None => DeliveryClaim::InProgress,
        })
    }

    /// The claimed delivery was handled: a repeat of it is refused from now on.
    pub async fn finish_delivery(&self, delivery_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE webhook_deliveries SET handled_at = $1 WHERE delivery_id = $2")
            .bind(self.now())
            .bind(delivery_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Handling the claimed delivery failed: forget it, so that a redelivery is acted on.
    pub async fn release_delivery(&self, delivery_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM webhook_deliveries WHERE delivery_id = $1 AND handled_at IS NULL")
            .bind(delivery_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Claims a delivery and marks it handled at once; `false` if it was claimed before.
    pub async fn record_delivery(&self, delivery_id: &str) -> Result<bool, StoreError> {
        if self.claim_delivery(delivery_id).await? != DeliveryClaim::Claimed {
            return Ok(false);
        }
        self.finish_delivery(delivery_id).await?;
        Ok(true)
    }
}
