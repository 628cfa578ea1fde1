// The local web server: serves the client and forwards /api to the API's
// local server (the Lambda's router over HTTP), so the page and the API
// share one origin, and /_ministack to the emulator.
import { defineConfig } from 'vite';
import { resolve } from 'node:path';

const apiUrl = process.env.API_URL ?? 'http://127.0.0.1:9000';

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
      '/api': { target: apiUrl },
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
