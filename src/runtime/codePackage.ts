// The code package a Kubernetes pod runs: the flow's directory (filtered by its .gitignore files and the
// usual build/VCS folders) at the tarball's root, the embedded Python package under `.mf_code/`
// (`.mf_code/metaflow`, `.mf_code/metaflow_studio`), as a gzip tar that is byte-for-byte the same for the
// same content (sorted entries, one fixed mtime, no owners, normalised modes, no gzip timestamp), so its sha1
// is a content address: a package already in the datastore is never uploaded again.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import ignore, { type Ignore } from 'ignore';
import * as tar from 'tar';
import type { DatastoreStorage } from '../datastore/storage/types';
import { blobKey } from '../datastore/storage/types';

/** Where the embedded package sits inside the package (the pod loader puts it first on sys.path). */
export const EMBEDDED_PACKAGE_DIR = '.mf_code';
/** The embedded package's top-level Python packages copied under EMBEDDED_PACKAGE_DIR. */
const EMBEDDED_TOP_LEVEL = ['metaflow', 'metaflow_studio'];
/** Never part of a package: metadata, VCS, caches and environments. */
export const DEFAULT_EXCLUDES = ['.metaflow', '.metaflow_spin', '.git', '__pycache__', '*.pyc', 'node_modules', '.venv', EMBEDDED_PACKAGE_DIR];
/** The setting (environment variable or Metaflow config) that raises the size guard, in MB. */
export const CODE_PACKAGE_MAX_MB_SETTING = 'METAFLOW_STUDIO_CODE_PACKAGE_MAX_MB';
export const DEFAULT_CODE_PACKAGE_MAX_MB = 100;
/** 1980-01-01: a fixed, valid time for every entry (tar and zip tools dislike 0). */
const FIXED_MTIME = new Date(315532800 * 1000);

export interface CodePackageInput {
  /** The flow file's directory: the package root. */
  flowDir: string;
  /** The embedded Python package's directory (holds `metaflow/` and `metaflow_studio/`). */
  embeddedPythonDir: string;
  /** Guard on the user files' total size (uncompressed), in bytes. */
  maxBytes: number;
}

export interface CodePackage {
  sha: string;
  bytes: Buffer;
  /** Paths inside the package, in archive order. */
  files: string[];
  /** Uncompressed size of the user's files. */
  userBytes: number;
}

export class CodePackageTooLargeError extends Error {}

interface Collected {
  /** Path inside the package (always `/`). */
  name: string;
  abs: string;
  size: number;
  executable: boolean;
}

interface IgnoreScope {
  /** Directory of the .gitignore, relative to the root (`''` for the root). */
  dir: string;
  rules: Ignore;
}

function ignoredBy(scopes: IgnoreScope[], rel: string, isDir: boolean): boolean {
  for (const scope of scopes) {
    const inside = scope.dir === '' ? rel : rel.slice(scope.dir.length + 1);
    if (scope.rules.ignores(isDir ? `${inside}/` : inside)) return true;
  }
  return false;
}

/** Walks a directory following symlinks (a loop is visited once), applying nested .gitignore files. */
function collect(root: string, prefix: string, useGitignore: boolean, out: Collected[]): void {
  const defaults = ignore().add(DEFAULT_EXCLUDES);
  const seen = new Set<string>();
  const walk = (absDir: string, rel: string, scopes: IgnoreScope[]) => {
    const real = fs.realpathSync(absDir);
    if (seen.has(real)) return;
    seen.add(real);
    let here = scopes;
    const gitignore = path.join(absDir, '.gitignore');
    if (useGitignore && fs.existsSync(gitignore)) {
      here = [...scopes, { dir: rel, rules: ignore().add(fs.readFileSync(gitignore, 'utf8')) }];
    }
    for (const name of fs.readdirSync(absDir).sort()) {
      const abs = path.join(absDir, name);
      const childRel = rel === '' ? name : `${rel}/${name}`;
      let stat: fs.Stats;
      try {
        stat = fs.statSync(abs);
      } catch {
        continue; // a dangling symlink has nothing to ship
      }
      const isDir = stat.isDirectory();
      if (defaults.ignores(isDir ? `${childRel}/` : childRel) || ignoredBy(here, childRel, isDir)) continue;
      if (isDir) walk(abs, childRel, here);
      else if (stat.isFile()) out.push({ name: prefix + childRel, abs, size: stat.size, executable: (stat.mode & 0o111) !== 0 });
    }
  };
  walk(root, '', []);
}

function sizeGuard(files: Collected[], total: number, maxBytes: number, flowDir: string): void {
  if (total <= maxBytes) return;
  const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
  const largest = [...files]
    .sort((a, b) => b.size - a.size)
    .slice(0, 5)
    .map((f) => `  ${f.name} (${mb(f.size)})`)
    .join('\n');
  throw new CodePackageTooLargeError(
    `the code package of ${flowDir} would be ${mb(total)}, more than the ${mb(maxBytes)} allowed. Largest files:\n${largest}\n` +
      `Add what the pods do not need to a .gitignore in that directory, or raise the limit with the setting ${CODE_PACKAGE_MAX_MB_SETTING} (MB; environment variable or Metaflow config).`,
  );
}

/** Builds the package in memory (it is uploaded whole). */
export async function buildCodePackage(input: CodePackageInput): Promise<CodePackage> {
  const user: Collected[] = [];
  collect(input.flowDir, '', true, user);
  const userBytes = user.reduce((n, f) => n + f.size, 0);
  sizeGuard(user, userBytes, input.maxBytes, input.flowDir);
  const embedded: Collected[] = [];
  for (const top of EMBEDDED_TOP_LEVEL) {
    const dir = path.join(input.embeddedPythonDir, top);
    if (!fs.existsSync(dir)) throw new Error(`the embedded Python package is incomplete: ${dir} is missing; rebuild with 'npm run build'`);
    collect(dir, `${EMBEDDED_PACKAGE_DIR}/${top}/`, false, embedded);
  }
  const entries = [...user, ...embedded].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const bytes = gzipPortable(tarOf(entries));
  return { sha: createHash('sha1').update(bytes).digest('hex'), bytes, files: entries.map((e) => e.name), userBytes };
}

/**
 * A ustar archive of regular files only (the extractor creates their directories; directory entries would
 * carry their own times and modes). Headers are tar's own (a pax record for a path over 100 bytes).
 */
function tarOf(entries: Collected[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = fs.readFileSync(e.abs);
    const fields = { path: e.name, mode: e.executable ? 0o755 : 0o644, uid: 0, gid: 0, uname: '', gname: '', size: data.length, mtime: FIXED_MTIME, type: 'File' as const };
    const header = new tar.Header(fields);
    const block = Buffer.alloc(512);
    if (header.encode(block)) blocks.push(new tar.Pax({ path: e.name, mtime: FIXED_MTIME, size: data.length }).encode());
    blocks.push(block, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** gzip without the platform byte or a time in its header (RFC 1952: MTIME 0, OS 255 "unknown"). */
function gzipPortable(data: Buffer): Buffer {
  const out = zlib.gzipSync(data, { level: 9 });
  out.writeUInt32LE(0, 4);
  out[9] = 255;
  return out;
}

export interface UploadedPackage {
  /** Datastore key `<Flow>/data/<sha[:2]>/<sha>`. */
  key: string;
  /** False when the datastore already had it. */
  uploaded: boolean;
}

/** Stores the package once per content, where Metaflow's own code packages go (the flow's CAS, raw). */
export async function uploadCodePackage(storage: DatastoreStorage, flowName: string, pkg: CodePackage): Promise<UploadedPackage> {
  const key = blobKey(flowName, pkg.sha);
  if (await storage.exists(key)) return { key, uploaded: false };
  const uploaded = await storage.write(key, pkg.bytes, { overwrite: false, meta: { cas_raw: true, cas_version: 1 } });
  return { key, uploaded };
}
