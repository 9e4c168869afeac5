//! JWT signing keys that were generated rather than configured.

use super::Db;
use crate::Result;

/// A signing key as stored.
#[derive(Clone, sqlx::FromRow)]
pub struct StoredKey {
    /// The key id carried in each token's header.
    pub kid: String,
    /// The HMAC key bytes.
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
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
            "INSERT INTO signing_keys (kid, secret) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&candidate.kid)
        .bind(&candidate.secret)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_as("SELECT kid, secret FROM signing_keys WHERE state = 'active'")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Every key that may still verify tokens: the active one and those retiring.
    pub async fn verifying_keys(&self) -> Result<Vec<StoredKey>> {
        Ok(sqlx::query_as(
            "SELECT kid, secret FROM signing_keys WHERE state IN ('active', 'retiring') ORDER BY created_at",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
