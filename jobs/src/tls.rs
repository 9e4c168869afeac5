//! TLS for instances: the installation's certificate authority, the certificates it issues
//! to instances, and their renewal.
//!
//! One CA per installation (ECDSA P-256, valid [`CA_VALIDITY`]), made by the first process that
//! starts and kept in `certificate_authority`, its key sealed with the master key. Each
//! `LOCAL` and `SERVER` instance gets a certificate of its own (ECDSA P-256, valid
//! [`CERTIFICATE_VALIDITY`]) naming the addresses clients reach it at ([`names_for`]), written
//! into its data directory before every start; the health sweep's leader renews those that
//! expire within [`RENEW_BEFORE`] (or have none: instances made before TLS) and reloads
//! PostgreSQL, which picks up the new files without a restart. Clients verify instances
//! against the CA (`sslmode=verify-full`): the control plane's own connections, and moves'
//! replication.
//!
//! A `KUBERNETES` instance's certificate names its client Service ([`service_names`]) and,
//! behind a load balancer, the balancer's address; it is kept in `instance_certificates` with
//! its key sealed ([`Kept`]), since every apply writes it into the instance's TLS Secret, and
//! renewed by `instance::kube::renew_certificates` in the same sweep.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use chrono::{DateTime, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SerialNumber,
};
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use zeroize::Zeroizing;

use crate::db::Db;
use crate::instance::{Instance, Provider};
use crate::workflow::Context;
use crate::{Result, Sealer};

/// How long the CA is valid.
pub const CA_VALIDITY: Duration = Duration::from_secs(20 * 365 * 24 * 3600);
/// How long an instance's certificate is valid.
pub const CERTIFICATE_VALIDITY: Duration = Duration::from_secs(90 * 24 * 3600);
/// An instance certificate this close to its expiry is renewed by the health sweep.
pub const RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 3600);
/// How far back a new certificate's validity starts, for clients whose clocks run behind.
const BACKDATE: Duration = Duration::from_secs(3600);
/// The start of the CA's common name, which ends with a random suffix: each installation's CA
/// has a name of its own, so a client holding another installation's CA reports an unknown
/// issuer rather than a bad signature.
const CA_NAME: &str = "Toygres instance CA";
/// The name the CA's key is sealed for.
const CA_KEY_SECRET: &str = "certificate-authority";

/// The installation's certificate authority, which signs instances' certificates.
pub struct Authority {
    /// The CA's certificate, PEM: what clients verify instances against.
    pem: String,
    /// Its subject and key, to sign with.
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority").finish_non_exhaustive()
    }
}

/// A certificate issued to an instance, with its private key.
pub struct Issued {
    /// The certificate, PEM.
    pub certificate: String,
    /// Its private key, PEM (PKCS #8).
    pub key: Zeroizing<String>,
    /// When it expires.
    pub not_after: DateTime<Utc>,
}

/// A Kubernetes instance's certificate as the control plane keeps it.
#[derive(Clone)]
pub struct Kept {
    /// The names it was issued for.
    pub names: Vec<String>,
    /// When it expires.
    pub not_after: DateTime<Utc>,
    /// The certificate, PEM.
    pub certificate: String,
    /// Its private key, PEM.
    pub key: Zeroizing<String>,
    /// Applied, but the running server has not been told to load it yet.
    pub reload_pending: bool,
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept")
            .field("names", &self.names)
            .field("not_after", &self.not_after)
            .field("reload_pending", &self.reload_pending)
            .finish_non_exhaustive()
    }
}

impl Kept {
    /// Whether it can go on being served at `names`: it names exactly those and does not
    /// expire within [`RENEW_BEFORE`].
    pub fn fits(&self, names: &[String]) -> bool {
        self.names == names && self.not_after > Utc::now() + RENEW_BEFORE
    }
}

impl Authority {
    /// The installation's CA: the stored one, or a new one stored if there is none yet (when
    /// processes race, every one of them takes the first stored).
    pub async fn ensure(db: &Db, sealer: &dyn Sealer) -> Result<Self> {
        let (pem, key) = Self::generate()?;
        let sealed = sealer.seal(CA_KEY_SECRET, key.as_bytes());
        let (pem, sealed) = db.certificate_authority(&pem, &sealed).await?;
        let key = Zeroizing::new(sealer.open(CA_KEY_SECRET, &sealed)?);
        let key = std::str::from_utf8(&key)
            .map_err(|_| anyhow!("the certificate authority's key is not text"))?;
        Self::from_pem(pem, key)
    }

    /// A CA kept in memory alone, for tests that need no other process to trust it.
    pub fn ephemeral() -> Result<Self> {
        let (pem, key) = Self::generate()?;
        Self::from_pem(pem, &key)
    }

    /// A new CA: its certificate and its key, PEM.
    fn generate() -> Result<(String, Zeroizing<String>)> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).context("generate a CA key")?;
        let mut params = CertificateParams::default();
        let mut subject = DistinguishedName::new();
        subject.push(DnType::OrganizationName, "Toygres");
        let suffix: [u8; 4] = rand::random();
        let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
        subject.push(DnType::CommonName, format!("{CA_NAME} {suffix}"));
        params.distinguished_name = subject;
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        let now = Utc::now();
        params.not_before = to_time(now - BACKDATE)?;
        params.not_after = to_time(now + CA_VALIDITY)?;
        params.serial_number = Some(serial());
        let cert = params
            .self_signed(&key)
            .context("sign the CA certificate")?;
        Ok((cert.pem(), Zeroizing::new(key.serialize_pem())))
    }

    fn from_pem(pem: String, key: &str) -> Result<Self> {
        let key = KeyPair::from_pem(key).context("read the certificate authority's key")?;
        // The issuer is the stored certificate's subject, key identifier and usages, and its key.
        let issuer = Issuer::from_ca_cert_pem(&pem, key)
            .map_err(|e| anyhow!("read the certificate authority's certificate: {e}"))?;
        Ok(Self { pem, issuer })
    }

    /// The CA's certificate, PEM.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A new certificate for a server reached at `names` (IP addresses or DNS names; the
    /// first is also its common name), valid for [`CERTIFICATE_VALIDITY`].
    pub fn issue(&self, names: &[String]) -> Result<Issued> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).context("generate a key")?;
        let mut params = CertificateParams::new(names.to_vec())
            .map_err(|e| anyhow!("a certificate cannot name {names:?}: {e}"))?;
        let mut subject = DistinguishedName::new();
        if let Some(first) = names.first() {
            subject.push(DnType::CommonName, first.as_str());
        }
        params.distinguished_name = subject;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let now = Utc::now();
        let not_after = now + CERTIFICATE_VALIDITY;
        params.not_before = to_time(now - BACKDATE)?;
        params.not_after = to_time(not_after)?;
        params.serial_number = Some(serial());
        let cert = params
            .signed_by(&key, &self.issuer)
            .context("sign an instance certificate")?;
        Ok(Issued {
            certificate: cert.pem(),
            key: Zeroizing::new(key.serialize_pem()),
            // Stored to the second, as the certificate says.
            not_after: DateTime::from_timestamp(not_after.timestamp(), 0).unwrap_or(not_after),
        })
    }
}

/// A random positive serial number of 16 bytes.
fn serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    SerialNumber::from_slice(&bytes)
}

fn to_time(at: DateTime<Utc>) -> Result<time::OffsetDateTime> {
    Ok(time::OffsetDateTime::from_unix_timestamp(at.timestamp()).map_err(anyhow::Error::from)?)
}

/// The names an instance on a host listening on `listen` is reached at: that address (which
/// connection strings name, even an unspecified one), and on this host also `localhost` and
/// both loopback addresses.
pub fn names_for(provider: Provider, listen: IpAddr) -> Vec<String> {
    let mut names = vec![listen.to_string()];
    if provider == Provider::Local {
        for name in ["localhost", "127.0.0.1", "::1"] {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// The names a Kubernetes instance whose client Service is `service` in `namespace` is
/// reached at: a load balancer's address (IP or host name) when it has one, then the
/// Service's DNS names, short to fully qualified.
pub fn service_names(service: &str, namespace: &str, balancer: Option<&str>) -> Vec<String> {
    let mut names: Vec<String> = balancer.map(str::to_owned).into_iter().collect();
    names.extend([
        format!("{service}.{namespace}.svc"),
        service.to_owned(),
        format!("{service}.{namespace}"),
        format!("{service}.{namespace}.svc.{CLUSTER_DOMAIN}"),
    ]);
    names.dedup();
    names
}

/// The cluster's DNS domain: Kubernetes's default, which nearly every cluster keeps.
const CLUSTER_DOMAIN: &str = "cluster.local";

/// `opts` for a connection of the control plane's own to `inst`, TLS checked against the CA
/// `ca` (PEM): for issuer and name (`verify-full`) on local and server instances; for issuer
/// alone (`verify-ca`) on Kubernetes instances, which the control plane may reach at a load
/// balancer's address before their certificate names it (a cloud gives the address after
/// the pod started; the certificate is renewed with it at the next sweep).
pub fn client_options(opts: PgConnectOptions, inst: &Instance, ca: &str) -> PgConnectOptions {
    let mode = match inst.provider {
        Provider::Local | Provider::Server => PgSslMode::VerifyFull,
        Provider::Kubernetes => PgSslMode::VerifyCa,
    };
    opts.ssl_mode(mode)
        .ssl_root_cert_from_pem(ca.as_bytes().to_vec())
}

/// Issue instance `inst` (a local or server instance) a certificate for its host, write it
/// into its data directory there (with its `pg_hba.conf`), and record when it expires. A
/// server reads the files when it starts or reloads.
pub(crate) async fn install(
    inst: &Instance,
    host: &providers::host::PgHost,
    cx: &Context,
) -> Result<()> {
    let names = names_for(inst.provider, host.listen());
    let issued = cx.tls.issue(&names)?;
    host.install_certificate(&inst.resource_name(), &issued.certificate, &issued.key)
        .await?;
    cx.db
        .record_certificate(inst.id, &names, issued.not_after)
        .await
}

/// Issue the standby `name` of instance `inst` a certificate for its host and write it into
/// its data directory there. Its standbys get new ones whenever the instance starts or
/// renews its own (see [`renew_due`]), so they never expire before the primary's.
pub(crate) async fn install_member(
    inst: &Instance,
    name: &str,
    host: &providers::host::PgHost,
    cx: &Context,
) -> Result<()> {
    let issued = cx.tls.issue(&names_for(inst.provider, host.listen()))?;
    host.install_certificate(name, &issued.certificate, &issued.key)
        .await
        .map_err(Into::into)
}

/// Renew the certificates of running local and server instances that expire within
/// [`RENEW_BEFORE`] or that have none, and have their servers reload them (turning TLS on for
/// an instance started before it served TLS). One failure is logged and the rest go on; the
/// next tick tries again.
pub async fn renew_due(cx: &Context) -> Result<()> {
    let before = Utc::now() + RENEW_BEFORE;
    for inst in cx.db.certificates_due(before).await? {
        let renewed = async {
            let host = crate::instance::host_of(&inst, cx).await?;
            let major = u32::try_from(inst.pg_version).map_err(anyhow::Error::from)?;
            let port = inst
                .port
                .and_then(|p| u16::try_from(p).ok())
                .ok_or_else(|| anyhow!("instance {} has no port", inst.name))?;
            install(&inst, &host, cx).await?;
            host.reload_tls(&inst.resource_name(), major, port).await?;
            for s in cx.db.standbys(inst.id).await? {
                let Some(port) = s.port.and_then(|p| u16::try_from(p).ok()) else {
                    continue;
                };
                let host = crate::instance::standbys::host_of(&inst, &s, cx).await?;
                install_member(&inst, &s.resource_name, &host, cx).await?;
                host.reload_tls(&s.resource_name, major, port).await?;
            }
            Ok::<_, crate::Error>(())
        };
        match renewed.await {
            Ok(()) => tracing::info!(instance = %inst.id, "instance certificate renewed"),
            Err(e) => tracing::warn!(instance = %inst.id, "failed to renew a certificate: {e:#}"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_instances_are_named_by_their_address_and_the_loopback_names() {
        let names = names_for(Provider::Local, "127.0.0.1".parse().unwrap());
        assert_eq!(names, ["127.0.0.1", "localhost", "::1"]);
        let names = names_for(Provider::Server, "10.0.0.7".parse().unwrap());
        assert_eq!(names, ["10.0.0.7"]);
        let names = names_for(Provider::Local, "0.0.0.0".parse().unwrap());
        assert_eq!(names, ["0.0.0.0", "localhost", "127.0.0.1", "::1"]);
    }

    #[test]
    fn kubernetes_instances_are_named_by_their_balancer_and_their_service() {
        let names = service_names("tg-0123456789ab", "toygres", Some("203.0.113.7"));
        assert_eq!(
            names,
            [
                "203.0.113.7",
                "tg-0123456789ab.toygres.svc",
                "tg-0123456789ab",
                "tg-0123456789ab.toygres",
                "tg-0123456789ab.toygres.svc.cluster.local",
            ]
        );
        assert_eq!(service_names("db", "ns", None)[0], "db.ns.svc");
        let ca = Authority::ephemeral().unwrap();
        assert!(
            ca.issue(&names).is_ok(),
            "an IP and DNS names in one certificate"
        );
    }

    #[test]
    fn issued_certificates_expire_after_ninety_days() {
        let ca = Authority::ephemeral().unwrap();
        assert!(ca.pem().starts_with("-----BEGIN CERTIFICATE-----"));
        let issued = ca.issue(&["10.0.0.7".to_owned()]).unwrap();
        assert!(issued.certificate.contains("BEGIN CERTIFICATE"));
        assert!(issued.key.contains("BEGIN PRIVATE KEY"));
        let days = (issued.not_after - Utc::now()).num_days();
        assert!((89..=90).contains(&days), "{days}");
    }
}
