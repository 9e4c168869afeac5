//! The certificate authority that instances' TLS certificates are issued by.

use async_graphql::{Context, Object, SimpleObject};

use super::{api, caller};
use crate::error::{OrGql as _, internal};

/// The installation's certificate authority. Every `LOCAL` and `SERVER` instance serves a
/// certificate it issued; save its `pem` where a connection string's `sslrootcert` names it
/// (`toygres-ca.crt`) to connect with `sslmode=verify-full`.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct CertificateAuthority {
    /// The CA's certificate, PEM.
    pub pem: String,
}

#[derive(Default)]
pub(crate) struct TlsQuery;

#[Object]
impl TlsQuery {
    /// The certificate authority that issues instances' certificates. Any signed-in caller.
    async fn certificate_authority(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<CertificateAuthority> {
        caller(ctx)?;
        let pem = certificate_authority_pem(&api(ctx)?.db).await?;
        Ok(CertificateAuthority { pem })
    }
}

/// The CA's certificate, PEM. Every process makes sure there is one when it starts, so its
/// absence is an internal error.
pub(crate) async fn certificate_authority_pem(db: &jobs::db::Db) -> async_graphql::Result<String> {
    db.certificate_authority_pem()
        .await
        .or_gql()?
        .ok_or_else(|| internal(&"the certificate authority has not been made"))
}
