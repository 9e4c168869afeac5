import type { CodegenConfig } from '@graphql-codegen/cli';

// `npm run codegen` writes typed documents for every graphql(`...`) in src/ to src/gql/.
// `npm run codegen:check` (scripts/codegen-check.mjs) writes to a scratch directory instead,
// through CODEGEN_OUT, and fails if that differs from src/gql/.
const out = process.env.CODEGEN_OUT ?? './src/gql/';
// The browser tests read the schema from a running server instead (CODEGEN_SCHEMA_URL, with
// the bearer token in CODEGEN_TOKEN), through the standard introspection query, and check
// that the result is the same.
const url = process.env.CODEGEN_SCHEMA_URL;
const schema: CodegenConfig['schema'] = url
  ? { [url]: { headers: { Authorization: `Bearer ${process.env.CODEGEN_TOKEN ?? ''}` } } }
  : '../schema.graphql';

const config: CodegenConfig = {
  schema,
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**/*'],
  ignoreNoDocuments: false,
  generates: {
    [out]: {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { DateTime: 'string', ID: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true },
      },
    },
  },
};

export default config;
