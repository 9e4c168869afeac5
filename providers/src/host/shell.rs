//! Where the Postgres-on-a-host steps run: on this host ([`Reach::Local`]), or on a fleet
//! server over SSH ([`Reach::Ssh`]). A shell offers the few primitives the steps need (run a
//! program as the user that runs Postgres, read and write a file, copy and remove trees, signal
//! a process, start a detached server); [`super::PgHost`] builds every step from them once.
//!
//! Every command runs within [`CommandLimits`]: a deadline for its [`Budget`] and a cap on
//! its output.
//!
//! Over SSH, a command is an argument vector, never a string from outside: each argument is
//! single-quoted for the remote shell ([`quote`]), and secrets travel on standard input, never
//! in arguments.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::io::AsyncWriteExt as _;
use tokio::process::Command;

use super::ssh::SshTarget;
use crate::local::RunAs;
use crate::{Error, Result};

/// What a finished program said.
#[derive(Debug)]
pub struct Output {
    /// Its exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// What it wrote to standard output.
    pub stdout: Vec<u8>,
    /// What it wrote to standard error, lossily decoded.
    pub stderr: String,
}

impl Output {
    /// Whether it exited with 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Standard output as text, trimmed.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).trim().to_owned()
    }
}

/// A host's shell: this host, or a server over SSH, and the limits its commands run within.
#[derive(Debug)]
pub struct Shell {
    /// Where commands run.
    pub reach: Reach,
    limits: CommandLimits,
}

/// Where a shell's commands run.
#[derive(Debug)]
pub enum Reach {
    /// This host; Postgres runs as `run_as` when we are root.
    Local(Option<RunAs>),
    /// A server, through `ssh`.
    Ssh(SshTarget),
}

/// How long a command may run and how much it may print, so that a host that hangs or
/// floods fails the step that asked, with a clear error, and never holds a worker (or the
/// health sweep) for good. A command past its deadline is killed (over SSH: our `ssh`, and
/// on the server a `timeout` we wrap the command in, a little later); one that prints more
/// than allowed is killed at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandLimits {
    /// The deadline of every command but the long ones: probes, file operations, SQL,
    /// starting and stopping a server (whose own waits are 60 s and 40 s at most).
    pub quick: Duration,
    /// The deadline of the commands whose time grows with an instance's size: copying or
    /// removing a data directory, a base backup, a backup, a restore, verifying backups and
    /// checking catalogs.
    pub long: Duration,
    /// The most bytes a command may write to standard output, and to standard error.
    pub max_output: usize,
}

impl Default for CommandLimits {
    /// Quick commands 2 minutes, long ones 6 hours, 16 MiB of output.
    fn default() -> Self {
        Self {
            quick: Duration::from_secs(120),
            long: Duration::from_secs(6 * 3600),
            max_output: 16 * 1024 * 1024,
        }
    }
}

/// Which deadline of [`CommandLimits`] a command runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// [`CommandLimits::quick`].
    Quick,
    /// [`CommandLimits::long`].
    Long,
}

impl Shell {
    /// This host's shell, running Postgres's commands as `run_as` (when we are root).
    pub fn local(run_as: Option<RunAs>) -> Self {
        Self {
            reach: Reach::Local(run_as),
            limits: CommandLimits::default(),
        }
    }

    /// A server's shell, through `ssh`.
    pub fn ssh(target: SshTarget) -> Self {
        Self {
            reach: Reach::Ssh(target),
            limits: CommandLimits::default(),
        }
    }

    /// The same shell, its commands within `limits`.
    #[must_use]
    pub fn with_limits(mut self, limits: CommandLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits its commands run within.
    pub fn limits(&self) -> CommandLimits {
        self.limits
    }

    /// Whether this is this host's shell.
    pub fn is_local(&self) -> bool {
        matches!(self.reach, Reach::Local(_))
    }

    /// For messages: `this host` or `user@address:port`.
    pub fn describe(&self) -> String {
        match &self.reach {
            Reach::Local(_) => "this host".to_owned(),
            Reach::Ssh(t) => t.describe(),
        }
    }

    /// The operating-system user that runs Postgres (and our commands) there: the one that
    /// peer authentication sees when we connect as the superuser.
    pub fn postgres_user(&self) -> String {
        match &self.reach {
            Reach::Local(Some(run_as)) => run_as.name().to_owned(),
            Reach::Local(None) => nix::unistd::User::from_uid(nix::unistd::geteuid())
                .ok()
                .flatten()
                .map_or_else(|| "root".to_owned(), |u| u.name),
            Reach::Ssh(_) => "postgres".to_owned(),
        }
    }

    /// Run `argv` as the user that runs Postgres, with `stdin` on its standard input, within
    /// the quick deadline.
    pub async fn run(&self, argv: &[String], stdin: Option<&[u8]>) -> Result<Output> {
        self.run_within(argv, stdin, Budget::Quick).await
    }

    /// Run `argv` as [`Shell::run`] does, within `budget`'s deadline.
    pub async fn run_within(
        &self,
        argv: &[String],
        stdin: Option<&[u8]>,
        budget: Budget,
    ) -> Result<Output> {
        let bounds = self.bounds(budget);
        match &self.reach {
            Reach::Local(run_as) => {
                let (program, args) = argv
                    .split_first()
                    .ok_or_else(|| Error::Permanent(anyhow!("empty command")))?;
                let mut cmd = Command::new(program);
                cmd.args(args).current_dir("/");
                clean_env(&mut cmd);
                if let Some(run_as) = run_as {
                    run_as.apply(&mut cmd);
                }
                run_command(
                    cmd,
                    stdin,
                    &format!("`{program}` on this host"),
                    bounds,
                    Kill::Group,
                )
                .await
            }
            Reach::Ssh(target) => target.run(argv, stdin, bounds).await,
        }
    }

    fn bounds(&self, budget: Budget) -> Bounds {
        Bounds {
            deadline: match budget {
                Budget::Quick => self.limits.quick,
                Budget::Long => self.limits.long,
            },
            max_output: self.limits.max_output,
        }
    }

    /// Run `argv` and fail, with its standard error, unless it exits with 0.
    pub async fn check(&self, argv: &[String], stdin: Option<&[u8]>) -> Result<Vec<u8>> {
        self.check_within(argv, stdin, Budget::Quick).await
    }

    /// Run `argv` within `budget`'s deadline and fail, with its standard error, unless it
    /// exits with 0.
    pub async fn check_within(
        &self,
        argv: &[String],
        stdin: Option<&[u8]>,
        budget: Budget,
    ) -> Result<Vec<u8>> {
        let out = self.run_within(argv, stdin, budget).await?;
        if out.success() {
            return Ok(out.stdout);
        }
        Err(Error::Transient(anyhow!(
            "`{}` on {} failed ({}): {}",
            argv.first().map_or("", String::as_str),
            self.describe(),
            out.code
                .map_or_else(|| "killed".to_owned(), |c| format!("exit {c}")),
            last_lines(&out.stderr)
        )))
    }

    /// The contents of `path`, or `None` if it does not exist.
    pub async fn read_file(&self, path: &Path) -> Result<Option<String>> {
        match &self.reach {
            Reach::Local(_) => match std::fs::read_to_string(path) {
                Ok(t) => Ok(Some(t)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(Error::Transient(
                    anyhow::Error::from(e).context(format!("read {}", path.display())),
                )),
            },
            Reach::Ssh(_) => {
                // The first byte says whether it exists, so one round trip tells both.
                let script = "if [ -e \"$1\" ]; then printf y; cat -- \"$1\"; else printf n; fi";
                let out = self
                    .check(&args(["sh", "-c", script, "sh"], [path]), None)
                    .await?;
                Ok(match out.split_first() {
                    Some((b'y', rest)) => Some(String::from_utf8_lossy(rest).into_owned()),
                    _ => None,
                })
            }
        }
    }

    /// Whether `path` exists.
    pub async fn exists(&self, path: &Path) -> Result<bool> {
        match &self.reach {
            Reach::Local(_) => Ok(path.exists()),
            Reach::Ssh(_) => {
                let out = self.run(&args(["test", "-e"], [path]), None).await?;
                Ok(out.success())
            }
        }
    }

    /// Write `contents` to `path`, readable only by the user that runs Postgres (0600).
    pub async fn write_private(&self, path: &Path, contents: &[u8]) -> Result<()> {
        match &self.reach {
            Reach::Local(run_as) => {
                write_private_local(path, contents)?;
                if let Some(run_as) = run_as {
                    run_as.chown(path)?;
                }
                Ok(())
            }
            Reach::Ssh(_) => {
                self.check(
                    &args(["sh", "-c", "umask 077 && cat > \"$1\"", "sh"], [path]),
                    Some(contents),
                )
                .await?;
                Ok(())
            }
        }
    }

    /// Make `dir` (and its parents), private (0700) and owned by the user that runs Postgres.
    pub async fn make_private_dir(&self, dir: &Path) -> Result<()> {
        match &self.reach {
            Reach::Local(run_as) => {
                use std::os::unix::fs::PermissionsExt as _;
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("create {}", dir.display()))
                    .map_err(Error::Permanent)?;
                // A link in its place would make the chmod and chown below act on its target.
                refuse_symlink(dir)?;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                    .with_context(|| format!("chmod {}", dir.display()))
                    .map_err(Error::Permanent)?;
                if let Some(run_as) = run_as {
                    run_as.chown(dir)?;
                }
                Ok(())
            }
            Reach::Ssh(_) => {
                self.check(&args(["mkdir", "-p", "-m", "0700", "--"], [dir]), None)
                    .await?;
                self.check(&args(["chmod", "0700", "--"], [dir]), None)
                    .await?;
                Ok(())
            }
        }
    }

    /// Make `dir` and its parents, traversable by everyone (0755).
    pub async fn make_dir(&self, dir: &Path) -> Result<()> {
        match &self.reach {
            Reach::Local(_) => std::fs::create_dir_all(dir)
                .with_context(|| format!("create {}", dir.display()))
                .map_err(Error::Permanent),
            Reach::Ssh(_) => {
                self.check(&args(["mkdir", "-p", "--"], [dir]), None)
                    .await?;
                Ok(())
            }
        }
    }

    /// Copy the tree `from` to `to`, keeping owners and modes.
    pub async fn copy_tree(&self, from: &Path, to: &Path) -> Result<()> {
        match &self.reach {
            // As ourselves: `cp -a` keeps the owner only when root runs it.
            Reach::Local(_) => {
                let mut cmd = Command::new("cp");
                cmd.arg("-a").arg(from).arg(to);
                let out = run_command(
                    cmd,
                    None,
                    "`cp` on this host",
                    self.bounds(Budget::Long),
                    Kill::Group,
                )
                .await?;
                if !out.success() {
                    return Err(Error::Transient(anyhow!(
                        "copying {} failed: {}",
                        from.display(),
                        last_lines(&out.stderr)
                    )));
                }
                Ok(())
            }
            Reach::Ssh(_) => {
                self.check_within(&args(["cp", "-a", "--"], [from, to]), None, Budget::Long)
                    .await?;
                Ok(())
            }
        }
    }

    /// Rename `from` to `to`.
    pub async fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        match &self.reach {
            Reach::Local(_) => std::fs::rename(from, to)
                .with_context(|| format!("move {} to {}", from.display(), to.display()))
                .map_err(Error::Transient),
            Reach::Ssh(_) => {
                self.check(&args(["mv", "-T", "--"], [from, to]), None)
                    .await?;
                Ok(())
            }
        }
    }

    /// Remove the tree (or file) at `path`; gone already counts as done.
    pub async fn remove_tree(&self, path: &Path) -> Result<()> {
        match &self.reach {
            Reach::Local(_) => match std::fs::symlink_metadata(path).and_then(|m| {
                if m.is_dir() {
                    std::fs::remove_dir_all(path)
                } else {
                    std::fs::remove_file(path)
                }
            }) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(Error::Transient(
                    anyhow::Error::from(e).context(format!("remove {}", path.display())),
                )),
            },
            Reach::Ssh(_) => {
                // Its time grows with the tree.
                self.check_within(&args(["rm", "-rf", "--"], [path]), None, Budget::Long)
                    .await?;
                Ok(())
            }
        }
    }

    /// The names of the directories in `dir` (none if it does not exist).
    pub async fn list_dirs(&self, dir: &Path) -> Result<Vec<String>> {
        match &self.reach {
            Reach::Local(_) => {
                let Ok(entries) = std::fs::read_dir(dir) else {
                    return Ok(Vec::new());
                };
                Ok(entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().is_dir())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect())
            }
            Reach::Ssh(_) => {
                let script = "cd \"$1\" 2>/dev/null || exit 0; for d in */; do [ -d \"$d\" ] && printf '%s\\n' \"${d%/}\"; done; exit 0";
                let out = self
                    .check(&args(["sh", "-c", script, "sh"], [dir]), None)
                    .await?;
                Ok(String::from_utf8_lossy(&out)
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect())
            }
        }
    }

    /// Whether process `pid` is alive (a zombie is not).
    pub async fn alive(&self, pid: i32) -> Result<bool> {
        match &self.reach {
            Reach::Local(_) => Ok(local_alive(pid)),
            Reach::Ssh(_) => {
                // A process that exited but whose parent (init, once our shell is gone) has
                // not reaped it yet is a zombie: gone for our purposes.
                let script = "s=$(cut -d')' -f2 /proc/\"$1\"/stat 2>/dev/null) || exit 1; case \"$s\" in ' Z'*) exit 1;; esac";
                let out = self
                    .run(
                        &[
                            String::from("sh"),
                            "-c".into(),
                            script.into(),
                            "sh".into(),
                            pid.to_string(),
                        ],
                        None,
                    )
                    .await?;
                Ok(out.success())
            }
        }
    }

    /// Send `signal` to `pid`; `false` if no such process.
    pub async fn signal(&self, pid: i32, signal: Signal) -> Result<bool> {
        match &self.reach {
            Reach::Local(_) => Ok(kill(Pid::from_raw(pid), signal).is_ok()),
            Reach::Ssh(_) => {
                let name = signal.as_str().trim_start_matches("SIG");
                let out = self
                    .run(
                        &[String::from("kill"), format!("-{name}"), pid.to_string()],
                        None,
                    )
                    .await?;
                Ok(out.success())
            }
        }
    }

    /// Start `argv` detached from us (its own session), its output appended to `log`, and
    /// return its pid. It outlives this process and the SSH session.
    pub async fn spawn_detached(&self, argv: &[String], log: &Path) -> Result<i32> {
        match &self.reach {
            Reach::Local(run_as) => {
                let (program, rest) = argv
                    .split_first()
                    .ok_or_else(|| Error::Permanent(anyhow!("empty command")))?;
                let out = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(log)
                    .with_context(|| format!("open {}", log.display()))
                    .map_err(Error::Permanent)?;
                let err = out
                    .try_clone()
                    .context("clone log handle")
                    .map_err(Error::Permanent)?;
                let mut cmd = Command::new(program);
                clean_env(&mut cmd);
                cmd.args(rest)
                    .current_dir("/")
                    .stdin(Stdio::null())
                    .stdout(out)
                    .stderr(err)
                    // Its own process group, so that a Ctrl-C meant for us reaches it only
                    // through our orderly shutdown.
                    .process_group(0);
                if let Some(run_as) = run_as {
                    run_as.apply(&mut cmd);
                }
                let child = cmd
                    .spawn()
                    .with_context(|| format!("spawn {program}"))
                    .map_err(Error::Permanent)?;
                // Dropping the handle leaves it running; tokio reaps it when it exits.
                child
                    .id()
                    .and_then(|p| i32::try_from(p).ok())
                    .ok_or_else(|| Error::Transient(anyhow!("{program} exited at once")))
            }
            Reach::Ssh(_) => {
                let script = "log=$1; shift; setsid \"$@\" >>\"$log\" 2>&1 </dev/null & echo $!";
                let mut full = args(["sh", "-c", script, "sh"], [log]);
                full.extend(argv.iter().cloned());
                let out = self.check(&full, None).await?;
                String::from_utf8_lossy(&out)
                    .trim()
                    .parse()
                    .map_err(|_| Error::Transient(anyhow!("no pid from {}", self.describe())))
            }
        }
    }

    /// Whether nothing listens on `port` of `ip` there.
    pub async fn port_is_free(&self, ip: IpAddr, port: u16) -> Result<bool> {
        match &self.reach {
            Reach::Local(_) => Ok(std::net::TcpListener::bind(SocketAddr::new(ip, port)).is_ok()),
            Reach::Ssh(_) => {
                let out = self
                    .check(&[String::from("ss"), "-Hltn".into()], None)
                    .await?;
                Ok(!listening(&String::from_utf8_lossy(&out))
                    .iter()
                    .any(|(addr, p)| *p == port && addr.is_none_or(|a| a == ip)))
            }
        }
    }

    /// The major versions installed under Debian's `/usr/lib/postgresql/<major>/bin` there,
    /// with their binary directories, oldest first.
    pub async fn installed_versions(&self) -> Result<Vec<(u32, PathBuf)>> {
        let script = "for d in /usr/lib/postgresql/*/bin; do [ -x \"$d/postgres\" ] && [ -x \"$d/initdb\" ] && printf '%s\\n' \"$d\"; done; exit 0";
        let out = self
            .check(&[String::from("sh"), "-c".into(), script.into()], None)
            .await?;
        let mut found: Vec<(u32, PathBuf)> = String::from_utf8_lossy(&out)
            .lines()
            .filter_map(|l| {
                let dir = PathBuf::from(l.trim());
                let major = dir.parent()?.file_name()?.to_str()?.parse().ok()?;
                Some((major, dir))
            })
            .collect();
        found.sort();
        Ok(found)
    }
}

/// Start a command on this host with a clean environment: nothing of the control plane's
/// (tokens, keys, passwords, `DATABASE_URL`) reaches Postgres, pgBackRest or what they start;
/// only `PATH`, to find programs, and the C locale.
fn clean_env(cmd: &mut Command) {
    cmd.env_clear().env("LC_ALL", "C");
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
}

/// Turn fixed words and paths into an argument vector.
pub(crate) fn args<const N: usize, const M: usize>(
    words: [&str; N],
    paths: [&Path; M],
) -> Vec<String> {
    words
        .iter()
        .map(|w| (*w).to_owned())
        .chain(paths.iter().map(|p| p.display().to_string()))
        .collect()
}

/// Quote `arg` for a POSIX shell: inside single quotes nothing is special but the quote
/// itself, which is closed, escaped and reopened.
pub fn quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@%+,".contains(&b))
    {
        return arg.to_owned();
    }
    format!("'{}'", arg.replace('\'', "'\\''"))
}

/// A command's deadline and output cap (see [`CommandLimits`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    /// How long it may run.
    pub(crate) deadline: Duration,
    /// The most bytes it may write to standard output, and to standard error.
    pub(crate) max_output: usize,
}

/// How a command past its bounds is killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kill {
    /// It, and everything it started that stayed in its process group (a shell's children).
    Group,
    /// It alone: `ssh`, whose background connection (`ControlMaster`) others share.
    Child,
}

/// Run `cmd` (described as `what` in errors) within `bounds`: past the deadline, or once it
/// printed more than allowed, it is killed (see [`Kill`]) and the step fails with a clear
/// error; its output is never held beyond the cap.
pub(crate) async fn run_command(
    mut cmd: Command,
    stdin: Option<&[u8]>,
    what: &str,
    bounds: Bounds,
    kill: Kill,
) -> Result<Output> {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    if kill == Kill::Group {
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("run {what}"))
        .map_err(Error::Permanent)?;
    let pid = child.id().and_then(|p| i32::try_from(p).ok());
    let (stdin_pipe, stdout, stderr) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let max = bounds.max_output;
    let io = async {
        let feed = async {
            if let (Some(input), Some(mut pipe)) = (stdin, stdin_pipe) {
                pipe.write_all(input)
                    .await
                    .with_context(|| format!("write to {what}"))
                    .map_err(Error::Transient)?;
            }
            Ok::<_, Error>(())
        };
        let (_, out, err) = tokio::try_join!(
            feed,
            read_capped(stdout, max, what),
            read_capped(stderr, max, what)
        )?;
        let status = child
            .wait()
            .await
            .with_context(|| format!("wait for {what}"))
            .map_err(Error::Transient)?;
        Ok::<_, Error>(Output {
            code: status.code(),
            stdout: out,
            stderr: String::from_utf8_lossy(&err).into_owned(),
        })
    };
    let outcome = match tokio::time::timeout(bounds.deadline, io).await {
        Ok(Ok(out)) => return Ok(out),
        Ok(Err(e)) => e,
        Err(_) => Error::Transient(anyhow!(
            "{what} did not finish within {}; it was killed",
            humanize(bounds.deadline)
        )),
    };
    // Dropping `child` sends SIGKILL to it (`kill_on_drop`), and tokio reaps it; its group
    // goes too when it has one of its own.
    if kill == Kill::Group
        && let Some(pid) = pid
    {
        let _ = nix::sys::signal::killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    Err(outcome)
}

/// All of `pipe`, unless it holds more than `max` bytes: then stop reading and fail.
async fn read_capped(
    pipe: Option<impl tokio::io::AsyncRead + Unpin>,
    max: usize,
    what: &str,
) -> Result<Vec<u8>> {
    use tokio::io::AsyncReadExt as _;
    let mut buf = Vec::new();
    let Some(pipe) = pipe else {
        return Ok(buf);
    };
    pipe.take(u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut buf)
        .await
        .with_context(|| format!("read the output of {what}"))
        .map_err(Error::Transient)?;
    if buf.len() > max {
        return Err(Error::Permanent(anyhow!(
            "{what} printed more than {max} bytes; it was killed"
        )));
    }
    Ok(buf)
}

/// `90 s`, `2 min`, `6 h`: a deadline for a message.
fn humanize(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0 => format!("{} ms", d.as_millis()),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 && s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// The last lines of some output, for an error message.
pub(crate) fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}

fn local_alive(pid: i32) -> bool {
    if kill(Pid::from_raw(pid), None).is_err() {
        return false;
    }
    // A child of ours that exited but is not reaped yet still answers signal 0.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_none_or(|state| state != "Z"),
        Err(_) => false,
    }
}

/// Refuse to act on `path` if it is a symbolic link: where a tenant's server can write,
/// one may have been planted to point our writes (as root) somewhere else.
fn refuse_symlink(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(Error::Permanent(anyhow!(
            "{} is a symbolic link where a file or directory of ours belongs: refusing to follow it",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// Write `contents` to `path` (0600), never through a symbolic link.
pub(crate) fn write_private_local(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    refuse_symlink(path)?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        // Closes the gap between the check above and the open.
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(path)
        .with_context(|| format!("create {}", path.display()))
        .map_err(Error::Permanent)?;
    f.write_all(contents)
        .with_context(|| format!("write {}", path.display()))
        .map_err(Error::Permanent)
}

/// The listening sockets in `ss -Hltn` output: (address, or `None` for any; port).
fn listening(ss: &str) -> Vec<(Option<IpAddr>, u16)> {
    ss.lines()
        .filter_map(|line| {
            let local = line.split_whitespace().nth(3)?;
            let (addr, port) = local.rsplit_once(':')?;
            let port = port.parse().ok()?;
            let addr = addr.trim_start_matches('[').trim_end_matches(']');
            let addr = addr.split('%').next().unwrap_or(addr);
            let ip = match addr {
                "*" | "0.0.0.0" | "::" => None,
                other => Some(other.parse().ok()?),
            };
            Some((ip, port))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where a tenant's server could plant links, writes, chmods and chowns done here as
    /// root never reach what a link points to.
    #[tokio::test]
    async fn files_of_ours_are_never_written_or_changed_through_a_planted_link() {
        use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _, symlink};
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
        let victim_dir = dir.path().join("victim.d");
        std::fs::create_dir(&victim_dir).unwrap();
        std::fs::set_permissions(&victim_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let planted = dir.path().join("postgresql.auto.conf");
        symlink(&victim, &planted).unwrap();
        let planted_dir = dir.path().join("spool");
        symlink(&victim_dir, &planted_dir).unwrap();

        let shell = Shell::local(crate::local::RunAs::resolve("postgres").unwrap());
        let err = shell.write_private(&planted, b"owned").await.unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(shell.make_private_dir(&planted_dir).await.is_err());

        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        let file = std::fs::metadata(&victim).unwrap();
        let folder = std::fs::metadata(&victim_dir).unwrap();
        assert_eq!(
            (file.mode() & 0o777, file.uid()),
            (0o644, nix::unistd::geteuid().as_raw())
        );
        assert_eq!(
            (folder.mode() & 0o777, folder.uid()),
            (0o755, nix::unistd::geteuid().as_raw())
        );
        // A real path is still written, private, and given to the Postgres user.
        let real = dir.path().join("real.conf");
        shell.write_private(&real, b"ok").await.unwrap();
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "ok");
    }

    const TIGHT: CommandLimits = CommandLimits {
        quick: Duration::from_secs(2),
        long: Duration::from_secs(2),
        max_output: 64 * 1024,
    };

    /// A command on this host that hangs is killed at its deadline with everything it
    /// started, and one that floods is killed at the cap; each fails with a clear error.
    #[tokio::test]
    async fn a_local_command_that_hangs_or_floods_is_killed_and_fails_its_step() {
        let shell = Shell::local(None).with_limits(TIGHT);
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let script = "sleep 300 & echo $! > \"$1\"; wait";
        let hang = args(["sh", "-c", script, "sh"], [pidfile.as_path()]);
        // Without limits this would wait for good: give up well after the deadline.
        let err = tokio::time::timeout(Duration::from_secs(60), shell.run(&hang, None))
            .await
            .expect("the command ends at its deadline")
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("`sh` on this host did not finish within 2 s; it was killed"),
            "{err}"
        );
        // What it started went with it.
        let grandchild: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let until = std::time::Instant::now() + Duration::from_secs(20);
        while local_alive(grandchild) {
            assert!(
                std::time::Instant::now() < until,
                "{grandchild} outlived its command"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        let flood = [String::from("yes")];
        let err = tokio::time::timeout(Duration::from_secs(60), shell.run(&flood, None))
            .await
            .expect("the command ends at its cap")
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("`yes` on this host printed more than 65536 bytes; it was killed"),
            "{err}"
        );
        // Output under the cap, and a long budget, are untouched.
        let fine = args(["sh", "-c", "head -c 60000 /dev/zero; sleep 0.1"], []);
        let out = shell.run_within(&fine, None, Budget::Long).await.unwrap();
        assert_eq!(out.stdout.len(), 60000);
    }

    #[test]
    fn quoting_leaves_plain_words_and_makes_everything_else_one_literal_word() {
        assert_eq!(quote("/var/lib/toygres"), "/var/lib/toygres");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's; rm -rf /"), "'it'\\''s; rm -rf /'");
        assert_eq!(quote("$(id)`id`"), "'$(id)`id`'");
    }

    #[tokio::test]
    async fn quoted_arguments_reach_a_real_shell_unchanged() {
        for nasty in ["it's", "$(touch /tmp/pwned)", "a\nb", "\\\"", "*", "-rf"] {
            let out = tokio::process::Command::new("sh")
                .arg("-c")
                .arg(format!("printf %s {}", quote(nasty)))
                .output()
                .await
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), nasty);
        }
    }

    #[test]
    fn listening_sockets_are_read_from_ss() {
        let ss = "LISTEN 0 244 127.0.0.2:5433 0.0.0.0:*\n\
                  LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n\
                  LISTEN 0 128 [::]:22 [::]:*\n\
                  LISTEN 0 128 *:9100 *:*\n\
                  LISTEN 0 128 [::1]:5432 [::]:*\n";
        let l = listening(ss);
        assert!(l.contains(&(Some("127.0.0.2".parse().unwrap()), 5433)));
        assert!(l.contains(&(None, 22)));
        assert!(l.contains(&(None, 9100)));
        assert!(l.contains(&(Some("::1".parse().unwrap()), 5432)));
    }
}
