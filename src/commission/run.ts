import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { LatencyResult } from '../checks/latency/result.js';
import type { SecurityResult } from '../checks/security/result.js';
import { IiotError, describeError, usageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { createIO, emitJson, info, out, warn, type IO } from '../core/io.js';
import type { IdentitySpec } from '../protocols/opcua/flags.js';
import type { OpcUaTarget } from '../core/targets.js';
import { formatDuration } from '../core/units.js';
import { toolVersion } from '../core/version.js';
import type { Inventory, InventoryDevice } from '../discovery/inventory.js';
import { INVENTORY_SCHEMA } from '../discovery/schema-name.js';
import { toHtml } from './handover/html.js';
import { toJunit } from './handover/junit.js';
import { buildManifest, fileSha256, listFiles, MANIFEST_FILE, signerIdentity, StepChain, type StepRecord } from './handover/manifest.js';
import { REPORT_SCHEMA, type CommissionReport, type DeviceRecord, type LatencyRecord, type LoopCheckRecord } from './handover/report.js';
import { applyWaivers, verdict, type Item } from './items.js';
import { judgeLatency, judgeSecurity } from './judge-checks.js';
import { judgeDevices } from './judge-devices.js';
import { judgeSignal, type SignalSummary } from './judge-signals.js';
import { runLoopChecks, type LoopPrompt } from './loop-check.js';
import { latencyOf, loadPlan, securityOf, signalMustPass } from './plan.js';
import type { CommissionRunOptions } from './options.js';
import type { Plan, PlanSignal } from './plan-schema.js';
import { observeSignals, recordingSources, recordWindow } from './record-step.js';
import { renderSummary } from './render.js';

/**
 * `iiot commission run plan.yaml -o handover/`: the site acceptance test. Discovery (expected
 * against found), identity, passive security, latency, an OPC UA address-space export, a recording
 * window judged signal by signal, an optional guided loop check; then the handover: report.html,
 * report.json, junit.xml, security.sarif, evidence/ and a signed, hash-chained manifest.json.
 * The handover is built in a temporary folder beside the target and renamed into place at the end,
 * so a crash never leaves half a handover under the final name.
 */

export interface CommissionDeps {
  /** stops the run as Ctrl-C would */
  signal?: AbortSignal;
  /** the loop check's questions (tests answer them through a pty or directly) */
  prompt?: LoopPrompt;
}

export const DEFAULT_WINDOW_MS = 5 * 60_000;

export interface CommissionOutcome {
  report: CommissionReport;
  dir: string;
  exitCode: ExitCode;
}

function prepareOutput(output: string, force: boolean): { tmp: string; final: string } {
  const final = resolve(output);
  if (existsSync(final)) {
    if (!statSync(final).isDirectory()) throw usageError(`-o ${output}: a file of that name exists`, 'name a folder for the handover');
    const entries = readdirSync(final);
    if (entries.length > 0 && !force)
      throw usageError(
        `-o ${output}: the folder exists and is not empty`,
        'name a new folder, or add --force to replace a handover (the old one is removed only once the new one is complete)',
      );
    // --force replaces a handover and nothing else: `-o . --force` in the job folder must not
    // delete the plan, the captures and the notes beside it
    if (entries.length > 0 && !entries.includes(MANIFEST_FILE)) {
      throw usageError(
        `-o ${output}: the folder holds files that are not a handover (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}), so --force does not replace it`,
        'name a new folder for the handover',
      );
    }
  }
  mkdirSync(dirname(final), { recursive: true });
  const tmp = join(dirname(final), `.${basename(final)}.partial-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'evidence'), { recursive: true });
  return { tmp, final };
}

function finish(tmp: string, final: string): void {
  if (existsSync(final)) {
    const old = `${final}.old-${process.pid}`;
    renameSync(final, old);
    renameSync(tmp, final);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(tmp, final);
  }
}

/** Prints each item as it is judged: the engineer sees the acceptance build up, not a long silence. */
function itemPrinter(io: IO): (items: readonly Item[]) => void {
  return (items) => {
    if (io.quiet || io.json) return;
    for (const it of items) {
      const mark = it.status === 'pass' ? io.errStyle.green('✔') : it.mustPass ? io.errStyle.red('✘') : io.errStyle.yellow('✘');
      io.stderr.write(`   ${mark} ${it.title}${it.status === 'fail' && it.observed ? io.errStyle.dim(` (${it.observed})`) : ''}\n`);
    }
  };
}

function deviceRecords(plan: Plan, found: ReadonlyMap<string, InventoryDevice>): DeviceRecord[] {
  return plan.devices.map((d) => {
    const dev = found.get(d.id);
    const cert = dev?.protocol === 'opcua' ? dev.certificate : dev?.protocol === 'mqtt' ? dev.tls?.certificate : undefined;
    return {
      id: d.id,
      url: d.url.url,
      protocol: d.url.protocol,
      found: dev !== undefined,
      ...(dev ? { name: dev.name, identity: dev.identity as Record<string, unknown> } : {}),
      ...(cert ? { certificate: { sha256: cert.sha256, notAfter: cert.notAfter, subject: cert.subject } } : {}),
    };
  });
}

function certificatesOf(found: ReadonlyMap<string, InventoryDevice>): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const [id, dev] of found) {
    const cert = dev.protocol === 'opcua' ? dev.certificate : dev.protocol === 'mqtt' ? dev.tls?.certificate : undefined;
    if (cert)
      out.push({
        device: id,
        url: dev.url,
        sha256: cert.sha256,
        ...(cert.sha1 ? { sha1: cert.sha1 } : {}),
        subject: cert.subject,
        issuer: cert.issuer,
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
        selfSigned: cert.selfSigned,
      });
  }
  return out;
}

export async function runCommission(io: IO, o: CommissionRunOptions, deps: CommissionDeps = {}): Promise<CommissionOutcome> {
  const started = Date.now();
  const { plan, text: planText } = loadPlan(o.planFile);
  const windowMs = o.windowMs ?? plan.recording?.window ?? DEFAULT_WINDOW_MS;
  if (o.loopCheck && !deps.prompt && !(io.stderrIsTTY && (io.stdin as NodeJS.ReadStream).isTTY)) {
    throw usageError('--loop-check asks the engineer at each step: it needs a terminal', 'run it in a terminal, or leave --loop-check out');
  }
  const { tmp, final } = prepareOutput(o.output, o.force);
  const quiet = createIO({ quiet: true, color: false }, { env: io.env, stdin: io.stdin, stdout: io.stdout, stderr: io.stderr });
  const print = itemPrinter(io);
  const chain = new StepChain(tmp);
  const items: Item[] = [];
  const notes: string[] = [];
  const total = 7 + (o.loopCheck ? 1 : 0);
  const signal = deps.signal ?? new AbortController().signal;
  // Ctrl-C stops the run between steps (and cuts the recording and the loop check short): a run
  // that did not go through the plan as written must not hand over a verdict, accepted or not.
  const stopIfInterrupted = () => {
    if (signal.aborted)
      throw new IiotError(ExitCode.Interrupted, 'interrupted: no handover was written', {
        hint: `run it again to the end for a handover; -o ${o.output} was left as it was`,
      });
  };
  let index = 0;
  const step = async <T>(
    name: string,
    title: string,
    fn: () => Promise<{ value: T; summary: string; files: string[]; status?: StepRecord['status'] }>,
  ): Promise<T> => {
    stopIfInterrupted();
    index++;
    info(io, `[${index}/${total}] ${title}`);
    const startedAt = new Date().toISOString();
    const r = await fn();
    stopIfInterrupted();
    await chain.add({ step: name, startedAt, finishedAt: new Date().toISOString(), status: r.status ?? 'ok', summary: r.summary }, r.files);
    info(io, io.errStyle.dim(`   ${r.summary}`));
    return r.value;
  };
  const judged = (list: Item[]) => {
    items.push(...list);
    print(list);
  };

  try {
    writeFileSync(join(tmp, 'evidence', 'plan.yaml'), planText);
    await step('plan', `Plan ${basename(o.planFile)}: ${plan.site.name}, job ${plan.job.id}`, async () => ({
      value: undefined,
      summary: `${plan.devices.length} devices, ${plan.signals.length} signals, ${plan.waivers.length} waivers; recording window ${formatDuration(windowMs)}`,
      files: ['evidence/plan.yaml'],
    }));

    // 1. Discovery: every device of the plan probed by its URL, and the plan's scan ranges.
    const { found } = await step('discovery', 'Discovering the devices of the plan (iiot discover)', async () => {
      const [{ parseDiscoverOptions }, { runScan }] = await Promise.all([
        import('../discovery/options.js'),
        import('../discovery/scan.js'),
      ]);
      const targets = [...plan.devices.map((d) => d.url.url), ...(plan.discovery?.scan ?? [])];
      const listen = plan.discovery?.listen ?? 3000;
      const options = parseDiscoverOptions(targets, {
        ...(plan.discovery?.ports ? { ports: plan.discovery.ports, defaultPorts: false } : {}),
        listen: `${listen}ms`,
        json: true,
      });
      const scan = await runScan(options, { warn: (l) => warn(io, l) }, signal);
      stopIfInterrupted();
      const inv: Inventory = { schema: INVENTORY_SCHEMA, ...scan.inventory } as Inventory;
      writeFileSync(join(tmp, 'evidence', 'inventory.json'), `${JSON.stringify(inv, null, 2)}\n`);
      const judgedDevices = judgeDevices(plan, inv);
      writeFileSync(join(tmp, 'evidence', 'certificates.json'), `${JSON.stringify(certificatesOf(judgedDevices.found), null, 2)}\n`);
      judged(judgedDevices.items);
      return {
        value: { inventory: inv, found: judgedDevices.found },
        summary: `${judgedDevices.found.size} of ${plan.devices.length} devices found; ${inv.devices.length} answered in all`,
        files: ['evidence/inventory.json', 'evidence/certificates.json'],
      };
    });
    const foundUrls = plan.devices.filter((d) => found.has(d.id)).map((d) => d.url.url);

    // 2. Security, passively (what a normal client sees).
    const security = await step('security', 'Checking security posture, passively (iiot check security)', async () => {
      let result: SecurityResult | undefined;
      if (foundUrls.length) {
        const [{ parseSecurityOptions }, { runSecurityCheck }, { writeSarif }] = await Promise.all([
          import('../checks/options.js'),
          import('../checks/security/run.js'),
          import('../checks/security/sarif.js'),
        ]);
        result = await runSecurityCheck(
          quiet,
          parseSecurityOptions(foundUrls, { failOn: 'none', timeout: `${o.timeoutMs}ms`, ...identityFlags(o.identity) }),
        );
        writeSarif(join(tmp, 'security.sarif'), result);
      }
      const now = Date.now();
      for (const d of plan.devices) {
        const check = result?.targets.find((t) => t.target === d.url.url);
        judged(judgeSecurity(d, securityOf(plan, d), found.get(d.id), check, now));
      }
      return {
        value: result,
        summary: result
          ? `${result.targets.length} devices assessed, ${result.targets.reduce((n, t) => n + t.findings.length, 0)} findings`
          : 'no device to assess',
        files: result ? ['security.sarif'] : [],
        status: result ? 'ok' : 'skipped',
      };
    });

    // 3. Latency against each device's budget.
    const latency = await step('latency', 'Measuring latency against the budgets (iiot check latency)', async () => {
      const budgeted = plan.devices.filter(
        (d) => found.has(d.id) && (latencyOf(plan, d).p99 !== undefined || latencyOf(plan, d).loss !== undefined),
      );
      if (budgeted.length === 0)
        return {
          value: undefined as LatencyResult | undefined,
          summary: 'no latency budgets in the plan',
          files: [],
          status: 'skipped' as const,
        };
      const [{ parseLatencyOptions }, { runLatencyCheck }] = await Promise.all([
        import('../checks/options.js'),
        import('../checks/latency/run.js'),
      ]);
      const count = Math.max(...budgeted.map((d) => latencyOf(plan, d).count ?? 50));
      const options = parseLatencyOptions(
        budgeted.map((d) => d.url.url),
        {
          count: String(count),
          interval: '20ms',
          qos: '1',
          timeout: `${o.timeoutMs}ms`,
          trustOnFirstUse: o.trustOnFirstUse,
          maxP99: budgeted.flatMap((d) => (latencyOf(plan, d).p99 !== undefined ? [`${d.url.url}=${latencyOf(plan, d).p99}ms`] : [])),
          maxLoss: budgeted.flatMap((d) => (latencyOf(plan, d).loss !== undefined ? [`${d.url.url}=${latencyOf(plan, d).loss}`] : [])),
          histogram: false,
          ...identityFlags(o.identity),
        },
      );
      const result = await runLatencyCheck(quiet, options);
      writeFileSync(
        join(tmp, 'evidence', 'latency.json'),
        `${JSON.stringify({ ...result, targets: result.targets.map((t) => ({ ...t, series: t.series.map(({ samples: _s, ...s }) => s) })) }, null, 2)}\n`,
      );
      for (const d of budgeted)
        judged(
          judgeLatency(
            d,
            latencyOf(plan, d),
            result.targets.find((t) => t.target === d.url.url),
          ),
        );
      return {
        value: result,
        summary: `${result.targets.length} devices measured (${count} round trips each)`,
        files: ['evidence/latency.json'],
      };
    });

    // 4. The OPC UA address spaces as found (evidence for later comparison).
    await step('address-space', 'Exporting the OPC UA address spaces (iiot browse --all)', async () => {
      const files: string[] = [];
      for (const d of plan.devices.filter((x) => x.url.protocol === 'opcua' && found.has(x.id))) {
        try {
          const { exportAddressSpace } = await import('./address-space.js');
          const n = await exportAddressSpace(quiet, d.url as OpcUaTarget, o, join(tmp, 'evidence', `${d.id}.address-space.json`));
          files.push(`evidence/${d.id}.address-space.json`);
          info(io, io.errStyle.dim(`   ${d.id}: ${n} nodes`));
        } catch (err) {
          notes.push(`address space of ${d.id} not exported: ${describeError(err)}`);
          warn(io, `${d.id}: address space not exported: ${describeError(err)}`);
        }
      }
      return {
        value: undefined,
        summary: files.length ? `${files.length} address spaces exported` : 'no OPC UA device to export',
        files,
        status: files.length ? 'ok' : 'skipped',
      };
    });

    // 5. The recording window, judged signal by signal.
    const { summaries, window } = await step(
      'recording',
      `Recording the I/O list for ${formatDuration(windowMs)} and judging every signal (iiot record)`,
      async () => {
        const reachable = new Set(found.keys());
        const rec = recordingSources(plan, reachable, o.identity, o.timeoutMs, o.trustOnFirstUse);
        const capture = join(tmp, 'evidence', 'capture.jsonl.gz');
        let w = { from: Date.now(), to: Date.now() };
        let recorded = false;
        let devices = 0;
        let refused = new Map<string, Map<string, string>>();
        if (rec.sources.length) {
          const r = await recordWindow(quiet, capture, rec.sources, windowMs, signal, {
            site: plan.site.name,
            job: plan.job.id,
            note: 'iiot commission run',
          });
          stopIfInterrupted();
          w = { from: r.from, to: r.to };
          devices = r.recorded;
          recorded = devices > 0;
          refused = r.refused;
          for (const [id, nodes] of r.refused) for (const [node, why] of nodes) warn(io, `${id}: ${node} not recorded: ${why}`);
          for (const [id, why] of r.failed) {
            rec.skipped.set(id, `${id} could not be recorded: ${why}`);
            warn(io, `${id} could not be recorded: ${why}`);
          }
        }
        const why = (s: PlanSignal) => rec.skipped.get(s.device) ?? refused.get(s.device)?.get(s.address);
        const observations = recorded ? await observeSignals(capture, plan, w, why) : new Map();
        const list: SignalSummary[] = [];
        for (const s of plan.signals) {
          const obs = observations.get(s.tag) ?? { samples: [], outages: [], window: w, unavailable: why(s) ?? 'not recorded' };
          const r = judgeSignal(s, obs, signalMustPass(plan, s));
          judged(r.items);
          list.push(r.summary);
        }
        return {
          value: { summaries: list, window: recorded ? w : undefined },
          summary: `${plan.signals.length} signals, ${devices} devices recorded over ${formatDuration(w.to - w.from)}`,
          files: recorded ? ['evidence/capture.jsonl.gz'] : [],
          status: recorded ? 'ok' : 'skipped',
        };
      },
    );

    // 6. The guided loop check, at the engineer's pace.
    let loopChecks: LoopCheckRecord[] = [];
    if (o.loopCheck) {
      loopChecks = await step('loop-check', 'Loop check: act at each field device, iiot confirms what it sees', async () => {
        const r = await runLoopChecks(io, plan, found, { ...o, signal }, deps.prompt);
        stopIfInterrupted();
        writeFileSync(join(tmp, 'evidence', 'loop-check.json'), `${JSON.stringify(r.records, null, 2)}\n`);
        judged(r.items);
        return {
          value: r.records,
          summary: `${r.records.filter((x) => x.result === 'confirmed').length} of ${r.records.length} confirmed`,
          files: ['evidence/loop-check.json'],
        };
      });
    }

    // 7. The handover. The signer is known before the report is written: its fingerprint is printed
    // on the page the owner signs, which is what later ties the files to this run (verify --signer).
    const signer = await loadSigner(io);
    const { items: final_, unused } = applyWaivers(items, plan.waivers);
    const v = verdict(final_);
    for (const w of unused) warn(io, `waiver for ${w.item} matched no item of this run: check its id against report.json`);
    const report: CommissionReport = {
      schema: REPORT_SCHEMA,
      tool: `iiot ${toolVersion()}`,
      site: plan.site,
      job: plan.job,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: Date.now() - started,
      accepted: v.accepted,
      counts: v.counts,
      blocking: v.blocking,
      items: final_,
      devices: deviceRecords(plan, found),
      signals: summaries,
      latency: latencyRecords(plan, latency),
      security: (security?.targets ?? []).map((t) => ({
        device: plan.devices.find((d) => d.url.url === t.target)?.id ?? t.target,
        status: t.status,
        findings: t.findings.map((f) => ({ ruleId: f.ruleId, severity: f.severity, title: f.title })),
      })),
      window: window
        ? { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString(), ms: window.to - window.from }
        : null,
      loopChecks,
      unusedWaivers: unused,
      notes,
      signer: signerIdentity(signer),
    };
    await step('handover', 'Writing the handover: report, JUnit, evidence, signed manifest', async () => {
      writeFileSync(join(tmp, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(join(tmp, 'junit.xml'), toJunit(report));
      const evidence = [];
      for (const f of listFiles(tmp).filter((x) => x.startsWith('evidence/') || x === 'security.sarif'))
        evidence.push({ file: f, sha256: await fileSha256(join(tmp, f)), bytes: statSync(join(tmp, f)).size });
      writeFileSync(join(tmp, 'report.html'), toHtml(report, evidence));
      return {
        value: undefined,
        summary: `${v.accepted ? 'accepted' : 'not accepted'}: ${v.counts.pass} passed, ${v.counts.fail} failed, ${v.counts.waived} waived`,
        files: ['report.json', 'report.html', 'junit.xml'],
      };
    });
    const manifest = await buildManifest(
      tmp,
      { tool: `iiot ${toolVersion()}`, job: { site: plan.site, job: plan.job }, accepted: v.accepted, steps: chain.records },
      signer,
    );
    writeFileSync(join(tmp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    stopIfInterrupted();
    finish(tmp, final);
    return { report, dir: final, exitCode: v.accepted ? ExitCode.Ok : ExitCode.CheckFailed };
  } catch (err) {
    // What was gathered stays for a look, under a name that cannot be mistaken for a handover.
    if (existsSync(tmp)) warn(io, `the run stopped; what it gathered is in ${tmp} (not a handover: nothing there is signed)`);
    throw err;
  }
}

function identityFlags(identity: IdentitySpec): { user?: string; passwordEnv?: string; passwordFile?: string } {
  if (identity.kind !== 'username') return {};
  return {
    user: identity.user,
    passwordEnv: identity.passwordEnv,
    ...(identity.passwordFile ? { passwordFile: identity.passwordFile } : {}),
  };
}

function latencyRecords(plan: Plan, r: LatencyResult | undefined): LatencyRecord[] {
  if (!r) return [];
  return r.targets.map((t) => ({
    device: plan.devices.find((d) => d.url.url === t.target)?.id ?? t.target,
    series: t.series.map((s) => ({
      label: s.label,
      ...(s.stats ? { p50: s.stats.p50, p99: s.stats.p99 } : {}),
      lossPercent: s.lossPercent,
      count: s.received,
    })),
  }));
}

/** iiot's own certificate and key (created on first use): the engineer's signature on the handover. */
async function loadSigner(io: IO): Promise<{ privateKeyPem: string; certificateDer: Buffer }> {
  const { readFileSync } = await import('node:fs');
  const { pkiFor } = await import('../protocols/opcua/session-io.js');
  const pki = pkiFor(io);
  try {
    const own = await pki.ownCertificate();
    return { privateKeyPem: readFileSync(own.privateKeyFile, 'utf8'), certificateDer: own.der };
  } catch (err) {
    throw new IiotError(ExitCode.Usage, `cannot sign the handover with iiot's certificate: ${describeError(err)}`, {
      hint: '`iiot pki show` creates and shows it; check the store folder’s permissions',
    });
  } finally {
    await pki.close();
  }
}

export async function runCommissionCommand(io: IO, o: CommissionRunOptions): Promise<number> {
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const r = await runCommission(io, o, { signal: ac.signal });
    if (io.json) {
      const { schema: _schema, ...body } = r.report;
      emitJson(io, REPORT_SCHEMA, { ...body, handover: r.dir });
    } else out(io, renderSummary(io, r.report, r.dir));
    return r.exitCode;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
