//! Whether a new server's SSH daemon answers: connect to its port and read the protocol
//! banner (`SSH-2.0-…`, RFC 4253 §4.2). A TCP accept alone is not enough: a provider's
//! network can accept before the VM's sshd runs.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::AsyncReadExt as _;

/// How a new server's SSH is checked.
#[derive(Clone, Debug)]
pub struct SshCheck {
    /// Whether to wait for SSH at all (`TOYGRES_SSH_CHECK=off` switches it off).
    pub enabled: bool,
    /// The port sshd listens on.
    pub port: u16,
    /// How long a server may take, from its first boot, before it is marked failed.
    pub timeout: Duration,
    /// How long one attempt may take (connect plus banner).
    pub attempt_timeout: Duration,
}

impl Default for SshCheck {
    fn default() -> Self {
        Self {
            enabled: true,
            port: 22,
            timeout: Duration::from_secs(600),
            attempt_timeout: Duration::from_secs(5),
        }
    }
}

/// Connect to `addr` and read the SSH identification line. `Ok` with the line when an SSH
/// server answered; `Err` with why not otherwise.
pub async fn wait_for_banner(addr: SocketAddr, within: Duration) -> Result<String, String> {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect to {addr}: {e}"))?;
        // Servers may send other lines before the identification line (RFC 4253 §4.2); read
        // until one starts with "SSH-", within 8 KiB.
        let mut seen = Vec::with_capacity(256);
        let mut buf = [0u8; 512];
        loop {
            let n = stream
                .read(&mut buf)
                .await
                .map_err(|e| format!("read from {addr}: {e}"))?;
            if n == 0 {
                return Err(format!("{addr} closed the connection before an SSH banner"));
            }
            seen.extend_from_slice(&buf[..n]);
            for line in seen.split(|b| *b == b'\n') {
                if line.starts_with(b"SSH-") && seen.contains(&b'\n') {
                    let text = String::from_utf8_lossy(line).trim_end().to_owned();
                    return Ok(text);
                }
            }
            if seen.len() > 8192 {
                return Err(format!("{addr} answered, but not with an SSH banner"));
            }
        }
    };
    match tokio::time::timeout(within, attempt).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "{addr} did not send an SSH banner within {within:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt as _;

    async fn one_shot_server(reply: &'static [u8]) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            s.write_all(reply).await.unwrap();
            // Keep the connection open until the client is done.
            let mut sink = [0u8; 16];
            let _ = s.read(&mut sink).await;
        });
        addr
    }

    #[tokio::test]
    async fn a_banner_after_other_lines_counts_as_ssh() {
        let addr = one_shot_server(b"hello\r\nSSH-2.0-OpenSSH_9.2p1 Debian\r\n").await;
        let banner = wait_for_banner(addr, Duration::from_secs(2)).await.unwrap();
        assert_eq!(banner, "SSH-2.0-OpenSSH_9.2p1 Debian");
    }

    #[tokio::test]
    async fn a_server_that_speaks_something_else_is_not_ssh() {
        let addr = one_shot_server(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        let err = wait_for_banner(addr, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(err.contains("closed") || err.contains("within"), "{err}");
    }

    #[tokio::test]
    async fn a_closed_port_is_reported_with_its_address() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let err = wait_for_banner(addr, Duration::from_secs(2))
            .await
            .unwrap_err();
        assert!(err.contains(&addr.to_string()), "{err}");
    }
}

#[cfg(test)]
mod real_sshd {
    use super::*;

    #[tokio::test]
    async fn a_real_openssh_server_on_loopback_answers_with_its_banner() {
        let sshd = testkit::sshd::Sshd::start().await;
        let banner = wait_for_banner(sshd.addr, Duration::from_secs(5))
            .await
            .expect("sshd answers");
        assert!(banner.starts_with("SSH-2.0-OpenSSH"), "{banner}");
    }
}
