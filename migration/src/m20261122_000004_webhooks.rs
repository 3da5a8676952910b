//! Webhooks: inbound endpoints and the events they received; outbound
//! subscriptions, their deliveries and every delivery attempt.

use crate::helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create(
            manager,
            Table::create()
                .table("webhook_endpoints")
                .col(id())
                .col(tenant_id())
                .col(big_integer("integration_id"))
                // The unguessable path segment of `/api/webhooks/{provider}/{token}`.
                .col(string_uniq("token"))
                // The provider's signing secret, encrypted.
                .col(blob_null("secret"))
                .col(boolean("is_active").default(true))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut tenant_fk("webhook_endpoints"))
                .foreign_key(&mut fk(
                    "webhook_endpoints",
                    "integration_id",
                    "integrations",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
            vec![
                index("webhook_endpoints", &["tenant_id"]),
                index("webhook_endpoints", &["integration_id"]),
            ],
        )
        .await?;

        create(
            manager,
            Table::create()
                .table("webhook_events")
                .col(id())
                .col(tenant_id())
                .col(big_integer("endpoint_id"))
                .col(string("provider"))
                // The provider's event id: the deduplication key.
                .col(string("external_event_id"))
                .col(string_null("event_type"))
                .col(json("headers"))
                .col(text("payload"))
                .col(string("status").default("received"))
                .col(integer("attempts").default(0))
                .col(text_null("error"))
                .col(timestamp_with_time_zone("received_at"))
                .col(timestamp_with_time_zone_null("processed_at"))
                .foreign_key(&mut tenant_fk("webhook_events"))
                .foreign_key(&mut fk(
                    "webhook_events",
                    "endpoint_id",
                    "webhook_endpoints",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
            vec![
                index("webhook_events", &["tenant_id", "received_at"]),
                unique("webhook_events", &["endpoint_id", "external_event_id"]),
                index("webhook_events", &["status"]),
            ],
        )
        .await?;

        create(
            manager,
            Table::create()
                .table("webhook_subscriptions")
                .col(id())
                .col(tenant_id())
                .col(text("url"))
                .col(string_null("description"))
                .col(json("event_types"))
                // `whsec_…` signing secrets, encrypted; the previous one keeps signing
                // until `previous_secret_expires_at` after a rotation.
                .col(blob("secret"))
                .col(blob_null("previous_secret"))
                .col(timestamp_with_time_zone_null("previous_secret_expires_at"))
                .col(boolean("is_active").default(true))
                .col(integer("consecutive_failures").default(0))
                .col(text_null("disabled_reason"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut tenant_fk("webhook_subscriptions"))
                .to_owned(),
            vec![index("webhook_subscriptions", &["tenant_id"])],
        )
        .await?;

        create(
            manager,
            Table::create()
                .table("webhook_deliveries")
                .col(id())
                .col(tenant_id())
                .col(big_integer("subscription_id"))
                // `msg_…`, sent as `webhook-id`; the receiver's idempotency key.
                .col(string("message_id"))
                .col(string("event_type"))
                .col(text("payload"))
                .col(string("status").default("pending"))
                .col(integer("attempt_count").default(0))
                .col(timestamp_with_time_zone_null("next_attempt_at"))
                .col(integer_null("last_response_status"))
                .col(text_null("last_error"))
                .col(created_at())
                .col(timestamp_with_time_zone_null("completed_at"))
                .foreign_key(&mut tenant_fk("webhook_deliveries"))
                .foreign_key(&mut fk(
                    "webhook_deliveries",
                    "subscription_id",
                    "webhook_subscriptions",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
            vec![
                index("webhook_deliveries", &["tenant_id", "created_at"]),
                unique("webhook_deliveries", &["subscription_id", "message_id"]),
                index("webhook_deliveries", &["status", "next_attempt_at"]),
            ],
        )
        .await?;

        create(
            manager,
            Table::create()
                .table("webhook_delivery_attempts")
                .col(id())
                .col(tenant_id())
                .col(big_integer("delivery_id"))
                .col(integer("attempt"))
                .col(integer_null("response_status"))
                // The first few KB of the receiver's answer, for the delivery history.
                .col(text_null("response_body"))
                .col(text_null("error"))
                .col(integer("duration_ms"))
                .col(timestamp_with_time_zone("attempted_at"))
                .foreign_key(&mut tenant_fk("webhook_delivery_attempts"))
                .foreign_key(&mut fk(
                    "webhook_delivery_attempts",
                    "delivery_id",
                    "webhook_deliveries",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
            vec![
                index("webhook_delivery_attempts", &["tenant_id"]),
                index("webhook_delivery_attempts", &["delivery_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(
            manager,
            &[
                "webhook_delivery_attempts",
                "webhook_deliveries",
                "webhook_subscriptions",
                "webhook_events",
                "webhook_endpoints",
            ],
        )
        .await
    }
}
