// End-to-end tests: the real toygres binary, the built dashboard served by `vite preview`
// (which proxies /graphql to the binary), and Debian's chromium driven by playwright-core.
// The binary's fleet talks to fake Hetzner and DigitalOcean APIs, served by the testkit
// crate's `fake_cloud` example on loopback ports; build it with
//
//   cargo build -p testkit --example fake_cloud
//
// (without the build, it is started with `cargo run`, which compiles it first). Its
// Kubernetes instances go to the `fake_kube` example, a fake Kubernetes API server whose
// kubelet runs each pod as a real PostgreSQL server (only the installed major, 15, works):
//
//   cargo build -p testkit --example fake_kube
//
//   npm run e2e                 build, then run everything
//   TOYGRES_BIN=...             the binary (default ../target/debug/toygres)
//   FAKE_CLOUD_BIN=...          the fake clouds (default ../target/debug/examples/fake_cloud)
//   FAKE_KUBE_BIN=...           the fake Kubernetes (default ../target/debug/examples/fake_kube)
//   CHROMIUM=...                the browser (default /usr/bin/chromium)
//   E2E_KEEP=1                  leave the server's data directory behind
//   E2E_UI=embedded             use the dashboard the binary serves itself (built into it by
//                               `cargo build` from ui/dist) instead of `vite preview`
//
// Two real OpenSSH servers (Debian's openssh-server, /usr/sbin/sshd) on 127.0.33.1 and
// 127.0.33.2 stand in for fleet servers registered by address, as testkit/src/sshd.rs `Sshd`
// does: the binary logs in to them as root with a client key made here, and runs its SERVER
// instances there as real PostgreSQL servers (as the `postgres` user, under a scratch root).
//
// Screenshots go to test-results/screenshots/; logs to test-results/toygres.log,
// test-results/fake_cloud.log and test-results/fake_kube.log.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, chmodSync, rmSync, existsSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join, resolve, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ui = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shots = join(ui, 'test-results', 'screenshots');
mkdirSync(shots, { recursive: true });
const BIN = process.env.TOYGRES_BIN ?? resolve(ui, '../target/debug/toygres');
const FAKE_CLOUD_BIN = process.env.FAKE_CLOUD_BIN ?? resolve(ui, '../target/debug/examples/fake_cloud');
const FAKE_KUBE_BIN = process.env.FAKE_KUBE_BIN ?? resolve(ui, '../target/debug/examples/fake_kube');
/** The token the fake clouds accept, and the binary sends. */
const CLOUD_TOKEN = `e2e-cloud-token-${process.pid}`;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ADMIN = { email: 'admin@example.com', password: 'correct-horse-battery' };

function freePort(host = '127.0.0.1') {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function waitFor(url, what, ms = 60_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${what} did not come up at ${url} within ${ms / 1000}s`);
}

function portOpen(port, host = '127.0.0.1') {
  return new Promise((res) => {
    const c = connect(port, host);
    c.once('connect', () => {
      c.destroy();
      res(true);
    });
    c.once('error', () => res(false));
  });
}

/**
 * Start the fake Hetzner and DigitalOcean APIs on free ports and wait until both accept
 * connections. Their base URLs are the ones it prints, or else the documented
 * `http://127.0.0.1:<port>/v1` (Hetzner) and `http://127.0.0.1:<port>` (DigitalOcean).
 */
async function startFakeCloud(logFd) {
  const hetznerPort = await freePort();
  const digitaloceanPort = await freePort();
  const args = ['--hetzner-port', String(hetznerPort), '--digitalocean-port', String(digitaloceanPort), '--token', CLOUD_TOKEN];
  const prebuilt = existsSync(FAKE_CLOUD_BIN);
  const child = prebuilt
    ? spawn(FAKE_CLOUD_BIN, args, { stdio: ['ignore', 'pipe', logFd] })
    : spawn('cargo', ['run', '-q', '-p', 'testkit', '--example', 'fake_cloud', '--', ...args], {
        cwd: resolve(ui, '..'),
        stdio: ['ignore', 'pipe', logFd],
      });
  let printed = '';
  child.stdout.on('data', (d) => (printed += d));
  const url = (port, fallback) => printed.match(new RegExp(`https?://127\\.0\\.0\\.1:${port}[^\\s"']*`))?.[0] ?? fallback;
  // `cargo run` may have to compile it first.
  const until = Date.now() + (prebuilt ? 30_000 : 900_000);
  while (!((await portOpen(hetznerPort)) && (await portOpen(digitaloceanPort)))) {
    if (child.exitCode !== null) throw new Error(`fake_cloud exited with ${child.exitCode}; see test-results/fake_cloud.log`);
    if (Date.now() > until) throw new Error('fake_cloud did not open its ports in time');
    await new Promise((r) => setTimeout(r, 300));
  }
  await new Promise((r) => setTimeout(r, 200)); // let it finish printing its URLs
  return {
    child,
    hetzner: url(hetznerPort, `http://127.0.0.1:${hetznerPort}/v1`).replace(/\/$/, ''),
    digitalocean: url(digitaloceanPort, `http://127.0.0.1:${digitaloceanPort}`).replace(/\/$/, ''),
  };
}

/**
 * Start the fake Kubernetes API server on a free port, its pods' volumes under `root` (which
 * must be traversable: as root, the pods' PostgreSQL runs as the `postgres` user), and wait
 * until it has written its kubeconfig and printed its URL.
 */
async function startFakeKube(root, logFd) {
  const kubeconfig = join(root, 'kubeconfig');
  const volumes = join(root, 'kube-volumes');
  mkdirSync(volumes);
  chmodSync(volumes, 0o755);
  const args = ['--kubeconfig', kubeconfig, '--data', volumes];
  const prebuilt = existsSync(FAKE_KUBE_BIN);
  const child = prebuilt
    ? spawn(FAKE_KUBE_BIN, args, { stdio: ['ignore', 'pipe', logFd] })
    : spawn('cargo', ['run', '-q', '-p', 'testkit', '--example', 'fake_kube', '--', ...args], {
        cwd: resolve(ui, '..'),
        stdio: ['ignore', 'pipe', logFd],
      });
  let printed = '';
  child.stdout.on('data', (d) => (printed += d));
  // `cargo run` may have to compile it first.
  const until = Date.now() + (prebuilt ? 30_000 : 900_000);
  let url;
  while (!(url = printed.match(/kubernetes (https?:\/\/\S+)/)?.[1]) || !existsSync(kubeconfig)) {
    if (child.exitCode !== null) throw new Error(`fake_kube exited with ${child.exitCode}; see test-results/fake_kube.log`);
    if (Date.now() > until) throw new Error('fake_kube did not print its URL in time');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, url, kubeconfig };
}

/** `ssh-keygen -q -t ed25519 -N '' -f <file>`: a new key pair, the private key mode 0600. */
function keygen(file) {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'toygres-e2e', '-f', file]);
  chmodSync(file, 0o600);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

/**
 * A real sshd on a free port of `ip` (any 127.x.y.z) with its own host key, letting the holder
 * of `authorized` (a public key) log in as root; resolves once the port accepts connections.
 */
async function startSshd(dir, ip, authorized, logFd) {
  mkdirSync(dir, { recursive: true });
  keygen(join(dir, 'host_key'));
  writeFileSync(join(dir, 'authorized_keys'), `${authorized}\n`);
  // sshd refuses to start without its privilege-separation directory.
  mkdirSync('/run/sshd', { recursive: true });
  const port = await freePort(ip);
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      `ListenAddress ${ip}`,
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'MaxSessions 64',
      'MaxStartups 64',
      '',
    ].join('\n'),
  );
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', logFd] });
  const until = Date.now() + 10_000;
  while (!(await portOpen(port, ip))) {
    if (child.exitCode !== null) throw new Error(`sshd on ${ip} exited with ${child.exitCode}; see test-results/sshd.log`);
    if (Date.now() > until) throw new Error(`sshd did not listen on ${ip}:${port} within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, ip, port, dir, hostKey: readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ') };
}

/** The PostgreSQL servers running from under `root` (the SERVER instances the binary started there). */
function postmastersUnder(root) {
  const pids = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (/\/postgres$/.test(cmd[0]) && cmd.some((a) => a.startsWith(`${root}/`))) pids.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return pids;
}

function stop(child) {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(t);
      res();
    });
    child.kill('SIGTERM');
  });
}

if (!existsSync(BIN)) {
  console.error(`no toygres binary at ${BIN}; build it or set TOYGRES_BIN`);
  process.exit(2);
}
const embedded = process.env.E2E_UI === 'embedded';
if (!embedded && !existsSync(join(ui, 'dist', 'index.html'))) {
  console.error('no dist/: run `npm run build` first (`npm run e2e` does)');
  process.exit(2);
}

const dataRoot = mkdtempSync('/tmp/toygres-e2e-');
chmodSync(dataRoot, 0o755);
const apiPort = await freePort();
const uiPort = await freePort();
const api = `http://127.0.0.1:${apiPort}`;
const base = embedded ? api : `http://127.0.0.1:${uiPort}`;
const serverLog = join(ui, 'test-results', 'toygres.log');

let server, preview, browser, failPage, fakeCloud, fakeKube;
const sshds = [];
// Where SERVER instances live on the stand-in servers (each server gets its own directory
// under it): a directory `postgres` may write to, as /var/lib/toygres is on real ones.
const serverRoot = mkdtempSync('/tmp/toygres-e2e-servers-');
const results = [];
async function test(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`  ✓ ${name} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  } catch (e) {
    results.push({ name, ok: false, error: e });
    await failPage?.screenshot({ path: join(shots, `FAILED-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.png`), fullPage: true }).catch(() => {});
    console.log(`  ✗ ${name}\n    ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n    ')}`);
  }
}

try {
  fakeCloud = await startFakeCloud(openSync(join(ui, 'test-results', 'fake_cloud.log'), 'w'));
  console.log(`fake Hetzner at ${fakeCloud.hetzner}, fake DigitalOcean at ${fakeCloud.digitalocean}`);
  fakeKube = await startFakeKube(dataRoot, openSync(join(ui, 'test-results', 'fake_kube.log'), 'w'));
  console.log(`fake Kubernetes at ${fakeKube.url}`);
  // The control plane's SSH key, and two hosts that let it in.
  const clientKey = join(dataRoot, 'ssh', 'id_ed25519');
  mkdirSync(dirname(clientKey));
  const clientPublic = keygen(clientKey);
  const sshdLog = openSync(join(ui, 'test-results', 'sshd.log'), 'w');
  for (const ip of ['127.0.33.1', '127.0.33.2']) sshds.push(await startSshd(join(dataRoot, `sshd-${ip}`), ip, clientPublic, sshdLog));
  execFileSync('chown', ['postgres:postgres', serverRoot]);
  console.log(`sshd at ${sshds.map((h) => `${h.ip}:${h.port}`).join(' and ')}`);
  const logFd = openSync(serverLog, 'w');
  server = spawn(BIN, ['serve'], {
    env: {
      ...process.env,
      TOYGRES_HETZNER_TOKEN: CLOUD_TOKEN,
      TOYGRES_HETZNER_API_URL: fakeCloud.hetzner,
      TOYGRES_DIGITALOCEAN_TOKEN: CLOUD_TOKEN,
      TOYGRES_DIGITALOCEAN_API_URL: fakeCloud.digitalocean,
      // The fake's VMs have no SSH to wait for; poll the fake's actions quickly.
      TOYGRES_SSH_CHECK: 'off',
      TOYGRES_FLEET_POLL_MS: '100',
      // Kubernetes instances on the fake API server; its load balancers get loopback
      // addresses that reach the pods, so the control plane can connect to them.
      TOYGRES_KUBERNETES: 'on',
      TOYGRES_K8S_KUBECONFIG: fakeKube.kubeconfig,
      TOYGRES_K8S_SERVICE_TYPE: 'LoadBalancer',
      // Registered servers: the real sshds above, on loopback addresses, each reached with
      // the key Toygres made for it (this installation key alone does not get in); their
      // instances live under the scratch root.
      TOYGRES_SSH_PRIVATE_KEY_FILE: clientKey,
      TOYGRES_ALLOW_PRIVATE_SERVER_ADDRESSES: 'true',
      TOYGRES_SERVER_ROOT: serverRoot,
      TOYGRES_DATA_DIR: join(dataRoot, 'data'),
      TOYGRES_LISTEN: `127.0.0.1:${apiPort}`,
      TOYGRES_BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      TOYGRES_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      TOYGRES_HEALTH_INTERVAL_SECS: '5',
      TOYGRES_METRICS_INTERVAL_SECS: '1',
      // A quiet instance's WAL is archived within a second, so its restore window's end
      // follows the present closely.
      TOYGRES_ARCHIVE_TIMEOUT_SECS: '1',
    },
    stdio: ['ignore', logFd, logFd],
  });
  await waitFor(`${api}/readyz`, 'toygres', 120_000);
  preview = embedded ? null : spawn(join(ui, 'node_modules', '.bin', 'vite'), ['preview', '--host', '127.0.0.1', '--port', String(uiPort), '--strictPort'], {
    cwd: ui,
    env: { ...process.env, TOYGRES_API: api },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(`${base}/`, 'vite preview');
  console.log(`toygres at ${api}, dashboard at ${base}`);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: base });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const page = await context.newPage();
  failPage = page;
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // What the Content-Security-Policy (sent when the binary serves the dashboard) blocked.
  const cspViolations = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content.Security.Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  page.setDefaultTimeout(15_000);
  const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const name = `e2e-${Date.now().toString(36)}`;
  let instanceUrl = '';
  /**
   * Wait until instance `id` has a finished backup and none under way. Its first backup is
   * taken by itself right after it runs, and while it is, other operations on the instance
   * (stop, delete) are refused.
   */
  /** Ask the API as the page's session, as another client would; the `data` of the answer. */
  const asSession = async (query, variables = {}) => {
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('toygres.session')).token);
    const r = await fetch(`${api}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await r.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  /**
   * Wait until instance `id` has a finished backup and none under way. Its first backup is
   * taken by itself right after it runs, and while it is, other operations on the instance
   * (stop, delete) are refused.
   */
  const backupsSettled = async (id, ms = 180_000) => {
    const until = Date.now() + ms;
    let last;
    while (Date.now() < until) {
      const { instance } = await asSession('query($id: ID!) { instance(id: $id) { backups(first: 5) { nodes { status } } } }', { id });
      last = instance?.backups.nodes.map((b) => b.status) ?? [];
      if (last.includes('SUCCEEDED') && !last.includes('RUNNING')) return;
      await new Promise((res) => setTimeout(res, 500));
    }
    throw new Error(`instance ${id} has no finished backup after ${ms / 1000}s (backups: ${last?.join(', ') || 'none'})`);
  };
  /**
   * Run `query` with psql on instance `id`, through its connection string: the rows, unaligned.
   * The string names the installation's CA as `toygres-ca.crt`: saved, as a client would, in the
   * directory psql runs in.
   */
  const psql = async (id, query) => {
    const { instance, certificateAuthority } = await asSession(
      'query($id: ID!) { instance(id: $id) { connectionString } certificateAuthority { pem } }',
      { id },
    );
    const client = join(dataRoot, 'client');
    mkdirSync(client, { recursive: true });
    writeFileSync(join(client, 'toygres-ca.crt'), certificateAuthority.pem);
    return execFileSync('psql', [instance.connectionString, '-X', '-A', '-t', '-q', '-c', query], {
      cwd: client,
      encoding: 'utf8',
      timeout: 30_000,
    }).trim();
  };

  await test('a failed login says so and stays on the login page', async () => {
    await page.goto('/instances');
    await page.waitForURL(/\/login/);
    await page.fill('#email', ADMIN.email);
    await page.fill('#password', 'not-the-password');
    await page.click('button[type=submit]');
    const err = page.getByTestId('login-error');
    await err.waitFor();
    if (!/invalid email or password/i.test(await err.innerText())) throw new Error(`unexpected error text: ${await err.innerText()}`);
    await shot('01-login-failed');
  });

  await test('logging in lands on the instances list', async () => {
    await page.fill('#password', ADMIN.password);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/instances$/);
    await page.getByRole('heading', { name: 'Instances' }).waitFor();
    await page.getByText('No instances yet').waitFor();
    await shot('02-instances-empty');
  });

  await test('the create form shows field-level errors, client-side and from the server', async () => {
    await page.getByRole('link', { name: /new instance/i }).first().click();
    await page.waitForURL(/\/instances\/new$/);
    await page.fill('#f-name', 'Bad_Name');
    await page.fill('#f-password', 'short');
    await page.click('button[type=submit]');
    await page.locator('#f-name-error').waitFor();
    await page.locator('#f-password-error').waitFor();
    await shot('03-create-invalid');
    // A password the form accepts but the server refuses (repetitive): the server's
    // INVALID_INPUT message must land under the password field.
    await page.fill('#f-name', name);
    await page.fill('#f-password', 'aaaaaaaaaaaa');
    await page.click('button[type=submit]');
    const pw = page.locator('#f-password-error');
    await pw.waitFor();
    if (!/password/i.test(await pw.innerText())) throw new Error(`password error: ${await pw.innerText()}`);
    await shot('04-create-server-error');
  });

  await test('creating an instance goes RUNNING and HEALTHY without a reload', async () => {
    await page.fill('#f-password', '');
    await page.click('button[type=submit]');
    await page.waitForURL((u) => /^\/instances\/[^/]+$/.test(u.pathname) && !u.pathname.endsWith('/new'));
    instanceUrl = new URL(page.url()).pathname;
    await page.getByRole('link', { name: 'Instances', exact: true }).first().click();
    await page.waitForURL(/\/instances$/);
    const row = page.locator(`tr[data-instance="${name}"]`);
    await row.waitFor();
    await shot('05-list-creating');
    let navigations = 0;
    page.on('framenavigated', (f) => f === page.mainFrame() && navigations++);
    await row.getByTestId('state').getByText('RUNNING').waitFor({ timeout: 120_000 });
    await row.getByTestId('health').getByText('HEALTHY').waitFor({ timeout: 60_000 });
    if (navigations) throw new Error('the page reloaded');
    await shot('06-list-running-healthy');
  });

  await test('the detail page hides the password until revealed, copies the connection string, and survives a reload', async () => {
    await page.locator(`tr[data-instance="${name}"] a`).first().click();
    await page.waitForURL(instanceUrl);
    await page.reload();
    const conn = page.getByTestId('connection-string');
    await conn.waitFor();
    const masked = await conn.innerText();
    if (!masked.includes('••••')) throw new Error(`password not hidden: ${masked}`);
    await page.getByRole('button', { name: 'Reveal password' }).click();
    const revealed = await conn.innerText();
    if (revealed.includes('••••') || !revealed.startsWith('postgresql://')) throw new Error(`not revealed: ${revealed}`);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('button', { name: /Copied/ }).waitFor();
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    if (clip !== revealed) throw new Error(`clipboard has ${clip}, expected ${revealed}`);
    await page.getByTestId('health-chart').locator('.recharts-surface').first().waitFor({ timeout: 30_000 });
    // High availability: one member, the primary, serving on this host; no standby to fail over to.
    const ha = page.getByTestId('high-availability');
    const primary = ha.locator('tr[data-role="PRIMARY"]');
    await primary.getByText('SERVING').waitFor({ timeout: 30_000 });
    if (!(await primary.innerText()).includes('this host')) throw new Error(`the primary's row: ${await primary.innerText()}`);
    if ((await ha.locator('tr[data-role="STANDBY"]').count()) !== 0) throw new Error('a standby is listed');
    if ((await ha.getByRole('button', { name: 'Fail over…' }).count()) !== 0) throw new Error('failover offered without a standby');
    await shot('07-detail');
  });

  await test('the operation detail shows its step timeline', async () => {
    await page.locator('a[href^="/operations/"]').first().click();
    await page.waitForURL(/\/operations\/[^/]+$/);
    await page.getByRole('list', { name: 'Steps' }).waitFor();
    await page.getByText('SUCCEEDED').first().waitFor({ timeout: 30_000 });
    await shot('08-operation');
    await page.goBack();
  });

  // The database browser, on the running local instance.
  await test('the data browser: a new database has no tables, read-only SQL fills a grid, and a write is refused with its code', async () => {
    await page.goto(instanceUrl);
    const tab = page.getByRole('tab', { name: 'Data' });
    await tab.click();
    await page.waitForURL(/[?&]tab=data/);
    // The tab follows the URL on the next render: wait for it to say it is selected.
    await page.locator('#tab-data[aria-selected="true"]').waitFor();
    await page.getByTestId('no-tables').waitFor();
    const sql = page.getByLabel('Read-only SQL');
    const run = page.getByRole('button', { name: 'Run', exact: true });
    const grid = page.getByRole('table', { name: 'Query result' });
    await sql.fill("select 1 as one, 'x' as two");
    await run.click();
    await grid.waitFor();
    const heads = await grid.locator('th .grid-col').allInnerTexts();
    if (heads.join(',') !== 'one,two') throw new Error(`columns: ${heads.join(',')}`);
    const cells = await grid.getByRole('cell').allInnerTexts();
    if (cells.join(',') !== '1,x') throw new Error(`cells: ${cells.join(',')}`);
    await shot('40-data-select');

    await sql.fill("select schemaname, tablename, tableowner from pg_catalog.pg_tables where schemaname = 'pg_catalog' order by tablename");
    await run.click();
    await grid.getByRole('cell', { name: 'pg_class', exact: true }).waitFor();
    const summary = await page.getByTestId('sql-summary').innerText();
    const n = Number(summary.match(/^(\d+) rows/)?.[1]);
    if (!(n > 40)) throw new Error(`pg_tables summary: ${summary}`);
    if ((await grid.getByRole('row').count()) !== n + 1) throw new Error(`the grid has ${await grid.getByRole('row').count()} rows for ${n}`);
    await shot('41-data-catalog');

    await sql.fill('create table t()');
    await page.keyboard.press('Control+Enter');
    const error = page.getByTestId('sql-error');
    await error.waitFor();
    const text = await error.innerText();
    if (!text.includes('INVALID_INPUT') || !/only statements that return rows/.test(text)) throw new Error(`write error: ${text}`);
    if ((await grid.count()) !== 0) throw new Error('a stale result is shown beside the error');
    await sql.fill("select set_config('transaction_read_only', 'off', true)");
    await run.click();
    await error.getByText(/read-write mode must be set before any query/).waitFor();
    await shot('42-data-refused');
    await page.getByRole('tab', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Connection' }).waitFor();
  });

  await test('stop and start follow their operations live', async () => {
    await page.goto(instanceUrl);
    await backupsSettled(instanceUrl.split('/').pop());
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByRole('link', { name: 'Follow the operation' }).click();
    await page.waitForURL(/\/operations\/[^/]+$/);
    await page.getByRole('list', { name: 'Steps' }).waitFor();
    await page.getByRole('heading').getByText('SUCCEEDED').waitFor({ timeout: 60_000 });
    await shot('09-stop-operation');
    await page.goto(instanceUrl);
    await page.getByRole('heading').getByText('STOPPED').waitFor();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.getByRole('heading').getByText('RUNNING').waitFor({ timeout: 60_000 });
  });

  await test('a change made by another client shows up live (subscription, not polling)', async () => {
    await page.goto('/instances');
    const state = page.locator(`tr[data-instance="${name}"]`).getByTestId('state');
    await state.getByText('RUNNING').waitFor({ timeout: 60_000 });
    // Nothing polls while every instance is settled, so only instanceUpdated can bring this.
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('toygres.session')).token);
    const id = instanceUrl.split('/').pop();
    const gql = async (query) => {
      const r = await fetch(`${api}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
      const body = await r.json();
      if (body.errors) throw new Error(JSON.stringify(body.errors));
    };
    await gql(`mutation { stopInstance(id: "${id}") { id } }`);
    await state.getByText(/STOPPING|STOPPED/).waitFor({ timeout: 2500 });
    await state.getByText('STOPPED').waitFor({ timeout: 30_000 });
    await shot('10-list-stopped-elsewhere');
    await gql(`mutation { startInstance(id: "${id}") { id } }`);
    await state.getByText('RUNNING').waitFor({ timeout: 60_000 });
  });

  await test('the activity feed shows changes as they happen', async () => {
    await page.goto('/activity');
    await page.getByText('Nothing has happened yet').waitFor();
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('toygres.session')).token);
    const id = instanceUrl.split('/').pop();
    const r = await fetch(`${api}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: `mutation { restartInstance(id: "${id}") { id } }` }),
    });
    const body = await r.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    const feed = page.getByRole('table', { name: 'Activity' });
    await feed.getByText('STOPPING').first().waitFor({ timeout: 10_000 });
    await feed.getByText('SUCCEEDED').first().waitFor({ timeout: 30_000 });
    await feed.getByRole('link', { name: /restart instance/i }).first().waitFor();
    await shot('11-activity');
  });

  await test('the cluster view shows this host\'s CPU and memory and moves live', async () => {
    await page.goto('/cluster');
    const cpu = page.getByTestId('cluster-cpu');
    await cpu.getByText(/\d+\.\d %/).waitFor({ timeout: 20_000 });
    await page.getByTestId('cluster-memory').getByText(/\d+\.\d %/).waitFor();
    await page.getByText('Source: ').waitFor();
    const sampled = async () => (await page.locator('.page-head .muted').textContent()) ?? '';
    const first = await sampled();
    // A new sample arrives by subscription (TOYGRES_METRICS_INTERVAL_SECS=1 here); no reload.
    await page.waitForFunction((before) => document.querySelector('.page-head .muted')?.textContent !== before, first, { timeout: 15_000 });
    await page.getByTestId('cluster-chart').waitFor();
    await shot('12-cluster');
    await page.getByRole('table', { name: 'Instance counts' }).getByRole('link').first().click();
    await page.waitForURL(/\/instances\?state=/);
  });

  // Backups: the first is taken as soon as the instance runs; more on request; a restore
  // makes a new instance from them.
  await test('the Backups tab: the first backup, Back up now arriving live, and a restore to the latest point that runs', async () => {
    await page.goto(instanceUrl);
    await page.getByRole('tab', { name: 'Backups' }).click();
    await page.waitForURL(/[?&]tab=backups/);
    await page.locator('#tab-backups[aria-selected="true"]').waitFor();
    let navigations = 0;
    const count = (f) => f === page.mainFrame() && navigations++;
    page.on('framenavigated', count);
    try {
      const table = page.getByRole('table', { name: 'Backups' });
      // The automatic first backup (it may still be running when the tab opens).
      await table.locator('tbody tr[data-status="SUCCEEDED"]').first().waitFor({ timeout: 180_000 });
      await page.getByTestId('restore-timeline').waitFor();
      // Back up now is offered while no backup is being taken.
      const rows = (status = '') => `table[aria-label="Backups"] tbody tr${status && `[data-status="${status}"]`}`;
      await page.waitForFunction((sel) => !document.querySelector(sel), rows('RUNNING'), { timeout: 180_000 });
      const before = await page.locator(rows()).count();
      const succeeded = await page.locator(rows('SUCCEEDED')).count();
      await shot('60-backups-first');

      await page.getByRole('button', { name: 'Back up now' }).click();
      await page.getByRole('link', { name: 'Follow the operation' }).waitFor();
      // The new backup's row arrives by instanceUpdated, then turns SUCCEEDED.
      await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length > n, [rows(), before], { timeout: 60_000 });
      await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length > n, [rows('SUCCEEDED'), succeeded], { timeout: 180_000 });
      if (navigations) throw new Error('the page reloaded');
      await shot('61-backups-second');

      // A write after both backups, which only the archived WAL holds: once the window's end
      // (to the second, as the picker offers it) has passed it, the latest point includes it.
      const sourceId = instanceUrl.split('/').pop();
      await psql(sourceId, "create table e2e_restore (v text); insert into e2e_restore values ('after the backups')");
      // Asked once that has committed: a moment after the write.
      const wrote = Number(await psql(sourceId, 'select (extract(epoch from clock_timestamp()) * 1000)::bigint'));
      await page.waitForFunction(
        (t) => {
          const title = document.querySelector('[data-testid="restore-window"] [data-testid="window-latest"]')?.getAttribute('title') ?? '';
          return Date.parse(title.replace(' UTC', 'Z').replace(' ', 'T')) >= t;
        },
        wrote,
        // The tab polls the window every 15 s; the archive trails by a health interval or two.
        { timeout: 90_000 },
      );

      // Restore: a time outside the window is refused in the form; the latest one is sent.
      await page.getByRole('button', { name: 'Restore to a point in time…' }).click();
      const dialog = page.getByRole('dialog', { name: /^Restore / });
      await dialog.getByLabel('A point in time').check();
      const picker = dialog.getByLabel('Date and time (your local time)');
      const min = await picker.getAttribute('min');
      const before1h = await picker.evaluate((el, m) => {
        const d = new Date(new Date(m).getTime() - 3_600_000);
        const p = (n) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
      }, min);
      await picker.fill(before1h);
      await dialog.getByRole('button', { name: 'Restore into a new instance' }).click();
      await dialog.getByRole('alert').getByText(/inside the restore window/).waitFor();
      await dialog.getByRole('button', { name: 'Latest', exact: true }).click();
      if ((await picker.inputValue()).slice(0, 16) !== (await picker.getAttribute('max')).slice(0, 16)) throw new Error(`Latest gave ${await picker.inputValue()}`);
      const restoredName = await dialog.getByLabel('New instance name').inputValue();
      if (restoredName !== `${name}-restored`) throw new Error(`suggested name ${restoredName}`);
      await shot('62-restore-dialog');
      await dialog.getByRole('button', { name: 'Restore into a new instance' }).click();
    } finally {
      page.off('framenavigated', count);
    }

    // The new instance's page, which follows it to RUNNING.
    await page.waitForURL((u) => /^\/instances\/[0-9a-f-]{36}$/.test(u.pathname) && u.pathname !== instanceUrl);
    const restoredUrl = new URL(page.url()).pathname;
    await page.getByText(/Restore from .* requested/).waitFor();
    await page.getByRole('heading', { name: new RegExp(`^${name}-restored`) }).waitFor();
    await page.getByRole('heading').getByText('RUNNING').waitFor({ timeout: 180_000 });
    const from = page.getByTestId('restored-from').getByRole('link');
    if ((await from.getAttribute('href')) !== instanceUrl) throw new Error(`restored from ${await from.getAttribute('href')}`);
    await shot('63-restored-running');
    // It holds the write made after the last backup.
    const rows = await psql(restoredUrl.split('/').pop(), 'select v from e2e_restore');
    if (rows !== 'after the backups') throw new Error(`the restored instance has ${JSON.stringify(rows)}`);
    // It is backed up by itself too, once running; live, on its Backups tab.
    await page.getByRole('tab', { name: 'Backups' }).click();
    await page.getByRole('table', { name: 'Backups' }).locator('tbody tr[data-status="SUCCEEDED"]').first().waitFor({ timeout: 180_000 });
    await backupsSettled(restoredUrl.split('/').pop());

    // Deleted with its backups: the dialog says they are kept unless asked.
    await page.getByRole('button', { name: 'Delete…' }).click();
    const del = page.getByRole('dialog', { name: `Delete ${name}-restored?` });
    await del.getByText('Its backups are kept for their retention period').waitFor();
    await del.getByLabel('Delete its backups too').check();
    await del.getByText('its backups go too').waitFor();
    await del.getByLabel(/Type .* to confirm/).fill(`${name}-restored`);
    await del.getByRole('button', { name: 'Delete instance' }).click();
    await page.waitForURL(/\/instances$/);
    const { instance: gone } = await asSession('query($id: ID!) { instance(id: $id) { state } }', { id: restoredUrl.split('/').pop() });
    if (!['DELETING', 'DELETED'].includes(gone?.state)) throw new Error(`the restored instance is ${gone?.state}`);
  });

  // Projects, members, API tokens, signing keys and the audit log.
  const projName = `e2e-proj-${Date.now().toString(36)}`;
  const name2 = `${name}-p`;
  const memberEmail = `e2e-member-${Date.now().toString(36)}@example.com`;
  const memberPassword = 'member-password-1';
  let projId = '';
  let instance2Url = '';
  /** POST a GraphQL request with `token`, as another client would: the status and the body. */
  const gqlWith = async (token, query, variables = {}) => {
    const r = await fetch(`${api}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: r.status, body: await r.json() };
  };
  const sessionToken = () => page.evaluate(() => JSON.parse(localStorage.getItem('toygres.session')).token);
  const asAdmin = async (query, variables) => {
    const { body } = await gqlWith(await sessionToken(), query, variables);
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const switcher = page.getByTestId('project-switcher');
  const switcherName = () => switcher.evaluate((s) => s.options[s.selectedIndex]?.text);

  await test('a new project: created on the Projects page and switched to, the instance list and the create form follow it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL(/\/projects$/);
    await page.fill('#p-name', projName);
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByTestId('projects-notice').getByText(`Created ${projName}`).waitFor();
    await page.locator(`tr[data-project="${projName}"]`).waitFor();
    projId = (await asAdmin('{ projects { id name } }')).projects.find((p) => p.name === projName)?.id;
    if (!projId) throw new Error('the new project is not listed by the API');
    await shot('43-projects');

    // The switcher in the top bar; the list has only this project's instances.
    await switcher.selectOption({ label: projName });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Instances' }).click();
    await page.waitForURL(/\/instances$/);
    await page.getByTestId('list-project').getByText(`in ${projName}`).waitFor();
    await page.getByText('No instances yet').waitFor();
    if ((await page.locator(`tr[data-instance="${name}"]`).count()) !== 0) throw new Error("the default project's instance is listed");
    await shot('44-instances-new-project');

    await page.getByRole('link', { name: 'Create your first instance' }).click();
    await page.waitForURL(/\/instances\/new$/);
    await page.getByTestId('create-project').getByText(`in ${projName}`).waitFor();
    await page.fill('#f-name', name2);
    await page.click('button[type=submit]');
    await page.waitForURL((u) => /^\/instances\/[0-9a-f-]{36}$/.test(u.pathname));
    instance2Url = new URL(page.url()).pathname;
    const { instance } = await asAdmin('query($id: ID!) { instance(id: $id) { projectId } }', { id: instance2Url.split('/').pop() });
    if (instance.projectId !== projId) throw new Error(`created in project ${instance.projectId}, not ${projId}`);
    await page.getByRole('link', { name: 'Instances', exact: true }).first().click();
    const row2 = page.locator(`tr[data-instance="${name2}"]`);
    await row2.getByTestId('state').getByText('RUNNING').waitFor({ timeout: 120_000 });
    if ((await page.locator(`tr[data-instance="${name}"]`).count()) !== 0) throw new Error("the default project's instance is listed");

    // The choice survives a reload.
    await page.reload();
    await row2.waitFor();
    if ((await switcherName()) !== projName) throw new Error(`after a reload the switcher shows ${await switcherName()}`);
    await shot('45-instances-project-list');

    await switcher.selectOption({ label: 'default' });
    await page.locator(`tr[data-instance="${name}"]`).waitFor();
    if ((await row2.count()) !== 0) throw new Error("the other project's instance is still listed");
    await page.getByTestId('list-project').getByText('in default').waitFor();
  });

  await test('a site admin creates a user on the Users page, adds them to the project and changes their role; the last admin cannot be demoted', async () => {
    await page.goto('/users');
    await page.fill('#u-email', memberEmail);
    await page.fill('#u-password', memberPassword);
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByTestId('users-notice').getByText(`Created ${memberEmail}`).waitFor();
    await page.locator(`tr[data-user="${memberEmail}"]`).getByTestId('user-status').getByText('active').waitFor();
    await shot('46-users');

    await page.goto('/projects');
    await page.locator(`tr[data-project="${projName}"]`).getByRole('link', { name: projName }).click();
    await page.waitForURL(`/projects/${projId}/members`);
    await page.locator('#m-user').selectOption({ label: memberEmail });
    await page.locator('#m-role').selectOption('VIEWER');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByTestId('member-notice').getByText(`Added ${memberEmail} as viewer.`).waitFor();
    const role = page.getByLabel(`Role of ${memberEmail}`);
    if ((await role.inputValue()) !== 'VIEWER') throw new Error(`role ${await role.inputValue()}`);
    await role.selectOption('OPERATOR');
    await page.getByTestId('member-notice').getByText(`${memberEmail} is now operator.`).waitFor();
    const { project } = await asAdmin('query($id: ID!) { project(id: $id) { members { email role } } }', { id: projId });
    if (project.members.find((m) => m.email === memberEmail)?.role !== 'OPERATOR') throw new Error(`members: ${JSON.stringify(project.members)}`);

    // The project's only admin: the API keeps them, and the page says why.
    const mine = page.getByLabel(`Role of ${ADMIN.email}`);
    await mine.selectOption('VIEWER');
    const notice = page.getByTestId('member-notice');
    await notice.getByText(/last admin/).waitFor();
    if ((await notice.getAttribute('role')) !== 'alert') throw new Error('the refusal is not an alert');
    if ((await mine.inputValue()) !== 'ADMIN') throw new Error('the select shows a role the server refused');
    await shot('47-members-last-admin');

    // The new member, logged in elsewhere: the list is read-only, and there is nothing for site admins.
    const other = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: base });
    const p2 = await other.newPage();
    p2.on('pageerror', (e) => pageErrors.push(e.message));
    await p2.goto('/login');
    await p2.fill('#email', memberEmail);
    await p2.fill('#password', memberPassword);
    await p2.click('button[type=submit]');
    await p2.waitForURL(/\/instances$/);
    await p2.getByTestId('list-project').getByText(`in ${projName}`).waitFor();
    await p2.locator(`tr[data-instance="${name2}"]`).waitFor();
    await p2.goto(`/projects/${projId}/members`);
    await p2.getByTestId('members-read-only').getByText('You are operator here').waitFor();
    if ((await p2.getByRole('combobox', { name: /^Role of/ }).count()) !== 0) throw new Error('an operator is offered role changes');
    const nav = p2.getByRole('navigation', { name: 'Settings', exact: true });
    for (const hidden of ['Users', 'Signing keys', 'API tokens', 'Audit log'])
      if ((await nav.getByRole('link', { name: hidden }).count()) !== 0) throw new Error(`an operator is offered ${hidden}`);
    await p2.screenshot({ path: join(shots, '48-members-as-operator.png'), fullPage: true });
    await other.close();
  });

  await test('a site admin resets a password on the Users page; the user logs in with it and changes it on the Account page', async () => {
    const reset = 'reset-by-admin-1';
    const mine = 'changed-by-me-22';
    await page.goto('/users');
    await page.locator(`tr[data-user="${memberEmail}"]`).getByRole('button', { name: 'Reset password…' }).click();
    const dialog = page.getByRole('dialog', { name: `Set a new password for ${memberEmail}` });
    await dialog.getByLabel('New password', { exact: true }).fill(reset);
    await dialog.getByRole('button', { name: 'Set password', exact: true }).click();
    await page.getByTestId('users-notice').getByText(`Set a new password for ${memberEmail}.`).waitFor();

    const other = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: base });
    const p2 = await other.newPage();
    p2.on('pageerror', (e) => pageErrors.push(e.message));
    const logIn = async (password) => {
      await p2.goto('/login');
      await p2.fill('#email', memberEmail);
      await p2.fill('#password', password);
      await p2.click('button[type=submit]');
    };
    await logIn(memberPassword);
    await p2.getByTestId('login-error').waitFor();
    await logIn(reset);
    await p2.waitForURL(/\/instances$/);
    await p2.getByRole('link', { name: memberEmail }).click();
    await p2.waitForURL(/\/account$/);
    await p2.getByTestId('account-email').getByText(memberEmail).waitFor();
    await p2.getByLabel('Current password').fill('not-the-password');
    await p2.getByLabel('New password', { exact: true }).fill(mine);
    await p2.getByLabel('New password again').fill(mine);
    await p2.getByRole('button', { name: 'Change password' }).click();
    await p2.locator('#pw-current-error').getByText('the current password is wrong').waitFor();
    await p2.getByLabel('Current password').fill(reset);
    await p2.screenshot({ path: join(shots, '48b-account.png'), fullPage: true });
    await p2.getByRole('button', { name: 'Change password' }).click();
    // A new password ends every session, this one included.
    await p2.waitForURL(/\/login/);
    await p2.getByText('every session of yours ended').waitFor();
    await logIn(mine);
    await p2.waitForURL(/\/instances$/);
    await other.close();
  });

  await test('an API token: the secret is shown once, works as a bearer token from another client, and once revoked gets 401', async () => {
    await page.goto(`/projects/${projId}/tokens`);
    await page.fill('#t-name', 'e2e-ci');
    await page.locator('#t-role').selectOption('OPERATOR');
    await page.locator('#t-expiry').selectOption('30');
    await page.getByRole('button', { name: 'Create token' }).click();
    const panel = page.getByTestId('token-secret');
    await panel.waitFor();
    await panel.getByText('It will not be shown again.').waitFor();
    const secret = (await panel.getByTestId('token-secret-value').innerText()).trim();
    if (!secret.startsWith('tgt_')) throw new Error(`secret: ${secret}`);
    await panel.getByRole('button', { name: 'Copy secret' }).click();
    await panel.getByRole('button', { name: /Copied/ }).waitFor();
    if ((await page.evaluate(() => navigator.clipboard.readText())) !== secret) throw new Error('the clipboard does not hold the secret');
    await shot('49-token-secret');

    // Another client with the secret: it acts in the project, with the token's role.
    const used = await gqlWith(secret, '{ projects { id name myRole } instances(first: 50) { nodes { name } } }');
    if (used.status !== 200 || used.body.errors) throw new Error(`with the token: ${used.status} ${JSON.stringify(used.body)}`);
    const [only, ...rest] = used.body.data.projects;
    if (rest.length || only.id !== projId || only.myRole !== 'OPERATOR') throw new Error(`the token sees ${JSON.stringify(used.body.data.projects)}`);
    const names = used.body.data.instances.nodes.map((n) => n.name);
    if (!names.includes(name2) || names.includes(name)) throw new Error(`the token sees instances ${names.join(', ')}`);

    // Away and back: the secret is gone; the list says the token was used.
    await page.getByRole('navigation', { name: 'Project settings' }).getByRole('link', { name: 'Members & roles' }).click();
    await page.waitForURL(/\/members$/);
    await page.getByRole('navigation', { name: 'Project settings' }).getByRole('link', { name: 'API tokens' }).click();
    const row = page.locator('tr[data-token="e2e-ci"]');
    await row.waitFor();
    if ((await page.getByTestId('token-secret').count()) !== 0) throw new Error('the secret is shown again');
    if ((await page.locator('body').innerText()).includes(secret)) throw new Error('the secret is on the page again');
    // Fetched again on the way back: the request above used it.
    await row.getByTestId('token-last-used').getByText(/just now|ago/).waitFor();

    await row.getByRole('button', { name: 'Revoke…' }).click();
    await page.getByRole('dialog', { name: 'Revoke e2e-ci?' }).getByRole('button', { name: 'Revoke token' }).click();
    await row.getByTestId('token-status').getByText('revoked').waitFor();
    await shot('50-token-revoked');
    const refused = await gqlWith(secret, '{ projects { id } }');
    if (refused.status !== 401 || refused.body.errors?.[0]?.extensions?.code !== 'UNAUTHENTICATED')
      throw new Error(`a revoked token got ${refused.status} ${JSON.stringify(refused.body)}`);
  });

  await test('rotating the signing key: the new key is active, the old one retiring, and this session keeps working', async () => {
    await page.goto('/signing-keys');
    const table = page.getByRole('table', { name: 'Signing keys' });
    const active = table.locator('tr[data-state="active"]');
    await active.first().waitFor();
    const before = await active.first().getAttribute('data-kid');
    const tokenBefore = await sessionToken();
    await page.getByRole('button', { name: 'Rotate signing key…' }).click();
    await page.getByRole('dialog', { name: 'Rotate the signing key?' }).getByRole('button', { name: 'Rotate key' }).click();
    const notice = page.getByTestId('keys-notice');
    await notice.waitFor();
    const kid = (await notice.locator('code').innerText()).trim();
    if (!kid || kid === before) throw new Error(`the new key is ${kid}, the old one ${before}`);
    await table.locator(`tr[data-kid="${kid}"][data-state="active"]`).waitFor();
    await table.locator(`tr[data-kid="${before}"][data-state="retiring"]`).waitFor();
    if ((await active.count()) !== 1) throw new Error(`${await active.count()} active keys`);
    await shot('51-signing-keys-rotated');

    // The session signed by the previous key goes on: over HTTP, in the dashboard, and live.
    if ((await sessionToken()) !== tokenBefore) throw new Error('the session changed');
    await asAdmin('{ me { email } }');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Instances' }).click();
    await page.locator(`tr[data-instance="${name}"]`).waitFor();
    if (/\/login/.test(page.url())) throw new Error('logged out after the rotation');
    await page.getByRole('button', { name: 'Log out' }).waitFor();
  });

  await test('the audit log shows the mutations just made, failed ones with their code, filters by project and loads more', async () => {
    await page.goto('/audit');
    const table = page.getByRole('table', { name: 'Audit log' });
    await table.waitFor();
    for (const action of ['rotateSigningKey', 'revokeApiToken', 'createApiToken', 'setMemberRole', 'createUser', 'createProject', 'createInstance'])
      await table.locator(`tr[data-action="${action}"]`).first().waitFor();
    const newest = await table.getByTestId('audit-action').first().innerText();
    if (newest !== 'rotateSigningKey') throw new Error(`the newest entry is ${newest}`);
    const refused = table.locator('tr[data-action="setMemberRole"][data-outcome="failed"]').first();
    await refused.getByText('failed · CONFLICT').waitFor();
    await refused.getByText(/at least one admin/).waitFor();
    const created = table.locator('tr[data-action="createUser"]').first();
    await created.getByRole('button', { name: 'Details' }).click();
    await table.getByText('"password": "[redacted]"').waitFor();
    if ((await table.innerText()).includes(memberPassword)) throw new Error('a password is in the audit log');
    await shot('52-audit-log');

    // Pages of 20: "Load more" brings the next ones, as many as the API holds.
    const total = (await asAdmin('{ auditLog(first: 100) { nodes { id } } }')).auditLog.nodes.length;
    if (total <= 20) throw new Error(`only ${total} entries: too few to page`);
    const count = page.getByTestId('audit-count');
    await count.getByText(/^20 shown, more available/).waitFor();
    await page.getByRole('button', { name: 'Load more' }).click();
    await count.getByText(new RegExp(`^${Math.min(total, 40)} shown`)).waitFor();
    if ((await table.locator('tbody tr[data-action]').count()) !== Math.min(total, 40)) throw new Error('the rows do not match the count');

    await page.getByLabel('Filter by project').selectOption({ label: projName });
    await page.waitForURL(/[?&]project=/);
    await table.locator('tr[data-action="createApiToken"]').first().waitFor();
    await page.waitForFunction(() => !document.querySelector('tr[data-action="rotateSigningKey"]'));
    const projects = await table.locator('tbody tr[data-action] td:nth-child(5)').allInnerTexts();
    if (projects.some((p) => p !== projName)) throw new Error(`entries of other projects: ${[...new Set(projects)].join(', ')}`);
    await shot('53-audit-log-project');
  });

  await test('a project that still holds an instance cannot be deleted; once empty it can, and the switcher falls back to default', async () => {
    await page.goto('/projects');
    const row = page.locator(`tr[data-project="${projName}"]`);
    await row.getByRole('button', { name: 'Switch to' }).click();
    if ((await switcherName()) !== projName) throw new Error(`the switcher shows ${await switcherName()}`);
    await row.getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete project ${projName}?` });
    await dialog.getByLabel(/to confirm/).fill(projName);
    await dialog.getByRole('button', { name: 'Delete project' }).click();
    await dialog.getByRole('alert').getByText(`${projName} cannot be deleted: the project still holds 1 instance(s)`).waitFor();
    await shot('54-project-delete-conflict');
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    await page.goto(instance2Url);
    await backupsSettled(instance2Url.split('/').pop());
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('dialog').getByLabel(/to confirm/).fill(name2);
    await page.getByRole('button', { name: 'Delete instance' }).click();
    await page.waitForURL(/\/instances$/);
    await page.getByText('No instances yet').waitFor({ timeout: 90_000 });

    await page.goto('/projects');
    await row.getByRole('button', { name: 'Delete…' }).click();
    await dialog.getByLabel(/to confirm/).fill(projName);
    await dialog.getByRole('button', { name: 'Delete project' }).click();
    await page.getByTestId('projects-notice').getByText(`Deleted ${projName}`).waitFor();
    await row.waitFor({ state: 'detached' });
    await page.waitForFunction(() => {
      const s = document.querySelector('[data-testid="project-switcher"]');
      return s && s.options[s.selectedIndex]?.text === 'default';
    });
    await shot('55-project-deleted');
  });

  await test('deleting needs the name typed, then the instance leaves the list', async () => {
    await page.goto(instanceUrl);
    await page.getByRole('button', { name: 'Delete…' }).click();
    const confirm = page.getByRole('button', { name: 'Delete instance' });
    if (!(await confirm.isDisabled())) throw new Error('delete enabled before the name was typed');
    await page.getByRole('dialog').getByLabel(/to confirm/).fill(name.slice(0, -1));
    if (!(await confirm.isDisabled())) throw new Error('delete enabled with a wrong name');
    await page.getByRole('dialog').getByLabel(/to confirm/).fill(name);
    await shot('11-delete-confirm');
    await confirm.click();
    await page.waitForURL(/\/instances$/);
    await page.getByText(`Deleting ${name}`).waitFor();
    // The only instance: the list empties once the instance is DELETED, pushed by instanceUpdated.
    await page.getByText('No instances yet').waitFor({ timeout: 90_000 });
    await shot('12-deleted');
  });

  // Helpers for the tests below.
  const serverName = `e2e-srv-${Date.now().toString(36)}`;
  let serverUrl = '';
  /** Run a GraphQL request as the logged-in user, as another client would. */
  const api_ = async (query, variables = {}) => {
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('toygres.session')).token);
    const r = await fetch(`${api}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await r.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const serverNames = async () => (await api_('{ servers(first: 100) { nodes { name state } } }')).servers.nodes;
  /** Count main-frame navigations from now: a live update must not need one. */
  const countNavigations = (p = page) => {
    const counter = { n: 0, urls: [] };
    p.on('framenavigated', (f) => f === p.mainFrame() && (counter.n++, counter.urls.push(f.url())));
    return counter;
  };

  // Kubernetes instances, on the fake API server.
  const kubeName = `e2e-k8s-${Date.now().toString(36)}`;
  await test('a Kubernetes instance: created through the form, RUNNING and HEALTHY live, its events, deleted', async () => {
    await page.goto('/instances/new');
    await page.getByRole('radiogroup', { name: 'Where it runs' }).waitFor();
    await page.getByLabel('Kubernetes', { exact: true }).check();
    // Kubernetes's versions (13 to 18) replace the host's; only 15 runs on the fake.
    await page.locator('#f-version option[value="18"]').waitFor({ state: 'attached' });
    await page.selectOption('#f-version', '15');
    await page.getByLabel('small', { exact: true }).check();
    await page.getByLabel('Load balancer', { exact: true }).check();
    await page.fill('#f-name', kubeName);
    await page.fill('#f-storageGb', '1');
    await shot('14-create-kubernetes');
    await page.click('button[type=submit]');
    await page.waitForURL((u) => /^\/instances\/[0-9a-f-]{36}$/.test(u.pathname));
    const url = new URL(page.url()).pathname;
    const navigations = countNavigations();
    const head = page.getByRole('heading', { level: 1 });
    await page.getByTestId('provider').getByText('Kubernetes').waitFor();
    await page.getByTestId('service-type').getByText('Load balancer').waitFor();
    await page.getByRole('heading', { name: 'Events' }).waitFor();
    await head.getByText('RUNNING', { exact: true }).waitFor({ timeout: 120_000 });
    await head.getByText('HEALTHY', { exact: true }).waitFor({ timeout: 60_000 });
    const conn = await page.getByTestId('connection-string').innerText();
    if (!/^postgresql:\/\/app:.*@[^/]+:5432\/app\?sslmode=verify-full&sslrootcert=toygres-ca\.crt$/.test(conn)) throw new Error(`connection string: ${conn}`);
    await page.getByRole('button', { name: 'Download CA' }).waitFor();
    // Over TLS, the certificate checked against the CA for the address connected to.
    const ssl = await psql(url.split('/').pop(), 'SELECT ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_catalog.pg_backend_pid()');
    if (ssl !== 't') throw new Error(`the Kubernetes instance's session is not encrypted: ${ssl}`);
    if ((await page.getByTestId('status-message').count()) !== 0) throw new Error('a problem banner on a healthy instance');
    if (navigations.n) throw new Error('the page reloaded');
    await shot('15-kubernetes-running');

    await page.getByRole('link', { name: 'Instances', exact: true }).first().click();
    const row = page.locator(`tr[data-instance="${kubeName}"]`);
    await row.getByTestId('provider').getByText('Kubernetes').waitFor();
    await shot('16-list-kubernetes');

    await page.goto(url);
    await page.getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog');
    const keep = dialog.getByLabel('Keep the volume (PVC)');
    if (await keep.isChecked()) throw new Error('the volume is kept unless asked');
    await dialog.getByLabel(/to confirm/).fill(kubeName);
    await shot('17-kubernetes-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete instance' }).click();
    await page.waitForURL(/\/instances$/);
    // Back on its page: DELETED arrives live, and the event that its objects are gone.
    await page.goto(url);
    // The router settles its history entry once the page has rendered; count after that.
    await page.getByRole('heading', { name: 'Events' }).waitFor();
    const gone = countNavigations();
    await head.getByText('DELETED', { exact: true }).waitFor({ timeout: 90_000 });
    await page.getByRole('table', { name: 'Instance events' }).locator('tr[data-event="objects_deleted"]').waitFor({ timeout: 15_000 });
    if (gone.n) throw new Error(`the page reloaded: ${gone.urls.join(' ')}`);
    await shot('18-kubernetes-deleted');
  });

  // The fleet, on the fake clouds.
  await test('the empty server list says which clouds are configured', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Servers' }).click();
    await page.waitForURL(/\/servers$/);
    await page.getByText('No servers yet').waitFor();
    // The clouds arrive by their own query, after the list or before it.
    const clouds = page.getByTestId('configured-clouds');
    await clouds.getByText(/Servers can be provisioned on/).waitFor();
    if (!(await clouds.innerText()).includes('Hetzner and DigitalOcean')) throw new Error(`configured clouds: ${await clouds.innerText()}`);
    await shot('20-servers-empty');
  });

  await test("a site admin fetches Hetzner's current plans and prices", async () => {
    await page.getByRole('link', { name: 'Provision your first server' }).click();
    await page.waitForURL(/\/servers\/new$/);
    const plans = page.getByRole('radiogroup', { name: 'Plan' });
    await plans.getByText('price unknown').first().waitFor();
    await shot('21-provision-form-builtin-plans');
    await page.getByRole('button', { name: 'Fetch current plans and prices from Hetzner' }).click();
    await plans.locator('tr', { hasText: 'cx22' }).getByText(/€\d+\.\d\d \/ month/).waitFor({ timeout: 30_000 });
    await shot('21-provision-form');
  });

  await test('provisioning confirms what it makes and its price, then the server goes ACTIVE without a reload', async () => {
    await page.getByRole('button', { name: 'Review…' }).click();
    await page.locator('#f-plan-error').waitFor();
    await page.locator('#f-region-error').waitFor();
    await page.getByLabel('cx22', { exact: true }).check();
    await page.selectOption('#f-region', 'fsn1');
    await page.fill('#f-name', serverName);
    await page.selectOption('#f-template', 'postgres-host');
    await page.getByRole('button', { name: 'Review…' }).click();
    const summary = page.getByTestId('provision-summary');
    await summary.waitFor();
    for (const want of [serverName, 'Hetzner', 'cx22', 'fsn1', 'postgres-host']) {
      if (!(await summary.innerText()).includes(want)) throw new Error(`the confirmation does not name ${want}: ${await summary.innerText()}`);
    }
    const price = await page.getByTestId('provision-price').innerText();
    if (!/It costs €\d+\.\d\d \/ month/.test(price)) throw new Error(`the confirmation's price: ${price}`);
    if ((await serverNames()).length !== 0) throw new Error('a server was made before the confirmation');
    await shot('22-provision-confirm');
    await page.getByRole('button', { name: 'Provision server' }).click();
    await page.waitForURL((u) => /^\/servers\/[0-9a-f-]{36}$/.test(u.pathname));
    serverUrl = new URL(page.url()).pathname;
    const navigations = countNavigations();
    await page.getByRole('heading', { name: serverName }).waitFor();
    await page.getByTestId('operation-progress').waitFor();
    await shot('23-server-provisioning');
    await page.getByTestId('server-state').getByText('ACTIVE').waitFor({ timeout: 120_000 });
    await page.getByTestId('operation-progress').getByText('SUCCEEDED').waitFor({ timeout: 30_000 });
    const events = page.getByRole('table', { name: 'Server events' });
    await events.locator('tr[data-event="server_active"]').waitFor({ timeout: 15_000 });
    await events.locator('tr[data-event="server_provisioning"]').waitFor();
    const ip = await page.getByTestId('server-ipv4').innerText();
    if (!/\d+\.\d+\.\d+\.\d+/.test(ip)) throw new Error(`no IPv4 once active: ${ip}`);
    if (navigations.n) throw new Error('the page reloaded');
    await shot('24-server-active');
  });

  await test('a name already taken comes back under the name field', async () => {
    await page.goto('/servers/new');
    await page.getByLabel('cx22', { exact: true }).check();
    await page.selectOption('#f-region', 'nbg1');
    await page.fill('#f-name', serverName);
    await page.getByRole('button', { name: 'Review…' }).click();
    await page.getByRole('button', { name: 'Provision server' }).click();
    const err = page.locator('#f-name-error');
    await err.waitFor();
    if (!/already exists/.test(await err.innerText())) throw new Error(`name error: ${await err.innerText()}`);
    await shot('25-provision-conflict');
  });

  await test('scaling previews its plan and makes nothing until applied; the new servers appear live', async () => {
    // A second tab on the server list, to see the new servers arrive there too.
    const list = await context.newPage();
    list.on('pageerror', (e) => pageErrors.push(e.message));
    await list.goto('/servers');
    await list.locator(`tr[data-server="${serverName}"]`).waitFor();
    const listNavigations = countNavigations(list);

    await page.goto('/servers/scale');
    await page.selectOption('#s-provider', 'HETZNER');
    await page.selectOption('#s-plan', 'cx22');
    await page.selectOption('#s-region', 'fsn1');
    await page.fill('#s-count', '3');
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByTestId('scale-plan').first();
    await preview.getByTestId('scale-counts').getByText('1 → 3').waitFor();
    const adds = preview.locator('tr[data-action="ADD"]');
    if ((await adds.count()) !== 2) throw new Error(`expected 2 additions, got ${await adds.count()}`);
    const delta = await preview.getByTestId('scale-delta').innerText();
    if (!/^\+€\d+\.\d\d \/ month$/.test(delta)) throw new Error(`cost change: ${delta}`);
    if ((await serverNames()).length !== 1) throw new Error('the preview made servers');
    await shot('26-scale-preview');

    await page.getByRole('button', { name: 'Apply: add 2 servers' }).click();
    const applied = page.getByTestId('scale-applied');
    await applied.waitFor();
    await page.getByTestId('operation-progress').waitFor();
    const names = await applied.locator('tr[data-action="ADD"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-server')));
    if (names.length !== 2) throw new Error(`applied ${names.length} additions`);
    await shot('27-scale-applying');
    for (const n of names) await applied.locator(`tr[data-server="${n}"]`).getByTestId('state').getByText('ACTIVE').waitFor({ timeout: 120_000 });
    await page.getByTestId('operation-progress').getByText('SUCCEEDED').waitFor({ timeout: 60_000 });
    await page.getByRole('table', { name: 'Recent scalings' }).getByText('add 2 servers').waitFor();
    await shot('28-scale-done');

    for (const n of names) await list.locator(`tr[data-server="${n}"]`).getByTestId('state').getByText('ACTIVE').waitFor({ timeout: 30_000 });
    if (listNavigations.n) throw new Error('the server list reloaded');
    await list.screenshot({ path: join(shots, '29-servers-list.png'), fullPage: true });
    await list.close();
  });

  await test('drain, then remove with the typed name: the state goes to REMOVED live', async () => {
    await page.goto(serverUrl);
    const state = page.getByTestId('server-state');
    await state.getByText('ACTIVE').waitFor();
    const navigations = countNavigations();
    // The preview first: this server hosts nothing, so nothing moves.
    await page.getByRole('button', { name: 'Drain…' }).click();
    const preview = page.getByTestId('drain-preview');
    await preview.getByTestId('drain-nothing').waitFor();
    if ((await state.innerText()) !== 'ACTIVE') throw new Error('the preview changed the state');
    await preview.getByRole('button', { name: 'Start drain' }).click();
    await state.getByText('DRAINING').waitFor({ timeout: 30_000 });
    const drain = page.getByTestId('drain-progress');
    await drain.getByText('SUCCEEDED').waitFor({ timeout: 30_000 });
    await drain.getByTestId('drain-summary').getByText(/Nothing had to move/).waitFor();
    await page.getByRole('table', { name: 'Server events' }).locator('tr[data-event="server_drained"]').waitFor({ timeout: 15_000 });
    await shot('30-server-drained');
    const progress = page.getByTestId('operation-progress');

    await page.getByRole('button', { name: 'Remove…' }).click();
    const confirm = page.getByRole('button', { name: 'Remove server' });
    if (!(await confirm.isDisabled())) throw new Error('remove enabled before the name was typed');
    await page.getByRole('dialog').locator('input').fill(serverName.slice(0, -1));
    if (!(await confirm.isDisabled())) throw new Error('remove enabled with a wrong name');
    await page.getByRole('dialog').locator('input').fill(serverName);
    await shot('31-remove-confirm');
    await confirm.click();
    await progress.getByText(/remove server/i).first().waitFor();
    await state.getByText('REMOVED').waitFor({ timeout: 60_000 });
    await progress.getByText('SUCCEEDED').waitFor({ timeout: 30_000 });
    await page.getByRole('table', { name: 'Server events' }).locator('tr[data-event="server_removed"]').waitFor({ timeout: 15_000 });
    if ((await page.getByRole('button', { name: /^(Drain|Remove…)$/ }).count()) !== 0) throw new Error('actions still offered on a removed server');
    if (navigations.n) throw new Error('the page reloaded');
    await shot('32-server-removed');
  });

  await test('the cluster view lists fleet events, and new ones arrive live', async () => {
    await page.goto('/cluster');
    const events = page.getByRole('table', { name: 'Fleet events' });
    await events.locator('tr[data-event="server_removed"]').first().waitFor();
    const { servers } = await api_('{ servers(filter: { state: ACTIVE }) { nodes { id name } } }');
    if (!servers.nodes.length) throw new Error('no active server left to drain');
    const navigations = countNavigations();
    await api_('mutation($id: ID!) { drainServer(id: $id) { operation { id } } }', { id: servers.nodes[0].id });
    await events.locator('tr[data-event="server_draining"]').first().waitFor({ timeout: 15_000 });
    await events.locator('tr[data-event="server_draining"]').first().getByRole('link', { name: servers.nodes[0].name }).waitFor();
    if (navigations.n) throw new Error('the page reloaded');
    await shot('33-cluster-events');
  });

  // Registered servers: the two sshds, with SERVER instances on the first moved to the second
  // by a drain.
  const stamp = Date.now().toString(36);
  const hostNames = [`e2e-host-a-${stamp}`, `e2e-host-b-${stamp}`];
  const hostUrls = [];
  const hostId = (i) => hostUrls[i].split('/').pop();
  const onServer = [`e2e-on-srv-1-${stamp}`, `e2e-on-srv-2-${stamp}`];
  const onServerIds = [];
  /** Record, in the page, every value `attribute` takes on elements matching `selector`, as `key:value`. */
  const watchAttribute = (selector, attribute, key) =>
    page.evaluate(
      ({ selector, attribute, key }) => {
        window.__seen = new Set();
        const record = () => document.querySelectorAll(selector).forEach((e) => window.__seen.add(`${e.getAttribute(key) ?? ''}:${e.getAttribute(attribute) ?? e.textContent}`));
        record();
        window.__watch?.disconnect();
        window.__watch = new MutationObserver(record);
        window.__watch.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      },
      { selector, attribute, key },
    );
  const seen = () => page.evaluate(() => [...window.__seen]);

  await test('registering two hosts through the form: each shows its own key, goes BOOTSTRAPPING → ACTIVE live once it is authorised, and shows the host key it presented', async () => {
    for (const [i, host] of sshds.entries()) {
      await page.goto('/servers');
      await page.getByTestId('servers-table').waitFor();
      await page.getByRole('link', { name: 'Register server' }).click();
      await page.waitForURL(/\/servers\/register$/);
      await page.getByRole('heading', { name: /Register a server/ }).waitFor();
      if ((await page.inputValue('#f-sshUser')) !== 'root') throw new Error('the SSH user is not root by default');
      if ((await page.inputValue('#f-sshPort')) !== '22') throw new Error('the SSH port is not 22 by default');
      if (i === 0) {
        // Checked here first, then by the server.
        await page.fill('#f-name', hostNames[i]);
        await page.fill('#f-address', 'not-an-ip');
        await page.getByRole('button', { name: 'Register server' }).click();
        await page.locator('#f-address-error').getByText('not-an-ip is not an IP address.').waitFor();
        await shot('56-register-invalid');
      }
      await page.fill('#f-name', hostNames[i]);
      await page.fill('#f-address', host.ip);
      await page.fill('#f-sshPort', String(host.port));
      // Region, memory and disk left empty: default, and measured over SSH.
      if (i === 0) await shot('57-register-form');
      // The state badge as the server page shows it, from its first render on.
      await watchAttribute('[data-testid="server-state"]', 'data-none', 'data-none');
      await page.getByRole('button', { name: 'Register server' }).click();
      await page.waitForURL((u) => /^\/servers\/[0-9a-f-]{36}$/.test(u.pathname));
      hostUrls.push(new URL(page.url()).pathname);
      await page.getByRole('heading', { name: hostNames[i] }).waitFor();
      const navigations = countNavigations();
      await page.getByText('Server registered.').waitFor();
      // The host's owner authorises the key the page shows, which Toygres logs in with alone.
      const own = (await page.getByTestId('server-public-key').locator('code').textContent()).trim();
      if (!own.startsWith('ssh-ed25519 ')) throw new Error(`not a public key: ${own}`);
      appendFileSync(join(host.dir, 'authorized_keys'), `${own}\n`);
      const state = page.getByTestId('server-state');
      await state.getByText('ACTIVE').waitFor({ timeout: 60_000 });
      await page.getByTestId('server-host-key').getByText(host.hostKey).waitFor({ timeout: 15_000 });
      await page.getByTestId('server-ssh').getByText(`root@${host.ip}:${host.port}`).waitFor();
      await page.getByTestId('server-pg-versions').getByText(/\d+/).waitFor();
      await page.getByTestId('server-memory').getByText(/GB for instances/).waitFor();
      await page.getByTestId('server-disk').getByText(/GB for instances/).waitFor();
      await page.getByTestId('operation-progress').getByText('SUCCEEDED').waitFor({ timeout: 30_000 });
      await page.getByRole('table', { name: 'Server events' }).locator('tr[data-event="host_key_recorded"]').waitFor({ timeout: 15_000 });
      const states = await seen();
      if (!states.includes(':BOOTSTRAPPING') || !states.includes(':ACTIVE')) throw new Error(`states shown: ${states.join(', ')}`);
      if (navigations.n) throw new Error(`the page reloaded: ${navigations.urls.join(' ')}`);
      await shot(`58-registered-${i + 1}`);
    }
    // The same address and port again: the server's CONFLICT lands under the address.
    await page.goto('/servers/register');
    await page.fill('#f-name', `e2e-dup-${stamp}`);
    await page.fill('#f-address', sshds[0].ip);
    await page.fill('#f-sshPort', String(sshds[0].port));
    await page.getByRole('button', { name: 'Register server' }).click();
    await page.locator('#f-address-error').getByText(`server ${hostNames[0]} is registered at ${sshds[0].ip} already`).waitFor();
    await shot('58-register-conflict');
  });

  await test('SERVER instances created through the form on the first host run there, listed live on its page', async () => {
    for (const [i, n] of onServer.entries()) {
      await page.goto('/instances/new');
      await page.getByRole('radiogroup', { name: 'Where it runs' }).waitFor();
      await page.getByLabel('Fleet server', { exact: true }).check();
      const pick = page.locator('#f-server');
      await pick.locator(`option[value="${hostId(0)}"]`).waitFor({ state: 'attached' });
      await pick.locator(`option[value="${hostId(1)}"]`).waitFor({ state: 'attached' });
      await pick.selectOption(hostId(0));
      await page.fill('#f-name', n);
      await page.fill('#f-storageGb', '1');
      if (i === 0) await shot('59-create-on-server');
      await page.click('button[type=submit]');
      await page.waitForURL((u) => /^\/instances\/[0-9a-f-]{36}$/.test(u.pathname));
      onServerIds.push(new URL(page.url()).pathname.split('/').pop());
      await page.getByTestId('provider').getByText('Fleet server').waitFor();
      await page.getByTestId('instance-server').getByRole('link', { name: hostNames[0] }).waitFor();
    }
    await page.goto(hostUrls[0]);
    const table = page.getByRole('table', { name: 'Instances on this server' });
    await table.waitFor();
    const navigations = countNavigations();
    for (const n of onServer) {
      const row = table.locator(`tr[data-instance="${n}"]`);
      await row.getByTestId('state').getByText('RUNNING').waitFor({ timeout: 120_000 });
      await row.getByTestId('health').getByText('HEALTHY').waitFor({ timeout: 60_000 });
      if (!/^\d+$/.test((await row.locator('td').nth(3).innerText()).trim())) throw new Error(`no port for ${n}`);
    }
    await page.getByTestId('instance-count').getByText('2 live').waitFor();
    if (navigations.n) throw new Error(`the page reloaded: ${navigations.urls.join(' ')}`);
    await shot('60-server-instances');
  });

  await test("a drain shows its plan and changes nothing; started, each instance's move arrives live until DONE, with its write pause", async () => {
    await page.goto(hostUrls[0]);
    const state = page.getByTestId('server-state');
    await state.getByText('ACTIVE').waitFor();
    await page.getByRole('table', { name: 'Instances on this server' }).locator('tr[data-instance]').nth(1).waitFor();
    const navigations = countNavigations();
    await page.getByRole('button', { name: 'Drain…' }).click();
    const preview = page.getByTestId('drain-preview');
    const rows = preview.getByRole('table', { name: 'Drain plan' }).locator('tbody tr');
    await rows.nth(1).waitFor();
    const plan = await rows.evaluateAll((rs) => rs.map((r) => [r.cells[0].textContent, r.dataset.instance, r.dataset.target]));
    const want = [
      ['1', onServer[0], hostNames[1]],
      ['2', onServer[1], hostNames[1]],
    ];
    if (JSON.stringify(plan) !== JSON.stringify(want)) throw new Error(`the plan: ${JSON.stringify(plan)}`);
    // Nothing has changed yet: the server is active and has no drain.
    const { server } = await api_('query($id: ID!) { server(id: $id) { state instances { name } operations { kind } } }', { id: hostId(0) });
    if (server.state !== 'ACTIVE' || server.instances.length !== 2 || server.operations.some((o) => o.kind === 'drain_server'))
      throw new Error(`the preview changed something: ${JSON.stringify(server)}`);
    if ((await state.innerText()) !== 'ACTIVE' || (await page.getByTestId('drain-progress').count()) !== 0) throw new Error('the page shows a drain');
    await shot('61-drain-preview');

    await watchAttribute('[data-testid="drain-progress"] tr[data-instance]', 'data-phase', 'data-instance');
    await preview.getByRole('button', { name: 'Start drain' }).click();
    await state.getByText('DRAINING').waitFor({ timeout: 30_000 });
    const progress = page.getByTestId('drain-progress');
    const moves = progress.getByRole('table', { name: 'Moves' });
    const moving = ['COPYING', 'CATCHING_UP', 'CUTTING_OVER', 'PROMOTING', 'SWITCHED'].map((p) => `tr[data-phase="${p}"]`).join(', ');
    await moves.locator(moving).first().waitFor({ timeout: 60_000 });
    await shot('62-drain-moving');
    for (const n of onServer) {
      const row = moves.locator(`tr[data-instance="${n}"][data-phase="DONE"]`);
      await row.waitFor({ timeout: 180_000 });
      await row.getByTestId('writes-paused').getByText(/^writes paused \d[\d,]* ms$/).waitFor();
      await row.getByRole('link', { name: hostNames[1] }).waitFor();
    }
    await progress.getByText('SUCCEEDED').waitFor({ timeout: 30_000 });
    await progress.getByTestId('drain-summary').getByText(/^2 of 2 moved, longest write pause \d[\d,]* ms/).waitFor();
    // Each move's phases arrived as they happened, not only the end.
    const phases = await seen();
    for (const n of onServer) {
      const mine = phases.filter((p) => p.startsWith(`${n}:`)).map((p) => p.slice(n.length + 1));
      if (!mine.includes('DONE') || !mine.some((p) => ['COPYING', 'CATCHING_UP', 'CUTTING_OVER', 'PROMOTING', 'SWITCHED'].includes(p)))
        throw new Error(`phases shown for ${n}: ${mine.join(', ')}`);
    }
    // The instances left this server's list.
    await page.getByTestId('no-server-instances').waitFor({ timeout: 15_000 });
    if (navigations.n) throw new Error(`the page reloaded: ${navigations.urls.join(' ')}`);
    await shot('63-drain-done');
  });

  await test('the second server lists both instances; its drain is blocked in the preview, with no way to start it', async () => {
    await page.goto(hostUrls[1]);
    const table = page.getByRole('table', { name: 'Instances on this server' });
    for (const n of onServer) await table.locator(`tr[data-instance="${n}"]`).getByTestId('state').getByText('RUNNING').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Drain…' }).click();
    const blocked = page.getByTestId('drain-blocked');
    await blocked.getByText(/cannot move off .*: no server has room for it/).waitFor();
    if (!(await blocked.innerText()).includes(`${hostNames[0]} is draining`)) throw new Error(`blocked: ${await blocked.innerText()}`);
    if ((await page.getByRole('button', { name: 'Start drain' }).count()) !== 0) throw new Error('a blocked drain can be started');
    if ((await page.getByTestId('server-state').innerText()) !== 'ACTIVE') throw new Error('the preview changed the state');
    await shot('64-drain-blocked');
    await page.getByTestId('drain-preview').getByRole('button', { name: 'Close' }).click();
    await page.getByTestId('drain-preview').waitFor({ state: 'detached' });

    // An instance's page names its new server and the move.
    await page.goto(`/instances/${onServerIds[0]}`);
    await page.getByTestId('instance-server').getByRole('link', { name: hostNames[1] }).waitFor();
    const history = page.getByRole('table', { name: 'Moves between servers' });
    await history.locator('tr[data-phase="DONE"]').getByText(/^\d[\d,]* ms$/).waitFor();
    await shot('65-instance-moved');

    // Opening the drained server again shows its finished drain.
    await page.goto(hostUrls[0]);
    await page.getByTestId('drain-progress').getByTestId('drain-summary').getByText(/^2 of 2 moved/).waitFor();
    await page.getByTestId('server-state').getByText('DRAINING').waitFor();
    await shot('66-drained-server');
  });

  await test('deleted SERVER instances leave their server\'s list live', async () => {
    await page.goto(hostUrls[1]);
    const table = page.getByRole('table', { name: 'Instances on this server' });
    await table.locator('tr[data-instance]').nth(1).waitFor();
    const navigations = countNavigations();
    for (const id of onServerIds) await api_('mutation($id: ID!) { deleteInstance(id: $id) { id } }', { id });
    await page.getByTestId('no-server-instances').waitFor({ timeout: 90_000 });
    if (navigations.n) throw new Error(`the page reloaded: ${navigations.urls.join(' ')}`);
  });

  await test('the dark theme toggles and persists', async () => {
    await page.getByRole('button', { name: /Switch to (dark|light) theme/ }).click();
    const t1 = await page.evaluate(() => document.documentElement.dataset.theme);
    await page.reload();
    const t2 = await page.evaluate(() => document.documentElement.dataset.theme);
    if (t1 !== t2) throw new Error(`theme ${t1} became ${t2} after reload`);
    await shot(`13-theme-${t2}`);
  });

  await test('the fleet pages read well in the dark theme', async () => {
    if ((await page.evaluate(() => document.documentElement.dataset.theme)) !== 'dark') {
      await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    }
    await page.goto('/servers');
    await page.getByTestId('servers-table').waitFor();
    await shot('34-dark-servers');
    await page.goto('/servers/new');
    await page.getByLabel('cx22', { exact: true }).check();
    await shot('35-dark-provision');
    await page.goto(serverUrl);
    await page.getByTestId('server-state').getByText('REMOVED').waitFor();
    await shot('36-dark-server');
  });

  await test('the settings pages read well in the dark theme', async () => {
    if ((await page.evaluate(() => document.documentElement.dataset.theme)) !== 'dark') {
      await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    }
    await page.goto('/projects');
    await page.getByRole('table', { name: 'Projects' }).waitFor();
    await shot('37-dark-projects');
    await page.goto('/audit');
    await page.getByRole('table', { name: 'Audit log' }).locator('tr[data-outcome="failed"]').first().waitFor();
    await shot('38-dark-audit');
    await page.goto('/signing-keys');
    await page.getByRole('table', { name: 'Signing keys' }).waitFor();
    await shot('39-dark-signing-keys');
  });

  await test("graphql-js's standard introspection query answers, and graphql-codegen reading the schema from the server's URL writes what schema.graphql gives", async () => {
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('toygres.session')).token);
    const { getIntrospectionQuery, buildClientSchema } = await import('graphql');
    const r = await fetch(`${api}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: getIntrospectionQuery(), operationName: 'IntrospectionQuery' }),
    });
    const body = await r.json();
    if (body.errors) throw new Error(`introspection refused: ${JSON.stringify(body.errors)}`);
    const schema = buildClientSchema(body.data);
    if (!schema.getType('Instance') || !schema.getSubscriptionType()) throw new Error('the introspected schema lacks Instance or subscriptions');
    const scratch = mkdtempSync(join(tmpdir(), 'toygres-codegen-url-'));
    try {
      execFileSync(join(ui, 'node_modules', '.bin', 'graphql-codegen'), ['--config', 'codegen.ts', '--silent'], {
        cwd: ui,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, CODEGEN_OUT: `${scratch}/`, CODEGEN_SCHEMA_URL: `${api}/graphql`, CODEGEN_TOKEN: token },
      });
      const fresh = readdirSync(scratch).sort();
      const committed = readdirSync(join(ui, 'src', 'gql')).sort();
      if (fresh.join() !== committed.join()) throw new Error(`codegen wrote ${fresh.join(', ')}; src/gql has ${committed.join(', ')}`);
      for (const f of fresh) {
        if (readFileSync(join(scratch, f), 'utf8') !== readFileSync(join(ui, 'src', 'gql', f), 'utf8')) throw new Error(`${f} differs when the schema comes from the server`);
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  await test('the playground runs a query with the session token, with no request off this host', async () => {
    const offHost = [];
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
      offHost.push(url.href);
      return route.abort();
    });
    await page.goto('/playground');
    await page.locator('.graphiql-container').waitFor();
    // The editors load lazily, and a click before both are ready runs nothing: wait for them.
    await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
    await page.locator('.graphiql-response .CodeMirror').waitFor();
    await page.locator('.graphiql-execute-button').click();
    await page.locator('.graphiql-response').getByText(ADMIN.email).waitFor();
    await shot('08-playground');
    await page.unroute('**/*');
    if (offHost.length) throw new Error(`the playground asked for ${offHost.join(', ')}`);
    await page.goto('/');
  });

  await test('logging out returns to the login page', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login/);
  });

  await test('no uncaught page errors', async () => {
    if (pageErrors.length) throw new Error(pageErrors.join('\n'));
  });

  await test('the dashboard and the playground break no rule of their Content-Security-Policy', async () => {
    if (embedded) {
      const r = await fetch(`${api}/`);
      const csp = r.headers.get('content-security-policy') ?? '';
      if (!csp.includes("frame-ancestors 'none'")) throw new Error(`no policy on the dashboard: ${csp}`);
    }
    if (cspViolations.length) throw new Error(cspViolations.join('\n'));
  });
} catch (e) {
  console.error(e);
  results.push({ name: 'setup', ok: false, error: e });
} finally {
  await browser?.close().catch(() => {});
  await stop(preview);
  await stop(server);
  // After the server: it stops its pods' PostgreSQL servers on the way out.
  await stop(fakeKube?.child);
  await stop(fakeCloud?.child);
  // The SERVER instances the tests left (they delete theirs; a failed run may not have).
  for (const pid of postmastersUnder(serverRoot)) {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      /* gone */
    }
  }
  for (const until = Date.now() + 15_000; postmastersUnder(serverRoot).length && Date.now() < until; ) await new Promise((r) => setTimeout(r, 100));
  for (const h of sshds) await stop(h.child);
  if (!process.env.E2E_KEEP) {
    rmSync(dataRoot, { recursive: true, force: true });
    rmSync(serverRoot, { recursive: true, force: true });
  }
}

const failed = results.filter((r) => !r.ok);
console.log(`\n${results.length - failed.length} passed, ${failed.length} failed; screenshots in ${shots}; server log in ${serverLog}`);
process.exit(failed.length ? 1 : 0);
