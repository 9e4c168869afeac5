//! A real S3-compatible object store on loopback, for the backup tests: moto's server mode
//! (PyPI `moto[server]`) in plain HTTP, behind Debian's `stunnel4` for TLS with a
//! certificate made here for 127.0.0.1 (pgBackRest speaks only HTTPS, and moto's own TLS
//! does not get along with it).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{PATIENCE, free_addr};

/// A running store with one bucket.
pub struct S3 {
    moto: Child,
    stunnel: Child,
    /// `localhost:<port>`, over TLS (pgBackRest checks the name against the certificate's
    /// DNS names, not its IP addresses).
    pub endpoint: String,
    /// The bucket made for the test.
    pub bucket: String,
    /// The CA that signed the store's certificate.
    pub ca_file: PathBuf,
    /// moto's own plain-HTTP address, for looking inside.
    pub plain: String,
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.stunnel.kill();
        let _ = self.moto.kill();
        let _ = self.stunnel.wait();
        let _ = self.moto.wait();
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn wait_port(addr: &str, child: &mut Child, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited ({status}) before listening on {addr}");
        }
        assert!(Instant::now() < deadline, "{what} never listened on {addr}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl S3 {
    /// Start the store with its files in `dir`, and make `bucket`.
    pub async fn start(dir: &Path, bucket: &str) -> S3 {
        providers::install_crypto_provider();
        let dir = dir.join("s3");
        std::fs::create_dir_all(&dir).unwrap();
        let ca_key = dir.join("ca.key");
        let ca_file = dir.join("ca.pem");
        let key = dir.join("store.key");
        let csr = dir.join("store.csr");
        let cert = dir.join("store.pem");
        let ext = dir.join("store.ext");
        run(Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=toygres test CA",
                "-keyout",
            ])
            .arg(&ca_key)
            .arg("-out")
            .arg(&ca_file));
        run(Command::new("openssl")
            .args([
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-keyout",
            ])
            .arg(&key)
            .arg("-out")
            .arg(&csr));
        std::fs::write(&ext, "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
        run(Command::new("openssl")
            .args(["x509", "-req", "-days", "2", "-CAcreateserial", "-in"])
            .arg(&csr)
            .arg("-CA")
            .arg(&ca_file)
            .arg("-CAkey")
            .arg(&ca_key)
            .arg("-extfile")
            .arg(&ext)
            .arg("-out")
            .arg(&cert));
        // The Postgres user's pgBackRest reads the CA.
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&ca_file, std::fs::Permissions::from_mode(0o644)).unwrap();

        let plain = free_addr();
        let mut moto = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &plain.port().to_string()])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("moto.log")).unwrap())
            .stderr(std::fs::File::create(dir.join("moto.err")).unwrap())
            .spawn()
            .expect("moto_server (pip install 'moto[server]')");
        wait_port(&plain.to_string(), &mut moto, "moto_server").await;

        let tls = free_addr();
        let conf = dir.join("stunnel.conf");
        std::fs::write(
            &conf,
            format!(
                "foreground = yes\npid =\n\n[s3]\naccept = {tls}\nconnect = {plain}\ncert = {}\nkey = {}\n",
                cert.display(),
                key.display()
            ),
        )
        .unwrap();
        let mut stunnel = Command::new("stunnel4")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("stunnel.log")).unwrap())
            .spawn()
            .expect("stunnel4 (apt-get install stunnel4)");
        wait_port(&tls.to_string(), &mut stunnel, "stunnel4").await;

        // moto accepts any credentials; path-style `PUT /bucket` makes the bucket.
        let made = reqwest::Client::new()
            .put(format!("http://{plain}/{bucket}"))
            .send()
            .await
            .unwrap();
        assert!(made.status().is_success(), "{:?}", made.text().await);
        S3 {
            moto,
            stunnel,
            endpoint: format!("localhost:{}", tls.port()),
            bucket: bucket.to_owned(),
            ca_file,
            plain: plain.to_string(),
        }
    }

    /// The settings that send a control plane's backups here.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TOYGRES_BACKUP_S3_ENDPOINT", self.endpoint.clone()),
            ("TOYGRES_BACKUP_S3_BUCKET", self.bucket.clone()),
            ("TOYGRES_BACKUP_S3_REGION", "us-east-1".to_owned()),
            (
                "TOYGRES_BACKUP_S3_ACCESS_KEY_ID",
                "toygres-test-key".to_owned(),
            ),
            (
                "TOYGRES_BACKUP_S3_SECRET_ACCESS_KEY",
                "toygres-test-secret".to_owned(),
            ),
            ("TOYGRES_BACKUP_S3_URI_STYLE", "path".to_owned()),
            (
                "TOYGRES_BACKUP_S3_CA_FILE",
                self.ca_file.display().to_string(),
            ),
        ]
    }

    /// The keys of the objects in the bucket whose key starts with `prefix`.
    pub async fn keys(&self, prefix: &str) -> Vec<String> {
        let body = reqwest::Client::new()
            .get(format!(
                "http://{}/{}?list-type=2&prefix={prefix}&max-keys=1000",
                self.plain, self.bucket
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        body.split("<Key>")
            .skip(1)
            .filter_map(|s| s.split("</Key>").next())
            .map(str::to_owned)
            .collect()
    }

    /// The object `key`'s bytes, read with a signed request (boto3, which moto brings).
    pub async fn object(&self, key: &str) -> Vec<u8> {
        let script = "import sys, boto3\n\
            s3 = boto3.client('s3', endpoint_url='http://' + sys.argv[1], region_name='us-east-1',\n\
                aws_access_key_id='toygres-test-key', aws_secret_access_key='toygres-test-secret')\n\
            sys.stdout.buffer.write(s3.get_object(Bucket=sys.argv[2], Key=sys.argv[3])['Body'].read())\n";
        let out = tokio::process::Command::new("python3")
            .args(["-c", script, &self.plain, &self.bucket, key])
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "GET {key}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}
