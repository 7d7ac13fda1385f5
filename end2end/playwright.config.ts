import { defineConfig } from '@playwright/test';
import * as os from 'os';
import * as path from 'path';
import { execSync } from 'child_process';

// The suite starts the stand-in Ollama (not a model) and the real server
// built by scripts/build.sh, on ports of its own, with a fresh SQLite file.
const port = Number(process.env.BABBLR_E2E_PORT ?? 8123);
const standinPort = port + 1;
const bin = path.resolve(__dirname, '../target/debug/babblr');
// The stand-in Ollama (test support, not shipped): built by scripts/build.sh.
const standinBin = path.resolve(__dirname, '../target/debug/babblr-standin');
const db = path.join(os.tmpdir(), `babblr-e2e-${process.pid}-${Date.now()}.db`);
const models = process.env.BABBLR_TEST_MODELS ?? path.resolve(__dirname, '../../shared/models');

// The microphone: Chromium's fake capture device plays Spanish speech made
// with espeak-ng (then 3 s of silence, so the recorder stops by itself).
const speechText = 'Hola, me llamo Juan. Quiero una mesa para dos personas, por favor.';
const speechWav = path.join(os.tmpdir(), `babblr-e2e-speech-${process.pid}.wav`);
execSync(`espeak-ng -v es -s 140 -w ${speechWav}.raw.wav "${speechText}" && ` +
  `sox -V1 ${speechWav}.raw.wav -r 48000 -c 1 -b 16 ${speechWav} pad 0.5 3`);

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      // Debian's Chromium; Playwright never downloads a browser here.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${speechWav}`,
      ],
    },
  },
  webServer: [
    {
      command: `${standinBin} --addr 127.0.0.1:${standinPort} --token-delay-ms 20`,
      url: `http://127.0.0.1:${standinPort}/api/version`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      command: `${bin} serve`,
      url: `http://127.0.0.1:${port}/health`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        BABBLR_ADDR: `127.0.0.1:${port}`,
        BABBLR_LLM_URL: `http://127.0.0.1:${standinPort}`,
        BABBLR_LLM_WARMUP: '0',
        DATABASE_URL: `sqlite://${db}`,
        LEPTOS_SITE_ROOT: path.resolve(__dirname, '../target/site'),
        RUST_LOG: 'warn',
        // The real multilingual Whisper base model, loaded and warmed at start.
        BABBLR_WHISPER_MODEL: path.join(models, 'ggml-base.bin'),
        BABBLR_WHISPER_WARMUP: '1',
      },
    },
  ],
});
