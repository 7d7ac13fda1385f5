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
// A second server on port + 2 with the default provider (`auto`) and no
// Ollama at its address (port + 3 is left unbound), so the built-in model
// answers: a real small GGUF (SmolLM2-135M) fetched by setup.sh --test.
const builtinDb = path.join(os.tmpdir(), `babblr-e2e-builtin-${process.pid}-${Date.now()}.db`);
// A third server on port + 4 with accounts on (open sign-up): the auth spec.
const authDb = path.join(os.tmpdir(), `babblr-e2e-auth-${process.pid}-${Date.now()}.db`);
export const authPort = port + 4;
const gguf = process.env.BABBLR_TEST_GGUF ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
    'babblr/test-models/SmolLM2-135M-Instruct.Q4_1.gguf');

// Silero VAD for the voice stream, written by setup.sh --test from the PyPI
// package's weights.
const vad = process.env.BABBLR_TEST_VAD ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
    'babblr/test-models/ggml-silero-vad.bin');

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
        BABBLR_LLM_PROVIDER: 'ollama',
        BABBLR_LLM_URL: `http://127.0.0.1:${standinPort}`,
        BABBLR_LLM_WARMUP: '0',
        DATABASE_URL: `sqlite://${db}`,
        LEPTOS_SITE_ROOT: path.resolve(__dirname, '../target/site'),
        RUST_LOG: 'warn',
        // The real multilingual Whisper base model, loaded and warmed at start.
        BABBLR_WHISPER_MODEL: path.join(models, 'ggml-base.bin'),
        BABBLR_WHISPER_WARMUP: '1',
        BABBLR_VAD_MODEL: vad,
      },
    },
    {
      command: `${bin} serve`,
      url: `http://127.0.0.1:${port + 2}/health`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        BABBLR_ADDR: `127.0.0.1:${port + 2}`,
        BABBLR_LLM_URL: `http://127.0.0.1:${port + 3}`,
        BABBLR_LLM_BUILTIN_MODEL: gguf,
        BABBLR_LLM_THREADS: '1',
        DATABASE_URL: `sqlite://${builtinDb}`,
        LEPTOS_SITE_ROOT: path.resolve(__dirname, '../target/site'),
        RUST_LOG: 'warn',
        BABBLR_WHISPER_MODEL: path.join(models, 'ggml-base.bin'),
        BABBLR_WHISPER_WARMUP: '0',
      },
    },
    {
      command: `${bin} serve`,
      url: `http://127.0.0.1:${authPort}/health`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        BABBLR_ADDR: `127.0.0.1:${authPort}`,
        BABBLR_AUTH: 'on',
        BABBLR_SIGNUP: 'open',
        BABBLR_LLM_PROVIDER: 'ollama',
        BABBLR_LLM_URL: `http://127.0.0.1:${standinPort}`,
        BABBLR_LLM_WARMUP: '0',
        DATABASE_URL: `sqlite://${authDb}`,
        LEPTOS_SITE_ROOT: path.resolve(__dirname, '../target/site'),
        RUST_LOG: 'warn',
        BABBLR_WHISPER_MODEL: path.join(models, 'ggml-base.bin'),
        BABBLR_WHISPER_WARMUP: '0',
      },
    },
  ],
});
