// Fail when src/gql/ is not what `npm run codegen` would write now.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const scratch = mkdtempSync(join(tmpdir(), 'toygres-codegen-'));
const committed = 'src/gql';
try {
  execFileSync('npx', ['graphql-codegen', '--config', 'codegen.ts', '--silent'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, CODEGEN_OUT: scratch + '/' },
  });
  const fresh = readdirSync(scratch).sort();
  const have = existsSync(committed) ? readdirSync(committed).sort() : [];
  const stale = [];
  for (const f of new Set([...fresh, ...have])) {
    const a = fresh.includes(f) ? readFileSync(join(scratch, f), 'utf8') : null;
    const b = have.includes(f) ? readFileSync(join(committed, f), 'utf8') : null;
    if (a !== b) stale.push(f);
  }
  if (stale.length) {
    console.error(`src/gql/ is stale (${stale.join(', ')}): run \`npm run codegen\` and commit the result.`);
    process.exit(1);
  }
  console.log('src/gql/ is up to date with ../schema.graphql and the documents in src/.');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
