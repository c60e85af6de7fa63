/**
 * The judgement of `iiot check security`: facts the protocol audits gathered -> findings. Each
 * protocol judges its own facts (src/protocols/<name>/security-judge.ts); the certificate rules
 * and the making of a finding are shared (src/protocols/security-judge.ts).
 */
export { finding, judgeCertificate, type CertJudgeOptions, type CheckFinding } from '../../protocols/security-judge.js';
export {
  judgeOpcUaEndpoints,
  judgeOpcUaSession,
  judgeSharedCertificates,
  leafFingerprint,
  type OpcUaJudgeOptions,
} from '../../protocols/opcua/security-judge.js';
export { judgeMqtt, type MqttJudgeOptions } from '../../protocols/mqtt/security-judge.js';
export { judgeModbus } from '../../protocols/modbus/security-judge.js';
