//! Tenant database passwords at rest: sealed with the master key, each for a name of its own
//! (its row and its role), so a sealed value copied to another row or column does not open.

use uuid::Uuid;

use super::Db;
use crate::instance::InstanceId;
use crate::{Error, Result};

/// Which password of a row a sealed value is.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Secret {
    /// An instance's login role.
    Password(InstanceId),
    /// An instance's superuser, reached over the network (Kubernetes).
    Superuser(InstanceId),
    /// The replication role of one move.
    Replicator(Uuid),
    /// The replication role an instance's standbys stream with.
    InstanceReplicator(InstanceId),
    /// The private key of a Kubernetes instance's TLS certificate.
    TlsKey(InstanceId),
}

impl Secret {
    /// The name it is sealed for (associated data); never logged with its value.
    fn name(self) -> String {
        match self {
            Secret::Password(id) => format!("instance/{}/password", id.0),
            Secret::Superuser(id) => format!("instance/{}/superuser", id.0),
            Secret::Replicator(id) => format!("move/{id}/replicator"),
            Secret::InstanceReplicator(id) => format!("instance/{}/replicator", id.0),
            Secret::TlsKey(id) => format!("instance/{}/tls-key", id.0),
        }
    }
}

impl Db {
    fn sealer(&self) -> Result<&dyn crate::Sealer> {
        self.sealer.as_deref().ok_or_else(|| {
            Error::Other(anyhow::anyhow!(
                "no master key to seal or open instance passwords with"
            ))
        })
    }

    /// `password` sealed for `secret`.
    pub(crate) fn seal(&self, secret: Secret, password: &str) -> Result<Vec<u8>> {
        Ok(self.sealer()?.seal(&secret.name(), password.as_bytes()))
    }

    /// The password of `secret`, from its sealed form, or from its plaintext form written
    /// before sealing (a row not sealed yet: [`Db::seal_plaintext_secrets`] seals those at
    /// start).
    pub(crate) fn open(
        &self,
        secret: Secret,
        sealed: Option<&[u8]>,
        plain: Option<String>,
    ) -> Result<Option<String>> {
        match (sealed, plain) {
            (Some(sealed), _) => {
                let bytes = self.sealer()?.open(&secret.name(), sealed)?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    Error::Other(anyhow::anyhow!("sealed {} is not text", secret.name()))
                })?;
                Ok(Some(text))
            }
            (None, plain) => Ok(plain),
        }
    }

    /// Seal every password still stored in the clear (rows written before passwords were
    /// sealed, or by an older process), clearing the plaintext, in one transaction. Returns
    /// how many were sealed; running it again seals nothing.
    pub async fn seal_plaintext_secrets(&self) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let rows: Vec<(Uuid, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT instance_id, password, superuser_password FROM instance_secrets \
             WHERE password IS NOT NULL OR superuser_password IS NOT NULL FOR UPDATE",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut sealed = 0;
        for (id, password, superuser) in rows {
            let id = InstanceId(id);
            let password = password
                .map(|p| self.seal(Secret::Password(id), &p))
                .transpose()?;
            let superuser = superuser
                .map(|p| self.seal(Secret::Superuser(id), &p))
                .transpose()?;
            sealed += u64::from(password.is_some()) + u64::from(superuser.is_some());
            sqlx::query(
                "UPDATE instance_secrets SET \
                     password_sealed = coalesce($2, password_sealed), password = NULL, \
                     superuser_password_sealed = coalesce($3, superuser_password_sealed), \
                     superuser_password = NULL \
                 WHERE instance_id = $1",
            )
            .bind(id)
            .bind(password)
            .bind(superuser)
            .execute(&mut *tx)
            .await?;
        }
        let moves: Vec<(Uuid, String)> = sqlx::query_as(
            "SELECT id, replicator_password FROM instance_moves \
             WHERE replicator_password IS NOT NULL FOR UPDATE",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (id, password) in moves {
            let password = self.seal(Secret::Replicator(id), &password)?;
            sealed += 1;
            sqlx::query(
                "UPDATE instance_moves SET replicator_password_sealed = $2, \
                     replicator_password = NULL WHERE id = $1",
            )
            .bind(id)
            .bind(password)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(sealed)
    }
}
