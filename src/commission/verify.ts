import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { usageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { emitJson, out, type IO } from '../core/io.js';
import { sha256Hex } from './handover/canonical.js';
import { normFingerprint, verifyHandover } from './handover/manifest.js';

/**
 * `iiot commission verify handover/`: recomputes every hash, the step chain and the signature.
 * Exit 0 when the handover is as signed, 1 when anything was changed, missing or added.
 */

export interface VerifyOptions {
  dir: string;
  /** SHA-256 fingerprint, or a certificate file (PEM or DER), of the expected signer */
  signer?: string | undefined;
}

export function signerFingerprint(text: string): string {
  if (existsSync(text) && statSync(text).isFile()) {
    const data = readFileSync(text);
    try {
      return sha256Hex(new X509Certificate(data).raw);
    } catch {
      throw usageError(
        `--signer ${text}: not a certificate (PEM or DER)`,
        'give the certificate file `iiot pki show` names, or its SHA-256 fingerprint',
      );
    }
  }
  const fp = normFingerprint(text);
  if (!/^[0-9a-f]{64}$/.test(fp))
    throw usageError(
      `--signer ${text}: not a SHA-256 fingerprint or a certificate file`,
      'give 64 hex digits (colons allowed) or a certificate file',
    );
  return fp;
}

export async function runVerify(io: IO, o: VerifyOptions): Promise<number> {
  if (!existsSync(o.dir) || !statSync(o.dir).isDirectory())
    throw usageError(`${o.dir}: no such folder`, 'name the handover folder `iiot commission run -o` wrote');
  const expect = o.signer === undefined ? undefined : signerFingerprint(o.signer);
  const r = await verifyHandover(o.dir, expect);
  if (io.json) {
    emitJson(io, 'iiot.commission-verify/1', {
      dir: o.dir,
      ok: r.ok,
      filesChecked: r.filesChecked,
      steps: r.manifest?.steps.map((s) => ({ step: s.step, status: s.status, finishedAt: s.finishedAt })) ?? [],
      signer: r.signer ?? null,
      accepted: r.manifest?.accepted ?? null,
      problems: r.problems,
    });
  } else {
    const st = io.style;
    if (r.ok) {
      out(
        io,
        `${st.green('✔ intact')}: ${r.filesChecked} files, ${r.manifest!.steps.length} steps, signature valid; the handover says ${r.manifest!.accepted ? 'ACCEPTED' : 'NOT ACCEPTED'}`,
      );
    } else {
      out(io, `${st.red('✘ NOT intact')}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`);
      for (const p of r.problems) out(io, `  ${st.red('✘')} ${p.message}`);
    }
    if (r.signer)
      out(
        io,
        st.dim(
          `signed by ${r.signer.subject}, certificate SHA-256 ${r.signer.certificateSha256}${expect ? (expect === r.signer.certificateSha256 ? ' (the expected signer)' : '') : ' — compare it with the engineer’s (`iiot pki show`), or pass --signer'}`,
        ),
      );
  }
  return r.ok ? ExitCode.Ok : ExitCode.CheckFailed;
}
