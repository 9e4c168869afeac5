/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Where `npm run dev` and `vite preview` send /graphql (HTTP and WebSocket).
const api = process.env.TOYGRES_API ?? 'http://127.0.0.1:18090';
const proxy = { '/graphql': { target: api, ws: true, changeOrigin: true } };

export default defineConfig({
  plugins: [react()],
  server: { proxy },
  preview: { proxy },
  build: {
    outDir: 'dist',
    // Hashed names under assets/: the server caches these for a year.
    assetsDir: 'assets',
    sourcemap: false,
    // Two pages: the dashboard, and the GraphQL playground served at /playground.
    rollupOptions: {
      input: { main: 'index.html', playground: 'playground.html' },
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
  },
});
