//! The installation's certificate authority and what each instance's certificate says.

use chrono::{DateTime, Utc};

use zeroize::Zeroizing;

use super::Db;
use super::sealing::Secret;
use crate::Result;
use crate::instance::{Instance, InstanceId};
use crate::tls::{Issued, Kept};

/// A kept certificate's row: names, expiry, certificate, sealed key, reload pending.
type KeptRow = (Vec<String>, DateTime<Utc>, String, Vec<u8>, bool);

impl Db {
    /// The certificate authority (its certificate, and its key sealed), stored as
    /// `certificate` and `sealed_key` if there is none yet: processes that start together
    /// agree on the first one stored.
    pub async fn certificate_authority(
        &self,
        certificate: &str,
        sealed_key: &[u8],
    ) -> Result<(String, Vec<u8>)> {
        sqlx::query(
            "INSERT INTO certificate_authority (certificate, sealed_key) VALUES ($1, $2) \
             ON CONFLICT (singleton) DO NOTHING",
        )
        .bind(certificate)
        .bind(sealed_key)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_as("SELECT certificate, sealed_key FROM certificate_authority")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// The certificate authority's certificate (PEM), once a process has made it.
    pub async fn certificate_authority_pem(&self) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT certificate FROM certificate_authority")
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Instance `id` now serves a certificate for `names`, valid until `not_after`.
    pub async fn record_certificate(
        &self,
        id: InstanceId,
        names: &[String],
        not_after: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO instance_certificates (instance_id, names, not_after) VALUES ($1, $2, $3) \
             ON CONFLICT (instance_id) DO UPDATE \
             SET names = excluded.names, not_after = excluded.not_after, issued_at = now()",
        )
        .bind(id)
        .bind(names)
        .bind(not_after)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// When instance `id`'s certificate expires, if it has one.
    pub async fn certificate_expiry(&self, id: InstanceId) -> Result<Option<DateTime<Utc>>> {
        Ok(
            sqlx::query_scalar(
                "SELECT not_after FROM instance_certificates WHERE instance_id = $1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await?,
        )
    }

    /// Running local and server instances whose certificate expires before `before`, or
    /// that have none (made before instances served TLS): the ones to renew.
    pub async fn certificates_due(&self, before: DateTime<Utc>) -> Result<Vec<Instance>> {
        Ok(sqlx::query_as(
            "SELECT i.* FROM instances i \
             LEFT JOIN instance_certificates c ON c.instance_id = i.id \
             WHERE i.state = 'running' AND i.provider IN ('local', 'server') \
               AND (c.not_after IS NULL OR c.not_after < $1) \
             ORDER BY c.not_after NULLS FIRST",
        )
        .bind(before)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Kubernetes instance `id` now has certificate `issued` for `names`: kept whole (the key
    /// sealed) for every apply to write into its Secret, with `reload_pending` when the
    /// running server must be told to load it.
    pub async fn keep_certificate(
        &self,
        id: InstanceId,
        names: &[String],
        issued: &Issued,
        reload_pending: bool,
    ) -> Result<()> {
        let sealed = self.seal(Secret::TlsKey(id), &issued.key)?;
        sqlx::query(
            "INSERT INTO instance_certificates \
                 (instance_id, names, not_after, certificate, sealed_key, reload_pending) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (instance_id) DO UPDATE \
             SET names = excluded.names, not_after = excluded.not_after, issued_at = now(), \
                 certificate = excluded.certificate, sealed_key = excluded.sealed_key, \
                 reload_pending = excluded.reload_pending",
        )
        .bind(id)
        .bind(names)
        .bind(issued.not_after)
        .bind(&issued.certificate)
        .bind(sealed)
        .bind(reload_pending)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The certificate kept for Kubernetes instance `id`, with its key, if it has one.
    pub async fn kept_certificate(&self, id: InstanceId) -> Result<Option<Kept>> {
        let row: Option<KeptRow> = sqlx::query_as(
            "SELECT names, not_after, certificate, sealed_key, reload_pending \
             FROM instance_certificates WHERE instance_id = $1 AND certificate IS NOT NULL",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((names, not_after, certificate, sealed, reload_pending)) = row else {
            return Ok(None);
        };
        let key = self
            .open(Secret::TlsKey(id), Some(&sealed), None)?
            .map(Zeroizing::new)
            .unwrap_or_default();
        Ok(Some(Kept {
            names,
            not_after,
            certificate,
            key,
            reload_pending,
        }))
    }

    /// The server of instance `id` has loaded its kept certificate.
    pub async fn certificate_reloaded(&self, id: InstanceId) -> Result<()> {
        sqlx::query(
            "UPDATE instance_certificates SET reload_pending = false WHERE instance_id = $1",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// When instance `id`'s certificate was issued, if it has one.
    pub async fn certificate_issued_at(&self, id: InstanceId) -> Result<Option<DateTime<Utc>>> {
        Ok(
            sqlx::query_scalar(
                "SELECT issued_at FROM instance_certificates WHERE instance_id = $1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await?,
        )
    }
}
