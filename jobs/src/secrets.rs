//! Secrets at rest: what this crate stores sealed (servers' private SSH keys) goes through a
//! [`Sealer`], which the binary makes from the installation's master key (`api::MasterKey`).

/// Seals and opens secrets stored in the metadata database. Each secret is sealed for a
/// name (passed as associated data), so a sealed value copied to another row does not open.
pub trait Sealer: Send + Sync + std::fmt::Debug {
    /// Seal `plaintext` for `name`.
    fn seal(&self, name: &str, plaintext: &[u8]) -> Vec<u8>;
    /// Open what [`seal`](Self::seal) made for `name`. The error names the secret, never
    /// its contents.
    fn open(&self, name: &str, sealed: &[u8]) -> anyhow::Result<Vec<u8>>;
}
