import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultPkiDir, Pki } from './pki.js';

/**
 * Puts this machine's iiot client certificate (the one `iiot browse`, `read` and `record` present,
 * created now if it does not exist yet) into the trusted folder of a server iiot runs itself (the
 * simulated plant, a replay). The server and the client belong to the same user on the same
 * machine, so `iiot sim` (or `iiot replay --to opcua`) followed by `iiot browse` or `iiot record`
 * works with SignAndEncrypt out of the box, while any other client is still refused until its
 * certificate is trusted explicitly. Returns the certificate file that is now trusted.
 */
export async function trustLocalClient(serverPkiDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const pki = new Pki(defaultPkiDir(env));
  try {
    const own = await pki.ownCertificate();
    const trusted = join(serverPkiDir, 'trusted', 'certs');
    mkdirSync(trusted, { recursive: true });
    copyFileSync(own.file, join(trusted, `iiot-local-client-${own.info.sha1.replace(/:/g, '').slice(0, 16).toLowerCase()}.pem`));
    return own.file;
  } finally {
    await pki.close();
  }
}
