//! The Postgres-on-a-host steps over SSH, against real sshd processes on loopback addresses
//! standing in for two fleet servers (root logs in with a test key; instances run as
//! `postgres`).

use std::net::Ipv4Addr;
use std::path::Path;

use providers::host::{PgHost, Reach, Shell, SshClient, Upstream};
use providers::login::Login;
use sqlx::Connection as _;
use testkit::sshd::{ClientKey, Sshd};

/// A scratch root that `postgres` may write to, as the server templates make it.
fn root() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("tg-srv-")
        .tempdir_in("/tmp")
        .unwrap();
    let status = std::process::Command::new("chown")
        .arg("postgres:postgres")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

fn host(client: &SshClient, sshd: &Sshd, key: Option<&str>, root: &Path) -> (PgHost, Shell) {
    let target = client
        .target(
            &sshd.addr.port().to_string(),
            &sshd.addr.ip().to_string(),
            sshd.addr.port(),
            "root",
            key,
            None,
        )
        .unwrap();
    let bins = providers::local::PgBinaries::installed();
    let versions = bins
        .iter()
        .map(|b| (b.major(), b.bin_dir().to_path_buf()))
        .collect();
    (
        PgHost::new(
            Shell::ssh(target.clone()),
            root.to_path_buf(),
            sshd.addr.ip(),
            20000..20100,
            versions,
        ),
        Shell::ssh(target),
    )
}

/// Connect as `app` over TLS, checking the certificate against `ca` (PEM) for `ip`.
async fn connect(ip: &str, port: u16, password: &str, ca: &str) -> sqlx::PgConnection {
    let opts = sqlx::postgres::PgConnectOptions::new()
        .host(ip)
        .port(port)
        .username("app")
        .password(password)
        .database("app")
        .ssl_mode(sqlx::postgres::PgSslMode::VerifyFull)
        .ssl_root_cert_from_pem(ca.as_bytes().to_vec());
    sqlx::PgConnection::connect_with(&opts).await.unwrap()
}

#[tokio::test]
async fn an_instance_made_over_ssh_streams_to_a_copy_on_another_host_which_takes_over() {
    let key = ClientKey::generate();
    let a = Sshd::start_on(Ipv4Addr::new(127, 0, 10, 1), Some(&key.public), None).await;
    let b = Sshd::start_on(Ipv4Addr::new(127, 0, 10, 2), Some(&key.public), None).await;
    let client_dir = tempfile::tempdir().unwrap();
    let client = SshClient::new(key.private.clone(), client_dir.path().to_path_buf()).unwrap();
    let (ra, rb) = (root(), root());

    // First contact trusts the host key; the next connection insists on it.
    let (_, probe) = host(&client, &a, None, ra.path());
    assert!(!probe.installed_versions().await.unwrap().is_empty());
    let Reach::Ssh(t) = &probe.reach else {
        unreachable!()
    };
    let key_a = t.learned_host_key().expect("the host key was learned");
    assert!(key_a.starts_with("ssh-ed25519 "), "{key_a}");
    let (_, probe_b) = host(&client, &b, None, rb.path());
    probe_b.installed_versions().await.unwrap();
    let Reach::Ssh(t) = &probe_b.reach else {
        unreachable!()
    };
    let key_b = t.learned_host_key().unwrap();

    let (ha, _) = host(&client, &a, Some(&key_a), ra.path());
    let (hb, _) = host(&client, &b, Some(&key_b), rb.path());
    let major = *ha.versions().last().unwrap();
    let name = "tg-sshtest0001";
    ha.ensure_data_dir(name, major).await.unwrap();
    let ca = jobs::tls::Authority::ephemeral().unwrap();
    let cert = ca.issue(&["127.0.10.1".to_owned()]).unwrap();
    ha.install_certificate(name, &cert.certificate, &cert.key)
        .await
        .unwrap();
    ha.ensure_running(name, major, 20001, None).await.unwrap();
    // Idempotent: a second start finds it running.
    ha.ensure_running(name, major, 20001, None).await.unwrap();
    let login = Login {
        username: "app",
        password: "it's a 'quoted' pass\\word",
        database: "app",
    };
    ha.ensure_login(name, major, 20001, &login).await.unwrap();
    ha.ensure_login(name, major, 20001, &login).await.unwrap();
    let mut conn = connect("127.0.10.1", 20001, login.password, ca.pem()).await;
    // Over the network, nothing without TLS.
    let plain = sqlx::postgres::PgConnectOptions::new()
        .host("127.0.10.1")
        .port(20001)
        .username("app")
        .password(login.password)
        .database("app")
        .ssl_mode(sqlx::postgres::PgSslMode::Disable);
    let refused = sqlx::PgConnection::connect_with(&plain)
        .await
        .expect_err("a connection without TLS is refused")
        .to_string();
    assert!(refused.contains("no encryption"), "{refused}");
    sqlx::query("CREATE TABLE t (id int primary key)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO t SELECT generate_series(1, 1000)")
        .execute(&mut conn)
        .await
        .unwrap();

    // A copy on b streams from a.
    ha.allow_replication(name, major, 20001, "repl-pass-123456")
        .await
        .unwrap();
    let upstream = Upstream {
        address: "127.0.10.1".into(),
        port: 20001,
        password: "repl-pass-123456".into(),
        ca: ca.pem().to_owned(),
        slot: None,
        application_name: "toygres_copy".into(),
    };
    hb.ensure_standby(name, major, &upstream).await.unwrap();
    let cert = ca.issue(&["127.0.10.2".to_owned()]).unwrap();
    hb.install_certificate(name, &cert.certificate, &cert.key)
        .await
        .unwrap();
    hb.ensure_running(name, major, 20001, None).await.unwrap();
    sqlx::query("INSERT INTO t SELECT generate_series(1001, 2000)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let copy = hb.recovery(name, major, 20001).await.unwrap();
    assert!(copy.in_recovery);

    // Cut over: stop a cleanly, wait for its last checkpoint on b, promote b.
    ha.ensure_stopped(name).await.unwrap();
    let (checkpoint, clean) = ha.last_checkpoint(name, major).await.unwrap();
    assert!(clean);
    hb.promote_after(name, major, 20001, checkpoint)
        .await
        .unwrap();
    hb.forget_upstream(name, major, 20001).await.unwrap();
    let mut conn = connect("127.0.10.2", 20001, login.password, ca.pem()).await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 2000, "every committed row is on the new primary");
    sqlx::query("INSERT INTO t VALUES (2001)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    ha.remove(name).await.unwrap();
    assert!(ha.instance_names().await.unwrap().is_empty());
    hb.remove(name).await.unwrap();

    // A host that presents another key is refused, permanently (a new client: the old one's
    // shared connection still reaches the sshd session that was started before).
    let b = b.restart_with_new_host_key(Some(&key.public)).await;
    let client = SshClient::new(key.private.clone(), client_dir.path().to_path_buf()).unwrap();
    let (hb, _) = host(&client, &b, Some(&key_b), rb.path());
    let err = hb.is_running(name).await.unwrap_err();
    assert!(matches!(err, providers::Error::Permanent(_)), "{err}");
    assert!(err.to_string().contains("host key"), "{err}");
}
