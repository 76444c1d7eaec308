import { chromium, type Browser } from 'playwright-core';
import { binaryAvailable } from './services.js';

/** Debian's chromium (`apt-get install chromium`); playwright-core drives it and never downloads a browser. */
export const CHROMIUM_PATH = process.env.SHOAL_TEST_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumAvailable(): Promise<boolean> {
  return binaryAvailable('Chromium', CHROMIUM_PATH, 'apt-get install -y chromium');
}

/** Headless, no sandbox (tests may run as root), nothing that phones home: only loopback traffic. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
