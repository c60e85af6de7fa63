import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultPkiDir, Pki } from '../protocols/opcua/pki.js';

/**
 * Puts this machine's iiot client certificate (the one `iiot browse`, `read` and `record` present,
 * created now if it does not exist yet) into the simulated server's trusted folder. The plant and
 * the client belong to the same user on the same machine, so `iiot sim` followed by `iiot browse`
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
