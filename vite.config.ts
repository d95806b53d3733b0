import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard: Preact compiled by Vite into static files the server serves (no CDN at run time).
const appRoot = fileURLToPath(new URL('./src/dashboard/app/', import.meta.url));
const outDir = fileURLToPath(new URL('./src/dashboard/dist/', import.meta.url));

// `npx vite` serves the page with live reload and sends API calls to a running webpig server.
const apiTarget = process.env.WEBPIG_SERVER_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: appRoot,
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  server: {
    host: '127.0.0.1',
    proxy: { '/api': apiTarget, '/auth': apiTarget },
  },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    // No inline module-preload polyfill: the page must run under a CSP without 'unsafe-inline'.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: true,
  },
});
