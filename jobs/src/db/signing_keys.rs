//! JWT signing keys that were generated rather than configured. Their material is stored as
//! the caller gives it (encrypted by the API's master key); this module never sees it in
//! the clear.

use chrono::{DateTime, Utc};

use super::Db;
use crate::Result;

/// A signing key as stored.
#[derive(Clone, sqlx::FromRow)]
pub struct StoredKey {
    /// The key id carried in each token's header.
    pub kid: String,
    /// The key material: sealed by the master key when `encrypted`, else the HMAC key itself
    /// (keys stored before encryption, sealed at the next load).
    pub secret: Vec<u8>,
    /// Whether `secret` is sealed.
    pub encrypted: bool,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("encrypted", &self.encrypted)
            .finish_non_exhaustive()
    }
}

/// A signing key as listed, without its material.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct KeyInfo {
    /// The key id.
    pub kid: String,
    /// The JWT algorithm.
    pub algorithm: String,
    /// `active` (signs and verifies), `retiring` (verifies until `retire_after`), `retired`.
    pub state: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When a retiring key stops verifying.
    pub retire_after: Option<DateTime<Utc>>,
}

impl Db {
    /// The active key, creating it from `generate()` if there is none. Safe against several
    /// processes starting at once: the partial unique index admits one active key, and the
    /// loser of the race reads the winner's.
    pub async fn active_signing_key(
        &self,
        generate: impl FnOnce() -> StoredKey,
    ) -> Result<StoredKey> {
        let candidate = generate();
        sqlx::query(
            "INSERT INTO signing_keys (kid, secret, encrypted) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&candidate.kid)
        .bind(&candidate.secret)
        .bind(candidate.encrypted)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_as(
                "SELECT kid, secret, encrypted FROM signing_keys WHERE state = 'active'",
            )
            .fetch_one(&self.pool)
            .await?,
        )
    }

    /// Every key that may still verify tokens: the active one and those retiring whose time
    /// has not come. Retiring keys past it are retired first.
    pub async fn verifying_keys(&self) -> Result<Vec<StoredKey>> {
        sqlx::query(
            "UPDATE signing_keys SET state = 'retired' \
             WHERE state = 'retiring' AND retire_after <= now()",
        )
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query_as(
            "SELECT kid, secret, encrypted FROM signing_keys \
             WHERE state IN ('active', 'retiring') ORDER BY created_at",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Replace a key stored in the clear with its sealed form.
    pub async fn seal_signing_key(&self, kid: &str, sealed: &[u8]) -> Result<()> {
        sqlx::query(
            "UPDATE signing_keys SET secret = $2, encrypted = true WHERE kid = $1 AND NOT encrypted",
        )
        .bind(kid)
        .bind(sealed)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Make `new` the active key, and the active one retiring until `retire_after`, in one
    /// transaction.
    pub async fn rotate_signing_key(
        &self,
        new: &StoredKey,
        retire_after: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE signing_keys SET state = 'retiring', retire_after = $1 WHERE state = 'active'",
        )
        .bind(retire_after)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO signing_keys (kid, secret, encrypted) VALUES ($1, $2, $3)")
            .bind(&new.kid)
            .bind(&new.secret)
            .bind(new.encrypted)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Retire key `kid` now, before its time: every process stops accepting its tokens when
    /// it hears of the change. The active key cannot be revoked (rotate first: new tokens
    /// must be signed by something); a retired one stays retired.
    pub async fn revoke_signing_key(&self, kid: &str) -> Result<()> {
        let state: Option<String> =
            sqlx::query_scalar("SELECT state::text FROM signing_keys WHERE kid = $1")
                .bind(kid)
                .fetch_optional(&self.pool)
                .await?;
        match state.as_deref() {
            None => Err(crate::Error::NotFound {
                kind: "signing key",
            }),
            Some("active") => Err(crate::Error::Conflict(format!(
                "signing key {kid} signs new tokens: rotate the signing key first, then revoke it"
            ))),
            Some(_) => {
                sqlx::query(
                    "UPDATE signing_keys SET state = 'retired', retire_after = least(retire_after, now()) \
                     WHERE kid = $1 AND state = 'retiring'",
                )
                .bind(kid)
                .execute(&self.pool)
                .await?;
                Ok(())
            }
        }
    }

    /// Every stored key, newest first, without material.
    pub async fn signing_keys(&self) -> Result<Vec<KeyInfo>> {
        Ok(sqlx::query_as(
            "SELECT kid, algorithm, state::text AS state, created_at, retire_after \
             FROM signing_keys ORDER BY created_at DESC",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
