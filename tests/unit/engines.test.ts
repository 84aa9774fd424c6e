import { existsSync, readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

type Manifest = { engines?: { node?: string } };
const read = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

const promised = read<Manifest>('package.json').engines?.node ?? '';
const oldestPromised = semver.minVersion(promised);

describe('the Node version a newcomer is promised', () => {
  it('is the one package.json declares, and the README says so', () => {
    expect(oldestPromised).not.toBeNull();
    const { major, minor } = oldestPromised!;
    expect(readFileSync('README.md', 'utf8')).toContain(`needs Node ${major}.${minor}+`);
  });

  it('runs every installed package: none declares engines that would warn on `npm ci` there', () => {
    const lock = read<{ packages: Record<string, Manifest> }>('package-lock.json');
    const refusing = Object.entries(lock.packages)
      // Packages for other platforms are in the lock but not installed (and not checked by npm here).
      .filter(([path, entry]) => path !== '' && existsSync(path) && entry.engines?.node)
      .filter(([, entry]) => !semver.satisfies(oldestPromised!, entry.engines!.node!))
      .map(([path, entry]) => `${path.replace(/^.*node_modules\//, '')} wants node ${entry.engines!.node}`);
    expect(refusing).toEqual([]);
  });
});
