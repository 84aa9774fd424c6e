import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

/**
 * The browser to drive: CHROMIUM_PATH, else Debian's /usr/bin/chromium, else Playwright's own install. With none,
 * as root where apt-get exists (CI here), Debian's package is installed; otherwise we stop and say how.
 * Never `npx playwright install`: browser downloads are not available everywhere this runs.
 */
export function resolveChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist.`);
    return fromEnv;
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  try {
    if (existsSync(chromium.executablePath())) return undefined;
  } catch {
    // Playwright has no browser of its own installed
  }
  const isRoot = process.getuid?.() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.log('[e2e] no Chromium found: installing Debian\'s chromium package');
    execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'inherit' });
    return '/usr/bin/chromium';
  }
  throw new Error(
    'No Chromium for the end-to-end tests. Install one (Debian/Ubuntu: `sudo apt-get install chromium`), or set ' +
      'CHROMIUM_PATH to a Chrome/Chromium binary.',
  );
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
