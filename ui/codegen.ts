import type { CodegenConfig } from '@graphql-codegen/cli';

// `npm run codegen` writes typed documents for every graphql(`...`) in src/ to src/gql/.
// `npm run codegen:check` (scripts/codegen-check.mjs) writes to a scratch directory instead,
// through CODEGEN_OUT, and fails if that differs from src/gql/.
const out = process.env.CODEGEN_OUT ?? './src/gql/';

const config: CodegenConfig = {
  schema: '../schema.graphql',
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
