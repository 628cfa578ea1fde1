// The local web server: serves the client and forwards /api to the API
// Lambda run by `cargo lambda watch` (its function URL), so the page and
// the API share one origin, and /_ministack to the emulator.
import { defineConfig } from 'vite';
import { resolve } from 'node:path';

const lambdaUrl = process.env.API_LAMBDA_URL ?? 'http://127.0.0.1:9000/lambda-url/api';
const target = new URL(lambdaUrl);

export default defineConfig({
  root: import.meta.dirname,
  // amplify_outputs.json of the stack being served (written by the scripts).
  publicDir: process.env.WEB_PUBLIC_DIR ?? resolve(import.meta.dirname, '../.local/local/web'),
  server: {
    host: '127.0.0.1',
    port: Number(process.env.WEB_PORT ?? 5173),
    strictPort: true,
    proxy: {
      // The emulator's captured mail, for the mailbox page (it sends no CORS headers there).
      ...(process.env.AWS_ENDPOINT_URL
        ? { '/_ministack': { target: process.env.AWS_ENDPOINT_URL } }
        : {}),
      '/api': {
        target: target.origin,
        rewrite: (path) => target.pathname.replace(/\/$/, '') + path,
      },
    },
  },
  build: {
    target: 'es2022',
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        mailbox: resolve(import.meta.dirname, 'mailbox.html'),
      },
    },
  },
});
