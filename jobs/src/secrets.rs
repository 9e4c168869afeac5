//! Secrets at rest: what this crate stores sealed (servers' private SSH keys, instance and
//! replication passwords) goes through a [`Sealer`], which the binary makes from the
//! installation's [`MasterKey`] (the API seals its signing keys with the same key).

/// Seals and opens secrets stored in the metadata database. Each secret is sealed for a
/// name (passed as associated data), so a sealed value copied to another row does not open.
pub trait Sealer: Send + Sync + std::fmt::Debug {
    /// Seal `plaintext` for `name`.
    fn seal(&self, name: &str, plaintext: &[u8]) -> Vec<u8>;
    /// Open what [`seal`](Self::seal) made for `name`. The error names the secret, never
    /// its contents.
    fn open(&self, name: &str, sealed: &[u8]) -> anyhow::Result<Vec<u8>>;
}

/// The key that encrypts secrets at rest (AES-256-GCM, the secret's name as associated data, a
/// random nonce per seal). From `TOYGRES_MASTER_KEY`, or a file in the data directory.
#[derive(Clone)]
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
                tracing::info!(path = %path.display(), "generated a master key for secrets at rest");
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
        anyhow::ensure!(sealed.len() > NONCE_LEN, "sealed secret {kid} is truncated");
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
                    "the master key does not open the stored secret {kid}: give every process the same TOYGRES_MASTER_KEY"
                )
            })
    }
}

impl Sealer for MasterKey {
    fn seal(&self, name: &str, plaintext: &[u8]) -> Vec<u8> {
        MasterKey::seal(self, name, plaintext)
    }

    fn open(&self, name: &str, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        MasterKey::open(self, name, sealed)
    }
}
