import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IiotError } from '../../../src/core/errors.js';
import { inspectCertificate } from '../../../src/protocols/opcua/certificates.js';
import { findServers, getEndpoints } from '../../../src/protocols/opcua/endpoints.js';
import type { Pki } from '../../../src/protocols/opcua/pki.js';
import { readValues } from '../../../src/protocols/opcua/read.js';
import {
  captureIO,
  clientPki,
  connect,
  startOpcUaPlant,
  tempDir,
  USER,
  type TestPlant,
  removeTempDirs,
} from '../../helpers/opcua-plant.js';

afterAll(removeTempDirs);

async function failure(p: Promise<unknown>): Promise<IiotError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(IiotError);
    return err as IiotError;
  }
  throw new Error('expected a failure');
}

describe('OPC UA sessions against the embedded plant (default profile)', () => {
  let t: TestPlant;
  let serverSha256: string;
  let serverCertFile: string;
  // Client stores whose certificates the server trusts (as its administrator would set up).
  const main = clientPki();
  const untrusted = clientPki();
  const tofu = clientPki();
  const changed = clientPki();
  const rejected = clientPki();
  const userCert = clientPki();

  beforeAll(async () => {
    // The plant keeps the user certificates it accepts in <pki>/user-pki: put one there.
    const serverPki = tempDir('server-pki');
    mkdirSync(join(serverPki, 'user-pki', 'trusted', 'certs'), { recursive: true });
    copyFileSync((await userCert.ownCertificate()).file, join(serverPki, 'user-pki', 'trusted', 'certs', 'user.pem'));
    await userCert.close();
    t = await startOpcUaPlant({ pkiDir: serverPki, trustClient: [main, untrusted, tofu, changed, rejected] });
    serverCertFile = t.plant.opcua!.certificateFile;
    serverSha256 = inspectCertificate(readFileSync(serverCertFile)).sha256;
    main.trust(serverCertFile);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('lists the endpoints without a session and without touching any certificate store', async () => {
    const endpoints = await getEndpoints(t.url, { timeoutMs: 5000 });
    const offered = endpoints.map((e) => `${e.securityMode}/${e.securityPolicy}`);
    expect(offered).toContain('None/None');
    expect(offered).toContain('SignAndEncrypt/Basic256Sha256');
    expect(endpoints.every((e) => e.server.applicationUri === 'urn:iiot:sim:127.0.0.1')).toBe(true);
    expect(inspectCertificate(endpoints.find((e) => e.securityMode === 'SignAndEncrypt')!.serverCertificate!).sha256).toBe(serverSha256);
    expect(endpoints.flatMap((e) => e.userTokens.map((u) => u.type))).toContain('UserName');
    const servers = await findServers(t.url, { timeoutMs: 5000 });
    expect(servers.map((s) => s.applicationUri)).toContain('urn:iiot:sim:127.0.0.1');
  });

  it('opens an anonymous session with security None and reads through it', async () => {
    const s = await connect(t.url, main, { securityMode: 'None' });
    try {
      expect(s.endpoint.securityMode).toBe('None');
      expect(s.identity).toBe('anonymous');
      const [time] = await readValues(s.session, ['i=2258']);
      expect(time!.status).toBe('Good');
      expect(Date.parse(time!.value as string)).toBeGreaterThan(Date.parse('2020-01-01'));
    } finally {
      await s.close();
    }
  });

  it('picks the most secure endpoint by itself and logs on with user name and password (Basic256Sha256, SignAndEncrypt)', async () => {
    const s = await connect(t.url, main, { user: USER.username }, captureIO({ IIOT_PASSWORD: USER.password }));
    try {
      expect(s.endpoint.securityMode).toBe('SignAndEncrypt');
      expect(s.endpoint.securityPolicy).toBe('Basic256Sha256');
      expect(s.identity).toBe(`user "${USER.username}"`);
      expect(s.serverCertificate?.sha256).toBe(serverSha256);
      const [v] = await readValues(s.session, [t.plant.opcua!.nodeId('plant.power')]);
      expect(v!.status).toBe('Good');
      expect(typeof v!.value).toBe('number');
    } finally {
      await s.close();
    }
  });

  it('refuses an unknown server certificate, says which one, and keeps it in rejected/ for `iiot pki trust`', async () => {
    const err = await failure(connect(t.url, untrusted, { securityMode: 'SignAndEncrypt' }));
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('certificate is not trusted');
    expect(err.message).toContain(serverSha256);
    const prefix = inspectCertificate(readFileSync(serverCertFile)).sha1.replace(/:/g, '').slice(0, 16).toLowerCase();
    expect(err.hint).toContain(`iiot pki trust ${prefix}`);
    expect(err.hint).toContain('--trust-on-first-use');
    const inRejected = untrusted.list().filter((c) => c.folder === 'rejected');
    expect(inRejected.map((c) => c.info.sha256)).toEqual([serverSha256]);
    expect(untrusted.list().some((c) => c.folder === 'trusted')).toBe(false);
    // Trusting it by the fingerprint in the message is all it takes.
    untrusted.trust(prefix);
    const s = await connect(t.url, untrusted, { securityMode: 'SignAndEncrypt' });
    await s.close();
  });

  it('trusts on first use only when asked, printing both fingerprints and recording the endpoint', async () => {
    const io = captureIO();
    const s = await connect(t.url, tofu, { securityMode: 'SignAndEncrypt', trustOnFirstUse: true }, io);
    await s.close();
    const text = io.lines.join('\n');
    expect(text).toContain(`SHA-256  ${serverSha256}`);
    expect(text).toMatch(/SHA-1 {4}([0-9A-F]{2}:){19}[0-9A-F]{2}/);
    expect(
      tofu
        .list()
        .filter((c) => c.folder === 'trusted')
        .map((c) => c.info.sha256),
    ).toEqual([serverSha256]);
    expect(tofu.knownServer(t.url)?.sha256).toBe(serverSha256);
    expect(tofu.knownServer(t.url)?.how).toBe('trust-on-first-use');
    // From now on no flag is needed, and nothing more is printed about trust.
    const io2 = captureIO();
    const again = await connect(t.url, tofu, { securityMode: 'SignAndEncrypt' }, io2);
    await again.close();
    expect(io2.lines.join('\n')).not.toContain('first use');
  });

  it('does not trust on first use when the endpoint showed a different certificate before', async () => {
    // The endpoint was trusted with another certificate (here: the client's own, as a stand-in).
    const other = await changed.ownCertificate();
    changed.recordKnownServer(t.url, other.info, 'trust-on-first-use', other.der);
    const err = await failure(connect(t.url, changed, { securityMode: 'SignAndEncrypt', trustOnFirstUse: true }));
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('DIFFERENT certificate');
    expect(err.message).toContain(serverSha256);
    expect(err.message).toContain(other.info.sha256);
    expect(changed.list().some((c) => c.folder === 'trusted' && c.info.sha256 === serverSha256)).toBe(false);
  });

  it('does not trust on first use a certificate the user rejected', async () => {
    rejected.reject(serverCertFile);
    const err = await failure(connect(t.url, rejected, { securityMode: 'SignAndEncrypt', trustOnFirstUse: true }));
    expect(err.message).toContain('you rejected this server certificate before');
    expect(err.hint).toMatch(/iiot pki trust [0-9a-f]{16}/);
  });

  it('reports a wrong password as exit 3 with one clear line, without retrying', async () => {
    const err = await failure(
      connect(t.url, main, { user: USER.username, passwordEnv: 'WRONG_PW' }, captureIO({ WRONG_PW: 'not the password' })),
    );
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain(`denied access for user "${USER.username}"`);
    expect(err.message).toContain('BadUserAccessDenied');
    expect(err.hint).toContain('$WRONG_PW');
    expect(err.message.split('\n')).toHaveLength(1);
  });

  it('refuses a user name without a password source before connecting (exit 2)', async () => {
    const err = await failure(connect(t.url, main, { user: USER.username }, captureIO({})));
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('no password for user');
  });

  it('logs on with an X.509 user certificate the server trusts, and explains the refusal of one it does not', async () => {
    const endpoints = await getEndpoints(t.url, { timeoutMs: 5000 });
    expect(endpoints.some((e) => e.userTokens.some((u) => u.type === 'Certificate'))).toBe(true);
    const own = await userCert.ownCertificate();
    const s = await connect(t.url, main, { userCert: own.file, userKey: own.privateKeyFile });
    expect(s.identity).toBe(`user certificate "${own.info.commonName}"`);
    await s.close();
    const stranger = await clientPki().ownCertificate();
    const err = await failure(connect(t.url, main, { userCert: stranger.file, userKey: stranger.privateKeyFile }));
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('rejected the user identity (user certificate');
    expect(err.message).toContain('BadIdentityTokenRejected');
    expect(err.hint).toContain('the server must trust this user certificate');
    // A key that is not the certificate's is refused before anything is sent.
    const mismatch = await failure(connect(t.url, main, { userCert: own.file, userKey: stranger.privateKeyFile }));
    expect(mismatch.exitCode).toBe(2);
    expect(mismatch.message).toContain('does not belong to --user-cert');
  });
});

describe('a server that does not trust iiot yet', () => {
  it('says so, naming the file to copy and where; copying it there fixes it', async () => {
    const pki = clientPki();
    const serverPki = tempDir('server-pki');
    let t = await startOpcUaPlant({ pkiDir: serverPki });
    try {
      pki.trust(t.plant.opcua!.certificateFile);
      const own = await pki.ownCertificate();
      const err = await failure(connect(t.url, pki, { securityMode: 'SignAndEncrypt' }));
      expect(err.exitCode).toBe(3);
      expect(err.message).toContain("refused iiot's application certificate (BadSecurityChecksFailed)");
      expect(err.hint).toContain(own.file);
      expect(err.hint).toContain(own.info.sha1);
      expect(err.hint).toContain('trusted/certs/');
      // The server kept it among its rejected certificates, as the hint says many servers do.
      expect(readdirSync(join(serverPki, 'rejected')).length).toBeGreaterThan(0);
      expect(err.hint).toContain("delete it from the server's rejected folder");
      // Do what the hint says: copy the file into the server's trusted folder, out of rejected/.
      await t.stop();
      copyFileSync(own.file, join(serverPki, 'trusted', 'certs', 'iiot.pem'));
      for (const f of readdirSync(join(serverPki, 'rejected'))) {
        if (inspectCertificate(readFileSync(join(serverPki, 'rejected', f))).sha1 === own.info.sha1)
          unlinkSync(join(serverPki, 'rejected', f));
      }
      t = await startOpcUaPlant({ pkiDir: serverPki });
      const s = await connect(t.url, pki, { securityMode: 'SignAndEncrypt' });
      expect(s.endpoint.securityMode).toBe('SignAndEncrypt');
      await s.close();
    } finally {
      await t.stop();
    }
  });
});

describe('unreachable servers', () => {
  const pki = clientPki();
  let blackHole: Server;
  let hangUp: Server;
  const sockets: Socket[] = [];
  let holePort = 0;
  let hangPort = 0;
  beforeAll(async () => {
    // Accepts TCP and never says a word: what a dead OPC UA stack behind a live port looks like.
    blackHole = createServer((s) => void sockets.push(s));
    // Accepts and hangs up at once.
    hangUp = createServer((s) => s.destroy());
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => hangUp.listen(0, '127.0.0.1', r));
    holePort = (blackHole.address() as { port: number }).port;
    hangPort = (hangUp.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => blackHole.close(r));
    await new Promise((r) => hangUp.close(r));
  });

  it('reports a closed port as exit 3, without retrying forever', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const err = await failure(connect(`opc.tcp://127.0.0.1:${port}`, pki, { timeout: '5s' }));
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe(`nothing is listening at 127.0.0.1:${port} (connection refused)`);
  });

  it('gives up on a server that never answers when the timeout is over (exit 3)', async () => {
    const err = await failure(connect(`opc.tcp://127.0.0.1:${holePort}`, pki, { timeout: '400ms' }));
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('did not answer');
    expect(err.message).toContain('400 ms');
    expect(err.hint).toContain('--timeout');
  });

  it('reports a server that hangs up as exit 3', async () => {
    const err = await failure(connect(`opc.tcp://127.0.0.1:${hangPort}`, pki, { timeout: '5s' }));
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/closed the connection|did not answer|connection/);
  });
});

describe('the weak profile (offers the deprecated Basic128Rsa15)', () => {
  let t: TestPlant;
  let pki: Pki;
  beforeAll(async () => {
    pki = clientPki();
    t = await startOpcUaPlant({ profile: 'weak', trustClient: pki });
    pki.trust(t.plant.opcua!.certificateFile);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('chooses a policy Node 22 can run, and says plainly why Basic128Rsa15 cannot be used', async () => {
    const s = await connect(t.url, pki);
    expect(s.endpoint.securityPolicy).toBe('Basic256Sha256');
    expect(s.endpoint.securityMode).toBe('SignAndEncrypt');
    await s.close();
    const endpoints = await getEndpoints(t.url, { timeoutMs: 5000 });
    expect(endpoints.map((e) => e.securityPolicy)).toContain('Basic128Rsa15');
    const err = await failure(connect(t.url, pki, { securityPolicy: 'Basic128Rsa15', securityMode: 'SignAndEncrypt' }));
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('cannot be used from Node.js 22');
    expect(err.message).toContain('CVE-2023-46809');
    expect(existsSync(pki.paths.root)).toBe(true);
  });
});
