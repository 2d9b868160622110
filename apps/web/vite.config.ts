import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `pnpm --filter @patchbay/web dev` serves the app on :5173 and forwards the API and socket.io to a
// running `patchbay serve` (PATCHBAY_URL, default http://127.0.0.1:7070). The build (dist/) is what
// the server itself serves.
const target = process.env['PATCHBAY_URL'] ?? 'http://127.0.0.1:7070';
export default defineConfig({
  plugins: [react()],
  server: { proxy: { '/api': target, '/socket.io': { target, ws: true } } },
  // The manifest lists this build's own chunks: `pnpm bench:pages` counts the whole app from it, not
  // from dist/assets, where a restored build cache can leave an older build's chunks beside them.
  build: { chunkSizeWarningLimit: 1500, manifest: true },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
} as never);
