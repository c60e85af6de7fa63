import { createHash, createPrivateKey, createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { z } from 'zod';
import { canonicalJson, sha256Hex } from './canonical.js';

/**
 * The handover's manifest: the SHA-256 of every file, each step of the run as a record chained to
 * the one before by its hash, and a signature over all of it with iiot's own key (the X.509
 * certificate OPC UA sessions use). `iiot commission verify` recomputes everything and names any
 * file changed, missing or added, and any step record altered.
 */

export const MANIFEST_SCHEMA = 'iiot.commission-manifest/1';
export const MANIFEST_FILE = 'manifest.json';
const GENESIS = '0'.repeat(64);

export interface StepRecord {
  step: string;
  startedAt: string;
  finishedAt: string;
  status: 'ok' | 'failed' | 'skipped';
  summary: string;
  /** files the step wrote, path (relative, "/"-separated) -> SHA-256 */
  files: Record<string, string>;
  /** hash of the previous step record (64 zeros for the first) */
  prev: string;
  /** SHA-256 of this record's canonical JSON without `hash` */
  hash: string;
}

// Strict: a field the signature does not cover (a "note", an "approvedBy" added later) must not
// ride along in a manifest that verify calls intact.
const stepSchema = z
  .object({
    step: z.string(),
    startedAt: z.string(),
    finishedAt: z.string(),
    status: z.enum(['ok', 'failed', 'skipped']),
    summary: z.string(),
    files: z.record(z.string(), z.string()),
    prev: z.string(),
    hash: z.string(),
  })
  .strict();

const manifestSchema = z
  .object({
    schema: z.literal(MANIFEST_SCHEMA),
    tool: z.string(),
    createdAt: z.string(),
    job: z.record(z.string(), z.unknown()),
    accepted: z.boolean(),
    steps: z.array(stepSchema),
    files: z.record(z.string(), z.string()),
    signature: z
      .object({
        algorithm: z.string(),
        value: z.string(),
        certificate: z.string(),
        certificateSha256: z.string(),
        subject: z.string(),
      })
      .strict(),
  })
  .strict();

export type Manifest = z.infer<typeof manifestSchema>;

export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Every file below dir (relative, "/"-separated), the manifest itself left out. Links are listed,
 * not followed: a handover handed in for checking may hold a link to a folder above it (no end to
 * the walk) or to a device (no end to the hash).
 */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (lstatSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.filter((f) => f !== MANIFEST_FILE);
}

/** Builds the step chain as the run goes: each record is hashed and linked when it is added. */
export class StepChain {
  readonly records: StepRecord[] = [];

  constructor(private readonly dir: string) {}

  async add(step: Omit<StepRecord, 'prev' | 'hash' | 'files'>, files: readonly string[]): Promise<StepRecord> {
    const hashes: Record<string, string> = {};
    for (const f of files) hashes[f] = await fileSha256(join(this.dir, f));
    const prev = this.records.at(-1)?.hash ?? GENESIS;
    const body = { ...step, files: hashes, prev };
    const record = { ...body, hash: sha256Hex(canonicalJson(body)) };
    this.records.push(record);
    return record;
  }
}

export interface Signer {
  /** PEM private key */
  privateKeyPem: string;
  /** the signer's certificate (DER) */
  certificateDer: Buffer;
}

/** Who signs: the certificate's subject and SHA-256 fingerprint (what `verify --signer` takes). */
export function signerIdentity(signer: Signer): { subject: string; certificateSha256: string } {
  return {
    subject: new X509Certificate(signer.certificateDer).subject.replace(/\n/g, ', '),
    certificateSha256: sha256Hex(signer.certificateDer),
  };
}

function signedBody(m: Omit<Manifest, 'signature'>): string {
  return canonicalJson({
    schema: m.schema,
    tool: m.tool,
    createdAt: m.createdAt,
    job: m.job,
    accepted: m.accepted,
    steps: m.steps,
    files: m.files,
  });
}

export async function buildManifest(
  dir: string,
  parts: { tool: string; job: Record<string, unknown>; accepted: boolean; steps: StepRecord[] },
  signer: Signer,
): Promise<Manifest> {
  const files: Record<string, string> = {};
  for (const f of listFiles(dir)) files[f] = await fileSha256(join(dir, f));
  const body = {
    schema: MANIFEST_SCHEMA,
    tool: parts.tool,
    createdAt: new Date().toISOString(),
    job: parts.job,
    accepted: parts.accepted,
    steps: parts.steps,
    files,
  } as const;
  const key = createPrivateKey(signer.privateKeyPem);
  const cert = new X509Certificate(signer.certificateDer);
  const value = sign(
    key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'ec' ? 'sha256' : null,
    Buffer.from(signedBody(body)),
    key,
  ).toString('base64');
  return {
    ...body,
    signature: {
      algorithm: `${key.asymmetricKeyType === 'rsa' ? 'RSA' : (key.asymmetricKeyType ?? 'unknown').toUpperCase()}-SHA256`,
      value,
      certificate: cert.toString(),
      ...signerIdentity(signer),
    },
  };
}

export interface VerifyProblem {
  kind: 'changed' | 'missing' | 'added' | 'step-altered' | 'chain-broken' | 'signature' | 'signer' | 'manifest';
  file?: string | undefined;
  step?: string | undefined;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  manifest?: Manifest | undefined;
  problems: VerifyProblem[];
  filesChecked: number;
  signer?: { subject: string; certificateSha256: string } | undefined;
}

/**
 * Checks a handover folder against its manifest. `expectSigner` (a SHA-256 fingerprint) also
 * requires the signature to be the engineer's own: without it a forger could re-sign altered
 * files with another key, so the signer's fingerprint is always printed for comparison.
 */
export async function verifyHandover(dir: string, expectSigner?: string): Promise<VerifyResult> {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path))
    return {
      ok: false,
      problems: [{ kind: 'manifest', file: MANIFEST_FILE, message: `${MANIFEST_FILE} is missing: this folder is not a signed handover` }],
      filesChecked: 0,
    };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return {
      ok: false,
      problems: [
        { kind: 'manifest', file: MANIFEST_FILE, message: `${MANIFEST_FILE} cannot be read: ${(err as Error).message.split('\n')[0]}` },
      ],
      filesChecked: 0,
    };
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.join('.');
    const message =
      issue.code === 'unrecognized_keys'
        ? `${MANIFEST_FILE} has ${issue.keys.map((k) => `"${where ? `${where}.` : ''}${k}"`).join(', ')}, which the signature does not cover: added after signing`
        : `${MANIFEST_FILE} is not an iiot handover manifest: ${where ? `${where}: ` : ''}${issue.message}`;
    return { ok: false, problems: [{ kind: 'manifest', file: MANIFEST_FILE, message }], filesChecked: 0 };
  }
  const manifest: Manifest = parsed.data;
  const problems: VerifyProblem[] = [];
  // the files
  const present = new Set(listFiles(dir));
  for (const [f, want] of Object.entries(manifest.files)) {
    if (!present.has(f)) problems.push({ kind: 'missing', file: f, message: `${f} is missing` });
    else if (!lstatSync(join(dir, f)).isFile())
      problems.push({
        kind: 'changed',
        file: f,
        message: `${f} is not a plain file any more (a link or a device): it was replaced after the handover was signed`,
      });
    else if ((await fileSha256(join(dir, f))) !== want)
      problems.push({ kind: 'changed', file: f, message: `${f} was changed after the handover was signed` });
  }
  for (const f of present)
    if (!(f in manifest.files)) problems.push({ kind: 'added', file: f, message: `${f} was added after the handover was signed` });
  // the chain
  let prev = GENESIS;
  for (const s of manifest.steps) {
    const { hash, ...body } = s;
    if (s.prev !== prev)
      problems.push({
        kind: 'chain-broken',
        step: s.step,
        message: `step "${s.step}" does not follow the step before it (a step was removed, added or reordered)`,
      });
    if (sha256Hex(canonicalJson(body)) !== hash)
      problems.push({ kind: 'step-altered', step: s.step, message: `the record of step "${s.step}" was altered` });
    for (const [f, h] of Object.entries(s.files)) {
      if (manifest.files[f] !== undefined && manifest.files[f] !== h)
        problems.push({ kind: 'step-altered', step: s.step, file: f, message: `${f} differs from what step "${s.step}" wrote` });
    }
    prev = hash;
  }
  // the signature
  let signer: VerifyResult['signer'];
  try {
    const cert = new X509Certificate(manifest.signature.certificate);
    const fp = sha256Hex(cert.raw);
    signer = { subject: cert.subject.replace(/\n/g, ', '), certificateSha256: fp };
    const ok = verify(
      cert.publicKey.asymmetricKeyType === 'rsa' || cert.publicKey.asymmetricKeyType === 'ec' ? 'sha256' : null,
      Buffer.from(signedBody(manifest)),
      createPublicKey(cert.publicKey.export({ type: 'spki', format: 'pem' })),
      Buffer.from(manifest.signature.value, 'base64'),
    );
    if (!ok)
      problems.push({
        kind: 'signature',
        file: MANIFEST_FILE,
        message: 'the signature does not match the manifest: the manifest was altered after signing',
      });
    if (fp !== manifest.signature.certificateSha256)
      problems.push({
        kind: 'signature',
        file: MANIFEST_FILE,
        message: 'the certificate fingerprint in the manifest is not the certificate’s',
      });
    if (expectSigner !== undefined && normFingerprint(expectSigner) !== fp)
      problems.push({
        kind: 'signer',
        message: `signed by ${fp.slice(0, 16)}…, not by the expected ${normFingerprint(expectSigner).slice(0, 16)}…`,
      });
  } catch (err) {
    problems.push({
      kind: 'signature',
      file: MANIFEST_FILE,
      message: `the signature cannot be checked: ${(err as Error).message.split('\n')[0]}`,
    });
  }
  return { ok: problems.length === 0, manifest, problems, filesChecked: Object.keys(manifest.files).length, signer };
}

export function normFingerprint(s: string): string {
  return s.replace(/[:\s]/g, '').toLowerCase();
}
