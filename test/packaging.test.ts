/**
 * What a user's `npm install` gets: runtime code (src/, sim/, ros/) imports only runtime
 * dependencies at load time, every runtime dependency is used, and development-only packages
 * (tsx, esbuild, onnxruntime-node as an optional peer) are reached only through a guarded
 * dynamic import.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};

function runtimeSources(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const dir of ['src', 'sim', 'ros']) {
    for (const f of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
      // The browser app is bundled at build time, not loaded by Node.
      const path = join(f.parentPath, f.name);
      if (f.isFile() && f.name.endsWith('.ts') && !path.includes(join('src', 'viewer', 'app'))) out.push({ file: path.slice(root.length + 1), text: readFileSync(path, 'utf8') });
    }
  }
  return out;
}

/** `foo` of `foo/bar`, `@scope/foo` of `@scope/foo/bar`; null for relative and node: specifiers. */
function packageOf(spec: string): string | null {
  if (spec.startsWith('.') || spec.startsWith('node:')) return null;
  const parts = spec.split('/');
  return spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

const sources = runtimeSources();
const staticImports = sources.flatMap(({ file, text }) =>
  [...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'/gm), ...text.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => ({ file, pkg: packageOf(m[1]!) })),
);
const dynamicImports = sources.flatMap(({ file, text }) => [...text.matchAll(/import\('([^']+)'\)/g)].map((m) => ({ file, pkg: packageOf(m[1]!) })));

describe('packaging', () => {
  it('runtime code imports only runtime dependencies at load time', () => {
    const bad = staticImports.filter((i) => i.pkg && !(i.pkg in pkg.dependencies)).map((i) => `${i.file}: ${i.pkg}`);
    expect(bad).toEqual([]);
  });

  it('packages loaded on demand are runtime, optional or optional-peer dependencies (never a plain dev dependency)', () => {
    const allowed = new Set([
      ...Object.keys(pkg.dependencies),
      ...Object.keys(pkg.optionalDependencies ?? {}),
      ...Object.entries(pkg.peerDependenciesMeta ?? {})
        .filter(([, m]) => m.optional)
        .map(([k]) => k),
    ]);
    // esbuild only bundles the viewer app when running from the TypeScript sources (a clone); the compiled program ships it prebuilt.
    allowed.add('esbuild');
    const bad = dynamicImports.filter((i) => i.pkg && !allowed.has(i.pkg)).map((i) => `${i.file}: ${i.pkg}`);
    expect(bad).toEqual([]);
  });

  it('every runtime dependency is used by runtime code', () => {
    const used = new Set([...staticImports, ...dynamicImports].map((i) => i.pkg));
    // Also reached through a package subpath in createRequire().resolve or a string specifier.
    const text = sources.map((s) => s.text).join('\n');
    const unused = Object.keys(pkg.dependencies).filter((d) => !used.has(d) && !text.includes(`'${d}/`));
    expect(unused).toEqual([]);
  });
});

describe('the compiled program (dist/, made by npm run build / npm ci)', () => {
  const stamp = join(root, 'dist/.build-stamp');
  const built = existsSync(stamp);
  it.skipIf(!built)('runs the demo end to end without the TypeScript sources or tsx (worker pool, viewer script, bundle)', () => {
    if (!built) return;
    const out = mkdtempSync(join(tmpdir(), 'r2s-dist-'));
    try {
      // tsx is not registered in this process tree: a module that needs it fails to load
      const r = spawnSync(process.execPath, [join(root, 'dist/src/cli.js'), 'demo', '--out', join(out, 'demo')], { cwd: out, encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      for (const f of ['scene.json', 'scene.urdf', 'scene.xml', 'debug/report.html', 'debug/view_top.png']) expect(existsSync(join(out, 'demo', f)), f).toBe(true);
      expect(readFileSync(join(out, 'demo', 'debug/report.html'), 'utf8').length).toBeGreaterThan(500_000); // the three.js viewer is inlined
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
  if (!built) it('is skipped: dist/ is not built here (npm run build; npm ci builds it)', () => {});
});
