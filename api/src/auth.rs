//! JWT issue and verification, and the caller a request acts for.
//!
//! Tokens are HS256 JWTs whose header names the signing key (`kid`). Verification pins the
//! algorithm, requires every registered claim we issue, checks issuer, audience, `exp` and
//! `nbf` with at most [`LEEWAY`] of clock skew, and refuses unknown key ids.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use jobs::db::{Db, StoredKey};
use jobs::user::{Membership, ProjectId, Role, UserId};

/// `iss` of every token we issue and accept.
pub const ISSUER: &str = "toygres";
/// `aud` of every token we issue and accept.
pub const AUDIENCE: &str = "toygres-api";
/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY: Duration = Duration::from_secs(5);
/// The shortest HMAC key we accept: HS256 wants at least the hash's 256 bits.
pub const MIN_SECRET_LEN: usize = 32;

/// Claims of a Toygres access token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer, always [`ISSUER`].
    pub iss: String,
    /// Audience, always [`AUDIENCE`].
    pub aud: String,
    /// The user's id.
    pub sub: Uuid,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Not valid before, seconds since the epoch.
    pub nbf: i64,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
}

/// Why a token was refused. Deliberately vague towards clients.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Malformed, badly signed, expired, not yet valid, or from an unknown key.
    #[error("invalid or expired token")]
    InvalidToken,
    /// The token is fine but its user no longer exists or is disabled.
    #[error("user disabled or deleted")]
    UserGone,
    /// We could not check.
    #[error(transparent)]
    Internal(#[from] jobs::Error),
}

/// The keys that sign and verify tokens: one configured secret, or the key set stored in the
/// database (encrypted with the master key), which rotates and is reloaded in every process
/// when it changes.
pub struct Keys {
    set: std::sync::RwLock<KeySet>,
    /// When an unknown key id last made us reload: at most once a second, so that tokens
    /// with made-up key ids cannot make every request query the database.
    last_miss: std::sync::Mutex<Option<std::time::Instant>>,
    /// `None` for a configured secret, which never rotates.
    master: Option<MasterKey>,
    ttl: Duration,
}

/// The keys in force.
#[derive(Clone)]
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
            set: std::sync::RwLock::new(KeySet::of(&[(kid.clone(), secret.to_vec())], &kid)),
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
            set: std::sync::RwLock::new(set),
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
            .unwrap_or_else(std::sync::PoisonError::into_inner) = set;
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

    fn current(&self) -> KeySet {
        self.set
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The id of the key that signs new tokens.
    pub fn signing_kid(&self) -> String {
        self.current().signing_kid
    }

    /// A token for `user`, valid from now for the configured lifetime.
    pub fn issue(&self, user: UserId) -> anyhow::Result<(String, DateTime<Utc>)> {
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
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::InvalidToken)?;
        // Only the algorithm we sign with; `alg: none` and RS/ES "key confusion" fail here.
        if header.alg != Algorithm::HS256 {
            return Err(AuthError::InvalidToken);
        }
        let set = self.current();
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| set.verifying.get(kid))
            .ok_or(AuthError::InvalidToken)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|_| AuthError::InvalidToken)
    }

    /// [`verify`](Self::verify), loading the stored keys again first when the token names a
    /// key this process has not loaded yet (another process rotated a moment ago).
    pub async fn verify_fresh(&self, db: &Db, token: &str) -> Result<Claims, AuthError> {
        if self.master.is_some()
            && let Ok(header) = jsonwebtoken::decode_header(token)
            && let Some(kid) = header.kid.as_deref()
            && !self.current().verifying.contains_key(kid)
            && self.may_reload_for_a_miss()
        {
            self.reload(db)
                .await
                .map_err(|e| AuthError::Internal(jobs::Error::Other(e)))?;
        }
        self.verify(token)
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

/// The key that encrypts signing keys at rest (AES-256-GCM, the key id as associated data, a
/// random nonce per seal). From `TOYGRES_MASTER_KEY`, or a file in the data directory.
pub struct MasterKey(aes_gcm::Aes256Gcm);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// The nonce length of AES-GCM.
const NONCE_LEN: usize = 12;

impl MasterKey {
    /// A master key from 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<Self> {
        use aes_gcm::KeyInit as _;
        anyhow::ensure!(
            bytes.len() == 32,
            "a master key is 32 bytes (got {})",
            bytes.len()
        );
        Ok(Self(
            aes_gcm::Aes256Gcm::new_from_slice(bytes)
                .map_err(|_| anyhow::anyhow!("bad key length"))?,
        ))
    }

    /// A master key from its text: 32 bytes as base64 or as 64 hex digits
    /// (`openssl rand -base64 32`).
    pub fn from_text(text: &str) -> anyhow::Result<Self> {
        use base64::Engine as _;
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text)?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "TOYGRES_MASTER_KEY must be 32 bytes as base64 or 64 hex digits"
                    )
                })?
        };
        Self::from_bytes(&bytes)
    }

    /// The master key in `path`, created (random, mode 0600) when missing.
    pub fn load_or_create(path: &std::path::Path) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        use base64::Engine as _;
        match std::fs::read_to_string(path) {
            Ok(text) => {
                Self::from_text(&text).with_context(|| format!("master key in {}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                use std::io::Write as _;
                use std::os::unix::fs::OpenOptionsExt as _;
                let bytes: [u8; 32] = rand::random();
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .with_context(|| format!("create {}", path.display()))?;
                f.write_all(
                    base64::engine::general_purpose::STANDARD
                        .encode(bytes)
                        .as_bytes(),
                )?;
                tracing::info!(path = %path.display(), "generated a master key for signing keys at rest");
                Self::from_bytes(&bytes)
            }
            Err(e) => Err(e).with_context(|| format!("read {}", path.display())),
        }
    }

    /// Seal `plaintext` (a key's material) for key id `kid`: nonce, then ciphertext and tag.
    pub fn seal(&self, kid: &str, plaintext: &[u8]) -> Vec<u8> {
        use aes_gcm::aead::{Aead as _, Payload};
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .0
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext,
                    aad: kid.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of a short message cannot fail");
        [nonce.as_slice(), &sealed].concat()
    }

    /// Open what [`seal`](Self::seal) made for `kid`. Fails with a message naming the key,
    /// never its material, when the master key is not the one that sealed it.
    pub fn open(&self, kid: &str, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        use aes_gcm::aead::{Aead as _, Payload};
        anyhow::ensure!(sealed.len() > NONCE_LEN, "signing key {kid} is truncated");
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().expect("split at the nonce length");
        self.0
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: ciphertext,
                    aad: kid.as_bytes(),
                },
            )
            .map_err(|_| {
                anyhow::anyhow!(
                    "the master key does not open signing key {kid}: give every process the same TOYGRES_MASTER_KEY"
                )
            })
    }
}

/// Who a request acts for: a verified token's user, loaded fresh from the database.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The user.
    pub user_id: UserId,
    /// Their email.
    pub email: String,
    /// Whether they manage the whole installation.
    pub is_site_admin: bool,
    /// Their role in each project they belong to.
    pub memberships: Vec<Membership>,
    /// When their token expires; a subscription ends then.
    pub expires_at: DateTime<Utc>,
    /// The API token the request came with, when it was one (the user is its maker, the
    /// memberships its one project and role).
    pub token_id: Option<Uuid>,
}

impl Caller {
    /// Verify `token` (a JWT, or an API token `tgt_…`) and load who it acts for. Disabled and
    /// deleted users are refused, and so are revoked and expired API tokens.
    pub async fn from_token(keys: &Keys, db: &Db, token: &str) -> Result<Self, AuthError> {
        if token.starts_with(API_TOKEN_PREFIX) {
            return Self::from_api_token(db, token).await;
        }
        let claims = keys.verify_fresh(db, token).await?;
        let user = match db.user(UserId(claims.sub)).await {
            Ok(user) => user,
            Err(jobs::Error::NotFound { .. }) => return Err(AuthError::UserGone),
            Err(e) => return Err(e.into()),
        };
        if user.disabled_at.is_some() {
            return Err(AuthError::UserGone);
        }
        let memberships = db.memberships(user.id).await?;
        Ok(Self {
            user_id: user.id,
            email: user.email,
            is_site_admin: user.is_site_admin,
            memberships,
            expires_at: Utc
                .timestamp_opt(claims.exp, 0)
                .single()
                .unwrap_or_else(Utc::now),
            token_id: None,
        })
    }

    async fn from_api_token(db: &Db, secret: &str) -> Result<Self, AuthError> {
        let hash: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let token = db
            .use_api_token(&hash)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let maker = token.created_by.ok_or(AuthError::UserGone)?;
        let project = db.project(token.project_id).await?;
        Ok(Self {
            user_id: maker,
            email: format!("API token {}", token.name),
            is_site_admin: false,
            memberships: vec![Membership {
                project_id: token.project_id,
                project_name: project.name,
                role: token.role,
            }],
            // A token without expiry still ends subscriptions after a day; clients reconnect.
            expires_at: token
                .expires_at
                .unwrap_or_else(|| Utc::now() + chrono::Duration::days(1)),
            token_id: Some(token.id),
        })
    }

    /// Whether a change of access (a user's or a token's) concerns this caller.
    pub fn is_affected_by(&self, change: &jobs::events::AccessChange) -> bool {
        change.user_id == Some(self.user_id)
            || (change.token_id.is_some() && change.token_id == self.token_id)
    }

    /// The caller's role in `project`; site admins act as admins everywhere.
    pub fn role_in(&self, project: ProjectId) -> Option<Role> {
        if self.is_site_admin {
            return Some(Role::Admin);
        }
        self.memberships
            .iter()
            .find(|m| m.project_id == project)
            .map(|m| m.role)
    }

    /// The projects whose resources the caller may see.
    pub fn visible_projects(&self) -> Vec<ProjectId> {
        self.memberships.iter().map(|m| m.project_id).collect()
    }

    /// Whether the caller may see resources of `project`.
    pub fn can_see(&self, project: ProjectId) -> bool {
        self.role_in(project).is_some()
    }
}

/// How API tokens begin, which tells them from JWTs.
pub const API_TOKEN_PREFIX: &str = "tgt_";

/// A new API token's secret: the prefix and 32 random bytes, base64url; and its SHA-256,
/// which alone is stored.
pub fn new_api_token() -> (String, [u8; 32]) {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    let secret = format!(
        "{API_TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = Sha256::digest(secret.as_bytes()).into();
    (secret, hash)
}

/// The token in an `Authorization: Bearer <token>` value.
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn keys() -> Keys {
        Keys::from_secret(SECRET, Duration::from_secs(3600)).unwrap()
    }

    fn user() -> UserId {
        UserId(Uuid::now_v7())
    }

    /// Sign arbitrary header and claims JSON with `secret`, as an attacker with the key could.
    fn forge(header: &serde_json::Value, claims: &serde_json::Value, secret: &[u8]) -> String {
        let signing_input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let sig = hmac_sha256(secret, signing_input.as_bytes());
        format!("{signing_input}.{}", B64.encode(sig))
    }

    fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
        // HMAC by its definition (RFC 2104), so the test does not trust the library under test.
        let mut k = [0u8; 64];
        if key.len() > 64 {
            k[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let inner = Sha256::new()
            .chain_update(&ipad)
            .chain_update(msg)
            .finalize();
        Sha256::new()
            .chain_update(&opad)
            .chain_update(inner)
            .finalize()
            .to_vec()
    }

    fn good_claims(sub: Uuid) -> serde_json::Value {
        let now = Utc::now().timestamp();
        serde_json::json!({"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "exp": now + 600, "nbf": now, "iat": now})
    }

    fn header(keys: &Keys) -> serde_json::Value {
        serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": keys.signing_kid()})
    }

    #[test]
    fn a_master_key_is_read_as_base64_or_hex_and_seals_for_one_key_id_only() {
        let hex_key = "00".repeat(31) + "01";
        let from_hex = MasterKey::from_text(&hex_key).unwrap();
        let from_b64 =
            MasterKey::from_text("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE=").unwrap();
        let sealed = from_hex.seal("k1", b"material-material-material-32byt");
        assert_eq!(
            from_b64.open("k1", &sealed).unwrap(),
            b"material-material-material-32byt"
        );
        assert!(from_b64.open("k2", &sealed).is_err(), "bound to its key id");
        assert_ne!(
            sealed,
            from_hex.seal("k1", b"material-material-material-32byt"),
            "fresh nonce"
        );
        for bad in ["", "short", &"zz".repeat(32), "AAAA"] {
            assert!(MasterKey::from_text(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format!("{from_hex:?}"), "MasterKey(<redacted>)");
    }

    #[test]
    fn an_issued_token_verifies_and_names_its_user() {
        let keys = keys();
        let id = user();
        let (token, exp) = keys.issue(id).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!(claims.sub, id.0);
        assert_eq!(claims.iss, ISSUER);
        assert_eq!(claims.aud, AUDIENCE);
        assert_eq!(claims.exp, exp.timestamp());
        assert!(jsonwebtoken::decode_header(&token).unwrap().kid.is_some());
    }

    #[test]
    fn the_forging_helper_produces_tokens_the_verifier_accepts() {
        let keys = keys();
        let token = forge(&header(&keys), &good_claims(Uuid::now_v7()), SECRET);
        assert!(keys.verify(&token).is_ok());
    }

    #[test]
    fn a_short_secret_is_refused() {
        assert!(Keys::from_secret(b"too short", Duration::from_secs(60)).is_err());
    }

    #[test]
    fn alg_none_is_refused() {
        let keys = keys();
        let signing_input = format!(
            "{}.{}",
            B64.encode(serde_json::json!({"alg": "none", "kid": keys.signing_kid()}).to_string()),
            B64.encode(good_claims(Uuid::now_v7()).to_string())
        );
        assert!(keys.verify(&format!("{signing_input}.")).is_err());
    }

    #[test]
    fn another_algorithm_with_the_same_key_is_refused() {
        let keys = keys();
        for alg in ["HS384", "HS512", "RS256", "ES256"] {
            let mut h = header(&keys);
            h["alg"] = alg.into();
            assert!(
                keys.verify(&forge(&h, &good_claims(Uuid::now_v7()), SECRET))
                    .is_err(),
                "{alg}"
            );
        }
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let keys = keys();
        let (token, _) = keys.issue(user()).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&B64.decode(&parts[1]).unwrap()).unwrap();
        claims["sub"] = serde_json::json!(Uuid::now_v7());
        parts[1] = B64.encode(claims.to_string());
        assert!(keys.verify(&parts.join(".")).is_err());
    }

    #[test]
    fn another_secret_is_refused() {
        let keys = keys();
        let token = forge(
            &header(&keys),
            &good_claims(Uuid::now_v7()),
            b"another-secret-another-secret-!!",
        );
        assert!(keys.verify(&token).is_err());
    }

    #[test]
    fn an_unknown_or_missing_kid_is_refused() {
        let keys = keys();
        let mut h = header(&keys);
        h["kid"] = "someone-elses".into();
        assert!(
            keys.verify(&forge(&h, &good_claims(Uuid::now_v7()), SECRET))
                .is_err()
        );
        h.as_object_mut().unwrap().remove("kid");
        assert!(
            keys.verify(&forge(&h, &good_claims(Uuid::now_v7()), SECRET))
                .is_err()
        );
    }

    #[test]
    fn every_missing_claim_is_refused() {
        let keys = keys();
        for claim in ["iss", "aud", "sub", "exp", "nbf", "iat"] {
            let mut c = good_claims(Uuid::now_v7());
            c.as_object_mut().unwrap().remove(claim);
            assert!(
                keys.verify(&forge(&header(&keys), &c, SECRET)).is_err(),
                "without {claim}"
            );
        }
    }

    #[test]
    fn wrong_issuer_or_audience_is_refused() {
        let keys = keys();
        for (claim, value) in [("iss", "someone-else"), ("aud", "another-api")] {
            let mut c = good_claims(Uuid::now_v7());
            c[claim] = value.into();
            assert!(
                keys.verify(&forge(&header(&keys), &c, SECRET)).is_err(),
                "{claim}={value}"
            );
        }
    }

    #[test]
    fn expiry_and_not_before_allow_five_seconds_of_skew_and_no_more() {
        let keys = keys();
        let now = Utc::now().timestamp();
        let with = |exp: i64, nbf: i64| {
            let mut c = good_claims(Uuid::now_v7());
            c["exp"] = exp.into();
            c["nbf"] = nbf.into();
            keys.verify(&forge(&header(&keys), &c, SECRET))
        };
        assert!(
            with(now - 2, now - 100).is_ok(),
            "2 s past exp is within leeway"
        );
        assert!(with(now - 30, now - 100).is_err(), "30 s past exp");
        assert!(
            with(now + 600, now + 2).is_ok(),
            "nbf 2 s ahead is within leeway"
        );
        assert!(with(now + 600, now + 60).is_err(), "nbf a minute ahead");
    }

    #[test]
    fn bearer_values_are_parsed_strictly() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("abc"), None);
    }
}
