//! The token signing keys: one fixed secret, or keys kept in the database sealed with the
//! master key, rotated and retired.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sha2::{Digest as _, Sha256};

use jobs::db::{Db, StoredKey};
use jobs::user::UserId;

use super::{AUDIENCE, AuthError, Claims, ISSUER, LEEWAY, MIN_SECRET_LEN, MasterKey};

/// The keys that sign and verify tokens: one configured secret, or the key set stored in the
/// database (encrypted with the master key), which rotates and is reloaded in every process
/// when it changes.
pub struct Keys {
    /// Swapped whole when the keys change; each request takes a reference, not a copy.
    set: std::sync::RwLock<Arc<KeySet>>,
    /// What a token must say besides its signature, the same for every token.
    validation: Validation,
    /// When an unknown key id last made us reload: at most once a second, so that tokens
    /// with made-up key ids cannot make every request query the database.
    last_miss: std::sync::Mutex<Option<std::time::Instant>>,
    /// `None` for a configured secret, which never rotates.
    master: Option<MasterKey>,
    ttl: Duration,
}

/// What every token must carry: our algorithm, a valid expiry and start (with [`LEEWAY`]),
/// our issuer and audience, and all of the claims we issue.
fn validation() -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = LEEWAY.as_secs();
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
    validation
}

/// The keys in force.
struct KeySet {
    signing_kid: String,
    signing: EncodingKey,
    verifying: HashMap<String, DecodingKey>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = self.current();
        f.debug_struct("Keys")
            .field("signing_kid", &set.signing_kid)
            .field("verifying", &set.verifying.keys().collect::<Vec<_>>())
            .field("stored", &self.master.is_some())
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Keys {
    /// Keys from a configured secret (`TOYGRES_JWT_SECRET`), whose bytes are the HMAC key as
    /// they are. Its `kid` is derived from the secret, so every process sharing it agrees.
    pub fn from_secret(secret: &[u8], ttl: Duration) -> anyhow::Result<Self> {
        anyhow::ensure!(
            secret.len() >= MIN_SECRET_LEN,
            "TOYGRES_JWT_SECRET must be at least {MIN_SECRET_LEN} bytes (it is {})",
            secret.len()
        );
        let kid = format!(
            "cfg-{}",
            &hex::encode(
                Sha256::new()
                    .chain_update(b"toygres kid\0")
                    .chain_update(secret)
                    .finalize()
            )[..16]
        );
        Ok(Self {
            set: std::sync::RwLock::new(Arc::new(KeySet::of(
                &[(kid.clone(), secret.to_vec())],
                &kid,
            ))),
            validation: validation(),
            last_miss: std::sync::Mutex::new(None),
            master: None,
            ttl,
        })
    }

    /// Keys from the database, their material sealed with `master`: the active key signs, it
    /// and retiring keys verify. Without a stored key, one is generated and stored (safe when
    /// several processes start together). Keys stored in the clear by an earlier version are
    /// sealed now.
    pub async fn load_or_generate(
        db: &Db,
        master: MasterKey,
        ttl: Duration,
    ) -> anyhow::Result<Self> {
        let set = load(db, &master).await?;
        Ok(Self {
            set: std::sync::RwLock::new(Arc::new(set)),
            validation: validation(),
            last_miss: std::sync::Mutex::new(None),
            master: Some(master),
            ttl,
        })
    }

    /// Load the stored key set again (after a rotation, here or in another process). A
    /// configured secret has nothing to load.
    pub async fn reload(&self, db: &Db) -> anyhow::Result<()> {
        let Some(master) = &self.master else {
            return Ok(());
        };
        let set = load(db, master).await?;
        *self
            .set
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(set);
        Ok(())
    }

    /// Add a new active key and sign with it from now on; the old active key keeps verifying
    /// the tokens it signed until they expire, then retires. Returns the new key's id.
    pub async fn rotate(&self, db: &Db) -> Result<String, RotateError> {
        let Some(master) = &self.master else {
            return Err(RotateError::Configured);
        };
        let new = generate_key(master);
        let kid = new.kid.clone();
        let ttl = chrono::Duration::from_std(self.ttl + LEEWAY).unwrap_or(chrono::Duration::MAX);
        db.rotate_signing_key(&new, Utc::now() + ttl).await?;
        self.reload(db).await.map_err(RotateError::Other)?;
        tracing::info!(kid, "signing key rotated");
        Ok(kid)
    }

    /// Whether keys come from the database (and can rotate).
    pub fn rotates(&self) -> bool {
        self.master.is_some()
    }

    fn current(&self) -> Arc<KeySet> {
        Arc::clone(
            &self
                .set
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// The id of the key that signs new tokens.
    pub fn signing_kid(&self) -> String {
        self.current().signing_kid.clone()
    }

    /// A token for `user`, valid from now for the configured lifetime.
    pub fn issue(&self, user: UserId, epoch: i64) -> anyhow::Result<(String, DateTime<Utc>)> {
        let set = self.current();
        let now = Utc::now().timestamp();
        let exp = now + i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: user.0,
            exp,
            nbf: now,
            iat: now,
            sep: epoch,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(set.signing_kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &set.signing)?;
        let expires_at = Utc
            .timestamp_opt(exp, 0)
            .single()
            .ok_or_else(|| anyhow::anyhow!("token expiry out of range"))?;
        Ok((token, expires_at))
    }

    /// Check a token's signature and claims. Says nothing about whether its user still exists.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        self.verify_with(token, &Self::kid_of(token)?)
    }

    /// The key id a token names, if it is signed with the algorithm we sign with: `alg:
    /// none` and RS/ES "key confusion" fail here.
    fn kid_of(token: &str) -> Result<String, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::InvalidToken)?;
        match header.kid {
            Some(kid) if header.alg == Algorithm::HS256 => Ok(kid),
            _ => Err(AuthError::InvalidToken),
        }
    }

    /// [`verify`](Self::verify) `token`, which names key `kid`.
    fn verify_with(&self, token: &str, kid: &str) -> Result<Claims, AuthError> {
        let set = self.current();
        let key = set.verifying.get(kid).ok_or(AuthError::InvalidToken)?;
        jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| AuthError::InvalidToken)
    }

    /// [`verify`](Self::verify), loading the stored keys again first when the token names a
    /// key this process has not loaded yet (another process rotated a moment ago).
    pub async fn verify_fresh(&self, db: &Db, token: &str) -> Result<Claims, AuthError> {
        let kid = Self::kid_of(token)?;
        if self.master.is_some()
            && !self.current().verifying.contains_key(&kid)
            && self.may_reload_for_a_miss()
        {
            self.reload(db)
                .await
                .map_err(|e| AuthError::Internal(jobs::Error::Other(e)))?;
        }
        self.verify_with(token, &kid)
    }

    fn may_reload_for_a_miss(&self) -> bool {
        let mut last = self
            .last_miss
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = std::time::Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < Duration::from_secs(1)) {
            return false;
        }
        *last = Some(now);
        true
    }

    /// Keep this process's keys in step with the database: load them again whenever a key
    /// is added or changes state, or events may have been missed.
    pub fn follow(self: &std::sync::Arc<Self>, db: Db, bus: &jobs::events::EventBus) {
        if self.master.is_none() {
            return;
        }
        let mut events = bus.subscribe();
        let keys = std::sync::Arc::clone(self);
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                let reload = match events.recv().await {
                    Ok(event) => matches!(
                        &*event,
                        jobs::events::Event::SigningKeysChanged | jobs::events::Event::Resync
                    ),
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => return,
                };
                if reload && let Err(e) = keys.reload(&db).await {
                    tracing::error!("reload signing keys: {e:#}");
                }
            }
        });
    }
}

/// Why a rotation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// The key is configured (`TOYGRES_JWT_SECRET`), not stored.
    #[error(
        "the signing key comes from TOYGRES_JWT_SECRET: change it there (every token is then refused), or unset it to let Toygres store and rotate keys"
    )]
    Configured,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] jobs::Error),
    /// Loading the new key set failed.
    #[error(transparent)]
    Other(anyhow::Error),
}

impl KeySet {
    fn of(keys: &[(String, Vec<u8>)], signing_kid: &str) -> Self {
        let signing = keys
            .iter()
            .find(|(kid, _)| kid == signing_kid)
            .map(|(_, secret)| EncodingKey::from_secret(secret))
            .expect("the signing key is among the verifying keys");
        Self {
            signing_kid: signing_kid.to_owned(),
            signing,
            verifying: keys
                .iter()
                .map(|(kid, secret)| (kid.clone(), DecodingKey::from_secret(secret)))
                .collect(),
        }
    }
}

/// The stored key set, opened with `master`; keys stored in the clear are sealed on the way.
async fn load(db: &Db, master: &MasterKey) -> anyhow::Result<KeySet> {
    let active = db.active_signing_key(|| generate_key(master)).await?;
    let mut keys = Vec::new();
    for stored in db.verifying_keys().await? {
        let secret = if stored.encrypted {
            master.open(&stored.kid, &stored.secret)?
        } else {
            db.seal_signing_key(&stored.kid, &master.seal(&stored.kid, &stored.secret))
                .await?;
            stored.secret
        };
        keys.push((stored.kid, secret));
    }
    Ok(KeySet::of(&keys, &active.kid))
}

/// A new random key, sealed.
fn generate_key(master: &MasterKey) -> StoredKey {
    use rand::RngCore as _;
    let mut secret = vec![0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let mut kid = [0u8; 8];
    rand::rng().fill_bytes(&mut kid);
    let kid = format!("gen-{}", hex::encode(kid));
    StoredKey {
        secret: master.seal(&kid, &secret),
        kid,
        encrypted: true,
    }
}
